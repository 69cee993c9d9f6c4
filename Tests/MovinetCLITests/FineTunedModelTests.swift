// A fine-tuned N-class stream model end to end through the CLI, as a user runs it:
// `movinet stream --every-frame --model fine.tflite --labels mine.txt clip.mp4`, the labels
// inside the model when --labels is not given, and `class i` with one warning when it has none.

import Foundation
import TestSupport
import XCTest

final class FineTunedModelTests: XCTestCase {
    static let variants = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite/variants")
    static let names = ["waving hand", "clapping", "jumping", "sitting down", "stretching arms"]

    func clip() throws -> String {
        guard let url = try SharedFiles.url("samples/carving_ice.mp4") else { throw XCTSkip("shared samples absent") }
        return url.path
    }

    func testEveryFrameWithOwnLabelFile() throws {
        let dir = try temporaryDirectory(self)
        let mine = dir.appendingPathComponent("mine.txt")
        let mineNames = ["a", "b", "c", "d", "e"].map { "mine \($0)" }
        try (mineNames.joined(separator: "\n") + "\n").write(to: mine, atomically: true, encoding: .utf8)
        let model = Self.variants.appendingPathComponent("micro_int8f.tflite").path
        let r = try Binary.run(["stream", "--every-frame", "--model", model, "--labels", mine.path,
                                "--format", "jsonl", "-k", "2", try clip()])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 22, "one record per sampled frame at 5 fps")
        for line in lines {
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let top = try XCTUnwrap(json["top"] as? [[String: Any]])
            XCTAssertEqual(top.count, 2)
            for entry in top {
                let index = try XCTUnwrap(entry["index"] as? Int)
                XCTAssertEqual(entry["label"] as? String, mineNames[index])
            }
        }
        XCTAssertEqual(r.stderr, "")
    }

    func testLabelsInsideTheModelAreUsed() throws {
        let model = Self.variants.appendingPathComponent("micro_int8f_labels.tflite").path
        let r = try Binary.run(["classify", "--model", model, "--format", "jsonl", "-k", "5", try clip()])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let top = try XCTUnwrap(json["top"] as? [[String: Any]])
        XCTAssertEqual(Set(top.compactMap { $0["label"] as? String }), Set(Self.names))
        XCTAssertNil(json["labels"], "labels are known")
        XCTAssertEqual(r.stderr, "")
    }

    func testNoLabelsGivesClassNumbersAndOneWarning() throws {
        let model = Self.variants.appendingPathComponent("micro_int8f.tflite").path
        let clip = try clip()
        let r = try Binary.run(["classify", "--model", model, "-k", "1", clip, clip])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("class "), r.stdout)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("warning") }
        XCTAssertEqual(warnings.count, 1, r.stderr)
        XCTAssertTrue(warnings.first?.contains("5 classes") ?? false, r.stderr)
    }
}
