// The high-level API: whole inputs (sync and async), the per-frame AsyncSequence (order,
// back-pressure, cancellation, errors after frames, single pass), custom frame sources, and the
// right labels on the shared samples through the real int8 model.

import Foundation
import XCTest

import MoViNet
import MoViNetKit
import TestSupport

/// `count` frames whose pixels all equal (index mod 7) / 7; counts what the producer pulled.
final class CountedFrames: FrameStream, @unchecked Sendable {
    let count: Int
    let frameSize: Int
    private let lock = NSLock()
    private var pulled = 0
    private let onDeinit: (@Sendable () -> Void)?
    init(count: Int, size: Int, onDeinit: (@Sendable () -> Void)? = nil) {
        self.count = count
        frameSize = size
        self.onDeinit = onDeinit
    }
    deinit { onDeinit?() }
    var warnings: [String] { [] }
    var pulls: Int { lock.withLock { pulled } }
    func next() throws -> SampledFrame? {
        let k: Int = lock.withLock { defer { pulled += 1 }; return pulled }
        guard k < count else { return nil }
        return SampledFrame(index: k, timestamp: Double(k) / 5,
                            pixels: [Float](repeating: Float(k % 7) / 7, count: frameSize * frameSize * 3))
    }
}

final class VideoClassifierTests: XCTestCase {
    /// A0 stream with random weights at 32×32: real engine, quick.
    static let streamModel = try! MoViNetModel(RandomWeights.model(id: "a0-stream", classes: 10))
    static let baseModel = try! MoViNetModel(RandomWeights.model(id: "a0-base", classes: 10))

    func classifier(_ model: MoViNetModel = streamModel, window: Int = 50) throws -> VideoClassifier {
        try VideoClassifier(model: model, name: "random-a0",
                            options: ClassifierOptions(size: 32, threads: 1, topK: 3, window: window))
    }

    func testStreamYieldsEveryFrameInOrderAndEndsWithTheClassification() async throws {
        let c = try classifier()
        let source = CountedFrames(count: 12, size: 32)
        let predictions = c.stream(frames: source, name: "counted")
        var got: [FramePrediction] = []
        for try await p in predictions { got.append(p) }
        XCTAssertEqual(got.map(\.index), Array(0..<12))
        XCTAssertEqual(got.map(\.timestamp), (0..<12).map { Double($0) / 5 })
        // The same frames stepped through a runner directly.
        let runner = try MoViNetRunner(model: Self.streamModel, height: 32, width: 32, threads: 1)
        for k in 0..<12 {
            let logits = [Float](repeating: Float(k % 7) / 7, count: 32 * 32 * 3).withUnsafeBufferPointer { runner.step($0) }
            XCTAssertEqual(got[k].logits, logits, "frame \(k)")
            XCTAssertEqual(got[k].probabilities, softmax(logits))
            XCTAssertEqual(got[k].top.map(\.index), topK(softmax(logits), k: 3).map(\.index))
        }
        let final = try XCTUnwrap(predictions.classification)
        XCTAssertEqual(final.frames, 12)
        XCTAssertEqual(final.logits, got[11].logits)
        XCTAssertEqual(final.top, got[11].top)
        XCTAssertEqual(got[0].top[0].label, "class \(got[0].top[0].index)")
    }

    /// The producer never runs more than bufferLimit predictions (plus the frame in progress)
    /// ahead of the consumer, however slowly the consumer reads.
    func testBackPressureBoundsWorkAhead() async throws {
        let c = try classifier()
        let source = CountedFrames(count: 40, size: 32)
        let predictions = c.stream(frames: source, name: "counted", bufferLimit: 2)
        var consumed = 0
        for try await _ in predictions {
            consumed += 1
            if consumed % 10 == 1 {
                // Give the producer every chance to run ahead, then check how far it got.
                var last = -1
                for _ in 0..<200 where source.pulls != last {
                    last = source.pulls
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
            }
            // pulled = frames handed over (≤ consumed + buffered) + the one in progress.
            XCTAssertLessThanOrEqual(source.pulls, consumed + 2 + 1, "after \(consumed) read")
        }
        XCTAssertEqual(consumed, 40)
    }

    func testBreakingOutStopsTheProducer() async throws {
        let c = try classifier()
        let released = expectation(description: "the producer released its source")
        var source: CountedFrames? = CountedFrames(count: 100_000, size: 32, onDeinit: { released.fulfill() })
        let pulls = { [weak source] in source?.pulls ?? -1 }
        var predictions: FramePredictions? = c.stream(frames: source!, name: "endless", bufferLimit: 1)
        source = nil
        var seen = 0
        for try await _ in predictions! {
            seen += 1
            if seen == 3 { break }
        }
        XCTAssertGreaterThan(pulls(), 0)
        predictions = nil
        await fulfillment(of: [released], timeout: 30)
        XCTAssertEqual(seen, 3)
    }

    func testCancellingTheTaskEndsTheSequence() async throws {
        let c = try classifier()
        let released = expectation(description: "the producer released its source")
        let predictions = c.stream(frames: CountedFrames(count: 100_000, size: 32, onDeinit: { released.fulfill() }),
                                   name: "endless", bufferLimit: 1)
        let firstSeen = expectation(description: "a first prediction")
        let task = Task { () -> Int in
            var n = 0
            for try await _ in predictions {
                n += 1
                if n == 1 { firstSeen.fulfill() }
            }
            return n
        }
        await fulfillment(of: [firstSeen], timeout: 30)
        task.cancel()
        let n = try await task.value
        XCTAssertGreaterThanOrEqual(n, 1)
        XCTAssertLessThan(n, 100_000)
        await fulfillment(of: [released], timeout: 30)
    }

    func testASequenceIsIteratedOnce() async throws {
        let c = try classifier()
        let predictions = c.stream(frames: CountedFrames(count: 2, size: 32), name: "two")
        var n = 0
        for try await _ in predictions { n += 1 }
        XCTAssertEqual(n, 2)
        do {
            for try await _ in predictions { XCTFail("a second pass yielded a prediction") }
            XCTFail("a second pass did not throw")
        } catch let error as MoViNetKitError {
            guard case .invalidRequest = error else { return XCTFail("\(error)") }
        }
    }

    func testBaseModelsRefusePerFrameAndClassifyWindows() async throws {
        let c = try classifier(Self.baseModel, window: 4)
        do {
            for try await _ in c.stream(frames: CountedFrames(count: 3, size: 32), name: "x") {}
            XCTFail("no error")
        } catch let error as MoViNetKitError {
            guard case .invalidRequest(let text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("base model"), text)
        }
        // 10 frames in windows of 4: 4 + 4 + 2, each classified as a clip, probabilities averaged.
        let result = try c.classify(frames: CountedFrames(count: 10, size: 32), name: "ten")
        XCTAssertEqual(result.frames, 10)
        XCTAssertEqual(result.windows, 3)
        let runner = try MoViNetRunner(model: Self.baseModel, height: 32, width: 32, threads: 1)
        var mean = [Double](repeating: 0, count: 10)
        for window in [0..<4, 4..<8, 8..<10] {
            let clip = window.flatMap { k in [Float](repeating: Float(k % 7) / 7, count: 32 * 32 * 3) }
            let p = softmax(clip.withUnsafeBufferPointer { runner.classify(clip: $0, frames: window.count) })
            for c in 0..<10 { mean[c] += Double(p[c]) / 3 }
        }
        for c in 0..<10 { XCTAssertEqual(Double(result.probabilities[c]), mean[c], accuracy: 1e-6) }
        XCTAssertEqual(result.top.map(\.index), topK(mean.map(Float.init), k: 3).map(\.index))
    }

    func testBadOptionsAndLabelCountsAreRefused() throws {
        XCTAssertThrowsError(try VideoClassifier(model: Self.streamModel, options: ClassifierOptions(fps: -1)))
        XCTAssertThrowsError(try VideoClassifier(model: Self.streamModel, labels: Labels(names: ["a", "b"])))
        XCTAssertThrowsError(try VideoClassifier(model: "no-such-model", store: .standard(offline: true))) {
            guard case .model(let subject, let problem) = $0 as? MoViNetKitError else { return XCTFail("\($0)") }
            XCTAssertEqual(subject, "no-such-model")
            XCTAssertTrue(problem.contains("no such model id or file"), problem)
        }
    }

    func testMissingAndBadInputsAreTypedInputErrors() async throws {
        let c = try classifier()
        let dir = try temporaryDirectory(self)
        let text = dir.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        for path in [dir.appendingPathComponent("missing.mp4").path, text.path] {
            XCTAssertThrowsError(try classifySync(c, path)) {
                guard case .input(let p, _) = $0 as? MoViNetKitError else { return XCTFail("\($0)") }
                XCTAssertEqual(p, path)
            }
            do {
                for try await _ in c.stream(path) {}
                XCTFail("no error for \(path)")
            } catch let error as MoViNetKitError {
                guard case .input(let p, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
            }
        }
    }

    // MARK: real weights on the shared samples

    func sharedClassifier() throws -> VideoClassifier? {
        guard let model = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else { return nil }
        return try VideoClassifier(model: model.path, labels: labels.path,
                                   options: ClassifierOptions(threads: 1, topK: 3), store: .standard(offline: true))
    }

    func testSharedSamplesGetTheirLabelsSyncAsyncAndFrameByFrame() async throws {
        guard let c = try sharedClassifier() else { throw XCTSkip("../shared is absent") }
        let expected = ["jumpingjack.gif": "jumping jacks", "carving_ice.mp4": "carving ice",
                        "mmaction2_demo.mp4": "arm wrestling"]
        for (name, label) in expected.sorted(by: { $0.key < $1.key }) {
            guard let url = try SharedFiles.url("samples/\(name)") else { continue }
            let sync = try classifySync(c, url.path)
            XCTAssertEqual(sync.top.first?.label, label, name)
            let async = try await c.classify(url)
            XCTAssertEqual(async.logits, sync.logits, name)
            let predictions = c.stream(url)
            var frames = 0
            for try await p in predictions {
                XCTAssertEqual(p.index, frames)
                frames += 1
            }
            XCTAssertEqual(frames, sync.frames, name)
            XCTAssertEqual(predictions.classification?.logits, sync.logits, name)
        }
    }

    func testConcurrentInputsEqualOneAtATime() async throws {
        guard let c = try sharedClassifier() else { throw XCTSkip("../shared is absent") }
        let names = ["jumpingjack.gif", "carving_ice.mp4", "mmaction2_demo.mp4", "jumpingjack.gif"]
        let urls = try names.compactMap { try SharedFiles.url("samples/\($0)") }
        let alone = try urls.map { try classifySync(c, $0.path).logits }
        let together = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (i, url) in urls.enumerated() { group.addTask { (i, try await c.classify(url).logits) } }
            var out = [[Float]](repeating: [], count: urls.count)
            for try await (i, logits) in group { out[i] = logits }
            return out
        }
        XCTAssertEqual(together, alone)
    }
}

/// The blocking `classify` (an async context would otherwise pick the async overload).
func classifySync(_ classifier: VideoClassifier, _ path: String) throws -> Classification {
    try classifier.classify(path)
}
