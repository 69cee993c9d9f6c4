// A file started before its classifier exists (the CLI's first input, while the model loads):
// the run that adopts it gets the same frames, warnings and errors as opening the file then, and
// only a run of the same input with the same sampling takes them, once.

import Foundation
import XCTest

import MoViNet
import MoViNetKit
import TestSupport
import VideoDecoding

final class EarlyFramesTests: XCTestCase {
    static let model = try! MoViNetModel(RandomWeights.model(id: "a0-stream", classes: 10))

    func classifier(fps: Double = 5) throws -> VideoClassifier {
        try VideoClassifier(model: Self.model, name: "random-a0", options: ClassifierOptions(fps: fps, size: 32, threads: 1))
    }

    /// A copy of the shared GIF in a temporary folder (so that the test can remove it).
    func gifCopy() throws -> (copy: String, original: String) {
        guard let gif = try SharedFiles.url("samples/jumpingjack.gif") else { throw XCTSkip("no shared samples") }
        let copy = try temporaryDirectory(self).appendingPathComponent("clip.gif").path
        try FileManager.default.copyItem(atPath: gif.path, toPath: copy)
        return (copy, gif.path)
    }

    func testTheAdoptingRunReadsTheFramesDecodedBeforeTheClassifierExisted() throws {
        let (copy, original) = try gifCopy()
        let early = try XCTUnwrap(EarlyFrames.start(copy, fps: 5, decoding: DecodingOptions()))
        let info = try early.opened()
        XCTAssertEqual([info.width, info.height], [300, 300])
        // From here the file exists only as the early decoder's open handle.
        try FileManager.default.removeItem(atPath: copy)
        let c = try classifier()
        c.adopt(early)
        let got = try c.classify(copy)
        let expected = try classifier().classify(original)
        XCTAssertEqual(got.frames, 8)
        XCTAssertEqual(got.frames, expected.frames)
        XCTAssertEqual(got.logits, expected.logits)
        XCTAssertEqual(got.top.map(\.index), expected.top.map(\.index))
        // Taken once: the next run opens the (removed) file.
        XCTAssertThrowsError(try c.classify(copy)) { XCTAssertTrue("\($0)".contains(copy), "\($0)") }
    }

    func testOnlyTheSameInputWithTheSameSamplingTakesThem() throws {
        let (copy, _) = try gifCopy()
        let early = try XCTUnwrap(EarlyFrames.start(copy, fps: 5, decoding: DecodingOptions()))
        _ = try early.opened()
        try FileManager.default.removeItem(atPath: copy)
        let other = try classifier(fps: 4)
        other.adopt(early)
        XCTAssertThrowsError(try other.classify(copy), "sampled at 4 fps, not the early 5")
        let c = try classifier()
        c.adopt(early)
        XCTAssertThrowsError(try c.classify(copy + "x"), "another input")
        XCTAssertEqual(try c.classify(copy).frames, 8, "still there for the input it was started for")
    }

    func testStoppedBeforeAdoptionTheRunOpensTheFileItself() throws {
        let (copy, original) = try gifCopy()
        let early = try XCTUnwrap(EarlyFrames.start(copy, fps: 5, decoding: DecodingOptions()))
        early.stop()
        let c = try classifier()
        c.adopt(early)
        XCTAssertEqual(try c.classify(copy).logits, try classifier().classify(original).logits)
        try FileManager.default.removeItem(atPath: copy)
        XCTAssertThrowsError(try c.classify(copy))
    }

    func testAnUndecodableFileFailsAsItWouldHaveWhenOpenedLater() throws {
        let dir = try temporaryDirectory(self)
        let bad = dir.appendingPathComponent("notes.gif").path
        try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: bad))
        let early = try XCTUnwrap(EarlyFrames.start(bad, fps: 5, decoding: DecodingOptions()))
        XCTAssertThrowsError(try early.opened())
        let c = try classifier()
        c.adopt(early)
        var adopted = "", fresh = ""
        XCTAssertThrowsError(try c.classify(bad)) { adopted = "\($0)" }
        XCTAssertThrowsError(try classifier().classify(bad)) { fresh = "\($0)" }
        XCTAssertEqual(adopted, fresh)
        XCTAssertTrue(adopted.hasPrefix(bad), adopted)
    }

    /// Inputs whose bytes would be gone once read, or that are not files, wait for their run.
    func testOnlyLocalRegularFilesToDecodeStartEarly() throws {
        let dir = try temporaryDirectory(self)
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let npy = dir.appendingPathComponent("clip.npy").path
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0]).write(to: URL(fileURLWithPath: npy))
        let gif = dir.appendingPathComponent("clip.gif").path
        try Data("GIF89a".utf8).write(to: URL(fileURLWithPath: gif))
        for input in ["https://example.invalid/clip.mp4", "-", fifo, npy, dir.path, dir.path + "/missing.gif"] {
            XCTAssertNil(EarlyFrames.start(input, fps: 5, decoding: DecodingOptions()), input)
        }
        XCTAssertNil(EarlyFrames.start(gif, fps: 5, decoding: DecodingOptions(inputFormat: "gif")), "-f")
        XCTAssertNotNil(EarlyFrames.start(gif, fps: 5, decoding: DecodingOptions()))
    }
}
