// Imports the committed reduced-table fixtures (made by tools/tf/make_reference.py with the official code).

import Foundation
import MoViNet
import XCTest

final class CheckpointFixtureTests: XCTestCase {
    private func path(_ name: String, _ rel: String) -> String { CheckpointFixtures.dir(name).appendingPathComponent(rel).path }

    func testPrefixIndexFolderAndSavedModelGiveIdenticalTensors() throws {
        for name in ["tiny-base", "tiny-stream"] {
            let prefix = try CheckpointImporter.load(path: path(name, "ckpt/ckpt-1"))
            let index = try CheckpointImporter.load(path: path(name, "ckpt/ckpt-1.index"))
            let folder = try CheckpointImporter.load(path: path(name, "ckpt"))
            let data = try CheckpointImporter.load(path: path(name, "ckpt/ckpt-1.data-00000-of-00001"))
            let saved = try CheckpointImporter.load(path: path(name, "savedmodel"))
            let viaLoader = try ModelLoader.load(path: path(name, "savedmodel"))
            XCTAssertEqual(prefix.format, .checkpoint)
            XCTAssertEqual(saved.format, .savedModel)
            XCTAssertEqual(prefix.flavour, name == "tiny-base" ? Flavour.base : Flavour.stream, name)
            XCTAssertEqual(saved.flavour, prefix.flavour, name)
            XCTAssertGreaterThan(prefix.tensors.count, 100, name)
            for other in [index, folder, data, saved, viaLoader] {
                XCTAssertEqual(Set(other.tensors.keys), Set(prefix.tensors.keys), name)
                for (k, t) in prefix.tensors { XCTAssertEqual(other.tensors[k], t, "\(name) \(k)") }
            }
        }
    }

    func testCanonicalShapesOfTheReducedTable() throws {
        // tools/tf/make_reference.py REDUCED_SPECS: stem 8 (1,3,3); block1: base 16, expand (32, 32),
        // kernels (5,3,3), (3,3,3), first strided; block3 keeps 24 channels (no skip); head 48 → 64 → 10.
        let base = try CheckpointImporter.load(path: path("tiny-base", "ckpt")).tensors
        let stream = try CheckpointImporter.load(path: path("tiny-stream", "ckpt")).tensors
        XCTAssertEqual(base["stem/conv/kernel"]?.shape, [1, 3, 3, 3, 8])
        XCTAssertEqual(stream["stem/conv/kernel"]?.shape, [1, 3, 3, 3, 8])
        XCTAssertEqual(base["block1_layer0/feature/kernel"]?.shape, [5, 3, 3, 32])
        XCTAssertEqual(stream["block1_layer0/feature/kernel"]?.shape, [1, 3, 3, 32])
        XCTAssertEqual(stream["block1_layer0/feature_temporal/kernel"]?.shape, [5, 32])
        XCTAssertNil(stream["block0_layer0/feature_temporal/kernel"])
        XCTAssertEqual(base["block1_layer0/se/reduce/kernel"]?.shape[0], 32)
        XCTAssertEqual(stream["block1_layer0/se/reduce/kernel"]?.shape[0], 64)
        XCTAssertEqual(base["block1_layer0/skip/kernel"]?.shape, [8, 16])
        XCTAssertNil(base["block3_layer0/skip/kernel"])
        XCTAssertEqual(base["head/project/kernel"]?.shape, [32, 48])
        XCTAssertEqual(base["classifier/head/kernel"]?.shape, [48, 64])
        XCTAssertEqual(base["classifier/logits/kernel"]?.shape, [64, 10])
        XCTAssertEqual(base["block4_layer1/rezero/scale"]?.count, 1)
    }

    /// `variables.json` was written by TensorFlow from the live model (shape, sum, first, last value
    /// of every Keras variable): an independent record of what the files must decode to.
    func testDecodedValuesMatchTensorFlowsRecord() throws {
        for name in ["tiny-base", "tiny-stream"] {
            let json = try JSONSerialization.jsonObject(
                with: Data(contentsOf: CheckpointFixtures.dir(name).appendingPathComponent("variables.json"))) as! [String: [String: Any]]
            for rel in ["ckpt/ckpt-1", "savedmodel"] {
                let loc = try CheckpointImporter.locate(path(name, rel))
                let vars = try CheckpointImporter.variables(reader: try BundleReader(prefix: loc.prefix), location: loc)
                XCTAssertEqual(vars.count, json.count, "\(name) \(rel)")
                for v in vars {
                    guard let rec = json[v.kerasName ?? ""] else {
                        XCTFail("\(name) \(rel): \(v.checkpointKey) has Keras name \(v.kerasName ?? "nil") not in the record")
                        continue
                    }
                    XCTAssertEqual(v.tensor.shape, rec["shape"] as? [Int], v.checkpointKey)
                    let sum = v.tensor.data.reduce(0.0) { $0 + Double($1) }
                    let want = rec["sum"] as! Double
                    XCTAssertEqual(sum, want, accuracy: 1e-5 * max(1, rec["abs_sum"] as! Double), v.checkpointKey)
                    // float32 values printed exactly as float64; rounding back to Float absorbs JSON parsing.
                    XCTAssertEqual(v.tensor.data.first!, Float(rec["first"] as! Double), v.checkpointKey)
                    XCTAssertEqual(v.tensor.data.last!, Float(rec["last"] as! Double), v.checkpointKey)
                }
            }
        }
    }

    private func loadError(_ p: String) -> ModelError? {
        do {
            _ = try CheckpointImporter.load(path: p)
            return nil
        } catch let e as ModelError {
            return e
        } catch {
            XCTFail("unexpected error type \(error)")
            return nil
        }
    }

    func testFlippedDataByteIsACRCErrorNamingTheTensor() throws {
        for (name, rel) in [("tiny-base", "ckpt/ckpt-1"), ("tiny-stream", "savedmodel/variables/variables")] {
            let dir = try CheckpointFixtures.copy(name)
            defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
            let prefix = dir.appendingPathComponent(rel).path
            let reader = try BundleReader(prefix: prefix)
            let victim = reader.entries.values.filter { $0.size > 64 && !$0.key.hasPrefix("_") }.sorted { $0.key < $1.key }[3]
            let shard = reader.shardPath(victim.shardID)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
            bytes[victim.offset + victim.size / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: shard))
            let target = rel.hasPrefix("ckpt") ? dir.appendingPathComponent("ckpt").path : dir.appendingPathComponent("savedmodel").path
            let e = try XCTUnwrap(loadError(target), name)
            XCTAssertTrue(e.message.contains("CRC32C"), e.description)
            XCTAssertTrue(e.message.contains(victim.key), e.description)
            XCTAssertEqual(e.path, shard)
        }
    }

    func testTruncatedFilesAreClearErrors() throws {
        let dir = try CheckpointFixtures.copy("tiny-base")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let index = dir.appendingPathComponent("ckpt/ckpt-1.index")
        let original = try Data(contentsOf: index)
        for keep in [0, 10, original.count / 3, original.count - 1] {
            try original.prefix(keep).write(to: index)
            let e = try XCTUnwrap(loadError(dir.appendingPathComponent("ckpt/ckpt-1").path), "kept \(keep)")
            XCTAssertEqual(e.path, index.path)
            XCTAssertTrue(e.message.contains("index"), e.message)
        }
        try original.write(to: index)
        let data = dir.appendingPathComponent("ckpt/ckpt-1.data-00000-of-00001")
        let d = try Data(contentsOf: data)
        try d.prefix(d.count - 100).write(to: data)
        let e = try XCTUnwrap(loadError(dir.appendingPathComponent("ckpt").path))
        XCTAssertEqual(e.path, data.path)
        XCTAssertTrue(e.message.contains("past the end"), e.message)
        try FileManager.default.removeItem(at: data)
        XCTAssertTrue(try XCTUnwrap(loadError(dir.appendingPathComponent("ckpt").path)).message.contains("cannot open"))
    }

    func testLocatingErrors() throws {
        XCTAssertNotNil(loadError("/nonexistent/ckpt-1"))
        let dir = try CheckpointFixtures.copy("tiny-base")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let ckpt = dir.appendingPathComponent("ckpt")
        // Two checkpoints and no state file: ambiguous.
        try FileManager.default.copyItem(at: ckpt.appendingPathComponent("ckpt-1.index"), to: ckpt.appendingPathComponent("ckpt-2.index"))
        try FileManager.default.removeItem(at: ckpt.appendingPathComponent("checkpoint"))
        XCTAssertTrue(try XCTUnwrap(loadError(ckpt.path)).message.contains("several checkpoints"))
        // The state file resolves it.
        try Data("model_checkpoint_path: \"ckpt-1\"\nall_model_checkpoint_paths: \"ckpt-1\"\n".utf8)
            .write(to: ckpt.appendingPathComponent("checkpoint"))
        XCTAssertNoThrow(try CheckpointImporter.load(path: ckpt.path))
        XCTAssertTrue(try XCTUnwrap(loadError(dir.path)).message.contains("no checkpoint"))
    }
}
