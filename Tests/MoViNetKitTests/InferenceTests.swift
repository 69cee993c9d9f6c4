// The per-input pipeline with test-double runners: stream models report the last frame (and
// every frame when asked); base models cut the frames into windows and average the windows'
// softmax probabilities, computed here independently in Double.

import Foundation
import XCTest
import TestSupport

import MoViNet
import MoViNetKit
import TestSupport

/// Frames whose pixels all equal frame index / 100.
final class CountingFrames: FrameStream {
    let count: Int
    let frameSize: Int
    var done = 0
    init(count: Int, size: Int) { self.count = count; self.frameSize = size }
    var warnings: [String] { [] }
    func next() throws -> SampledFrame? {
        guard done < count else { return nil }
        defer { done += 1 }
        return SampledFrame(index: done, timestamp: Double(done) / 5,
                            pixels: [Float](repeating: Float(done) / 100, count: frameSize * frameSize * 3))
    }
}

/// Logits from the input's mean value m: [m, 2m, 0] (stream: the frame; base: the whole clip).
/// Records every call so the windowing can be checked.
final class FakeRunner: FrameClassifier {
    let classifierKind: ModelKind
    let classCount = 3
    var clips: [Int] = []          // frames per classify call
    var steps = 0
    var resets = 0
    init(_ kind: ModelKind) { classifierKind = kind }
    func reset() { resets += 1 }
    static func logits(_ values: UnsafeBufferPointer<Float>) -> [Float] {
        let m = values.reduce(0, +) / Float(values.count)
        return [m, 2 * m, 0]
    }
    func step(_ frame: UnsafeBufferPointer<Float>) -> [Float] { steps += 1; return FakeRunner.logits(frame) }
    func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float] {
        clips.append(frames)
        return FakeRunner.logits(clip)
    }
}

final class InferenceTests: XCTestCase {
    let labels = Labels(names: ["zero", "double", "none"])

    func settings(window: Int = 50) -> InferenceSettings {
        InferenceSettings(topK: 3, threshold: 0, window: window)
    }

    func softmax(_ x: [Double]) -> [Double] {
        let m = x.max()!
        let e = x.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func testBaseModelAveragesWindowProbabilities() throws {
        let runner = FakeRunner(.base)
        var progressed = 0
        let result = try Inference.run(CountingFrames(count: 23, size: 2), runner: runner, labels: labels,
                                       settings: settings(window: 10), path: "x", perFrame: true,
                                       onFrame: { _ in XCTFail("no frames for base models") },
                                       onProgress: { progressed += $0 })
        XCTAssertEqual(runner.clips, [10, 10, 3])
        XCTAssertEqual(runner.resets, 1)
        XCTAssertEqual(progressed, 23)
        XCTAssertEqual(result.frames, 23)
        XCTAssertEqual(result.windows, 3)
        // Window means of index/100: 4.5, 14.5, 21 (/100); expected = mean of their softmaxes.
        let windows = [4.5, 14.5, 21].map { $0 / 100 }
        let probs = windows.map { softmax([$0, 2 * $0, 0]) }
        let expected = (0..<3).map { c in probs.map { $0[c] }.reduce(0, +) / 3 }
        XCTAssertEqual(result.top.map(\.label), ["double", "zero", "none"])
        for r in result.top { XCTAssertEqual(Double(r.probability), expected[r.index], accuracy: 1e-6) }
        XCTAssertEqual(Double(result.logits[1]), 2 * windows.reduce(0, +) / 3, accuracy: 1e-6)
        for c in 0..<3 { XCTAssertEqual(Double(result.probabilities[c]), expected[c], accuracy: 1e-6) }
    }

    func testOneShortClipIsOneWindow() throws {
        let runner = FakeRunner(.base)
        let result = try Inference.run(CountingFrames(count: 8, size: 2), runner: runner, labels: labels,
                                       settings: settings(), path: "x")
        XCTAssertEqual(runner.clips, [8])
        XCTAssertEqual(result.windows, 1)
    }

    func testStreamModelReportsTheLastFrameAndEveryFrame() throws {
        let runner = FakeRunner(.stream)
        var frames: [FramePrediction] = []
        let result = try Inference.run(CountingFrames(count: 6, size: 2), runner: runner, labels: labels,
                                       settings: settings(), path: "x", perFrame: true,
                                       onFrame: { frames.append($0) })
        XCTAssertEqual(runner.steps, 6)
        XCTAssertEqual(result.frames, 6)
        XCTAssertNil(result.windows)
        XCTAssertEqual(result.logits, [0.05, 0.1, 0], accuracy: 1e-7)
        XCTAssertEqual(frames.map(\.index), Array(0..<6))
        XCTAssertEqual(frames.map(\.timestamp), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(frames.last?.logits ?? [], result.logits, accuracy: 0)
        let p = softmax([0.05, 0.1, 0])
        XCTAssertEqual(Double(result.top[0].probability), p[1], accuracy: 1e-6)
    }

    func testNoFramesIsAnError() {
        for kind in [ModelKind.stream, .base] {
            XCTAssertThrowsError(try Inference.run(CountingFrames(count: 0, size: 2), runner: FakeRunner(kind),
                                                   labels: labels, settings: settings(), path: "empty.gif")) {
                XCTAssertEqual("\($0)", "empty.gif: no frames to classify")
            }
        }
    }

    /// .npy frames at the model size reach the runner unchanged (uint8 / 255).
    func testNpyFramesAreFedAsGiven() throws {
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2, 3), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let pixels = (0..<24).map { UInt8($0 * 10) }
        let data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
            + Data(pixels)
        let url = try temporaryDirectory(self).appendingPathComponent("f.npy")
        try data.write(to: url)
        let stream = try FrameStreams.open(url.path, size: 2, fps: 5, centerCrop: false)
        let first = try stream.next()
        XCTAssertEqual(first?.pixels, pixels[0..<12].map { Float($0) / 255 })
        XCTAssertEqual(try stream.next()?.timestamp, 0.2)
        XCTAssertNil(try stream.next())
        XCTAssertThrowsError(try FrameStreams.open(url.path.replacingOccurrences(of: "f.npy", with: "g.npy"),
                                                   size: 2, fps: 5, centerCrop: false))
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
