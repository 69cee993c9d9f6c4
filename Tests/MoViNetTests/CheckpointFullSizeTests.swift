// Full-size A0–A2 checkpoints and SavedModels from tools/tf/parity.py, when they are on this machine.
//
// They live outside the repository (`$MOVINET_TF_FIXTURES`, default `../tf-fixtures`, made by
// `tools/tf/make_reference.py`/`parity.py`); without them these tests skip.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class CheckpointFullSizeTests: XCTestCase {
    private var root: URL {
        if let env = ProcessInfo.processInfo.environment["MOVINET_TF_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return SharedFiles.packageRoot.deletingLastPathComponent().appendingPathComponent("tf-fixtures")
    }

    private static let scalarCounts = ["a0-base": 3_126_071, "a1-base": 4_717_912, "a2-base": 5_280_922,
                                       "a0-stream": 3_765_983, "a1-stream": 6_481_560, "a2-stream": 7_366_050]

    func testAllFormsGiveIdenticalTensors() throws {
        var found = 0
        for (id, count) in Self.scalarCounts.sorted(by: { $0.key < $1.key }) {
            let dir = root.appendingPathComponent(id)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("savedmodel/saved_model.pb").path),
                  FileManager.default.fileExists(atPath: dir.appendingPathComponent("ckpt/ckpt-1.index").path) else { continue }
            found += 1
            let prefix = try CheckpointImporter.load(path: dir.appendingPathComponent("ckpt/ckpt-1").path)
            let folder = try CheckpointImporter.load(path: dir.appendingPathComponent("ckpt").path)
            let saved = try CheckpointImporter.load(path: dir.appendingPathComponent("savedmodel").path)
            XCTAssertEqual(prefix.tensors.values.reduce(0) { $0 + $1.count }, count, id)
            XCTAssertEqual(prefix.flavour, id.hasSuffix("stream") ? Flavour.stream : Flavour.base, id)
            // The exported graph says which gate it computes: sigmoid (base), relu6(x+3)·0.16667 (stream).
            XCTAssertEqual(saved.flavour, prefix.flavour, id)
            let pb = [UInt8](try Data(contentsOf: dir.appendingPathComponent("savedmodel/saved_model.pb")))
            XCTAssertEqual(try SavedModelGraph.gate(savedModel: pb), id.hasSuffix("stream") ? .hardSigmoidRelu6 : .sigmoid, id)
            for other in [folder, saved] {
                XCTAssertEqual(Set(other.tensors.keys), Set(prefix.tensors.keys), id)
                for (k, t) in prefix.tensors where other.tensors[k] != t { XCTFail("\(id): \(k) differs") }
            }
        }
        if found == 0 { throw XCTSkip("no full-size TF fixtures at \(root.path)") }
    }
}
