// The name mapping against the full A0/A1/A2 base/stream variable listings made with the official code.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class CheckpointListingTests: XCTestCase {
    /// (checkpoint key, shape, Keras name) rows of `reference/tf/vars-<model>-<kind>-<ckpt|savedmodel>.txt`.
    private func listing(_ name: String) throws -> [(key: String, shape: [Int], keras: String)] {
        guard let url = try SharedFiles.url("reference/tf/vars-\(name).txt") else {
            throw XCTSkip("shared reference/tf listings not present")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let shape = cols[1].trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
                .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return (cols[0], shape, cols[2])
        }
    }

    /// What the importer would see for that listing: object paths from Model Garden keys, none for
    /// SavedModel positional keys (there the Keras name is all there is).
    private func variables(_ name: String) throws -> [CheckpointVariable] {
        let suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
        return try listing(name).filter { !CheckpointMapping.isBookkeeping($0.key) }.map { row in
            let path: [String]? = row.key.hasPrefix("variables/") ? nil
                : row.key.replacingOccurrences(of: suffix, with: "").split(separator: "/").map(String.init)
            let n = row.shape.reduce(1, *)
            // Distinct values per variable so a mix-up between two same-shaped tensors shows.
            let seed = Float(abs(row.keras.hashValue % 1000))
            return CheckpointVariable(checkpointKey: row.key, objectPath: path, kerasName: row.keras,
                                      tensor: Tensor(shape: row.shape, data: [Float](repeating: seed, count: n)))
        }
    }

    private static let scalarCounts = ["a0-base": 3_126_071, "a1-base": 4_717_912, "a2-base": 5_280_922,
                                       "a0-stream": 3_765_983, "a1-stream": 6_481_560, "a2-stream": 7_366_050]
    private static let layerCounts = ["a0": 15, "a1": 24, "a2": 26]

    func testAllSixListingsMapToTheSameCanonicalSetFromCheckpointAndSavedModel() throws {
        for model in ["a0", "a1", "a2"] {
            for kind in ["base", "stream"] {
                let id = "\(model)-\(kind)"
                let (ck, ckStream) = try CheckpointMapping.canonicalTensors(try variables("\(id)-ckpt"), source: id)
                let (sm, smStream) = try CheckpointMapping.canonicalTensors(try variables("\(id)-savedmodel"), source: id)
                XCTAssertEqual(ckStream, kind == "stream", id)
                XCTAssertEqual(smStream, kind == "stream", id)
                XCTAssertEqual(ck.count, try variables("\(id)-ckpt").count, "\(id): one canonical tensor per variable")
                XCTAssertEqual(Set(ck.keys), Set(sm.keys), id)
                for (k, t) in ck { XCTAssertEqual(sm[k]?.shape, t.shape, "\(id) \(k)") }
                XCTAssertEqual(ck.values.reduce(0) { $0 + $1.count }, Self.scalarCounts[id], id)
                XCTAssertEqual(ck.values.reduce(0) { $0 + $1.count }, sm.values.reduce(0) { $0 + $1.count }, id)
                let layers = Set(ck.keys.compactMap { k -> String? in
                    let p = String(k.split(separator: "/")[0])
                    return p.hasPrefix("block") ? p : nil
                })
                XCTAssertEqual(layers.count, Self.layerCounts[model], id)
                XCTAssertEqual(ck.keys.filter { $0.hasSuffix("rezero/scale") }.count, Self.layerCounts[model], id)
                // Shapes and placement, from the spec's tables (§2.2, §3.1).
                switch id {
                case "a0-base":
                    XCTAssertEqual(ck["stem/conv/kernel"]?.shape, [1, 3, 3, 3, 8])
                    XCTAssertEqual(ck["block0_layer0/feature/kernel"]?.shape, [1, 5, 5, 24])
                    XCTAssertEqual(ck["block2_layer0/feature/kernel"]?.shape, [5, 3, 3, 184])
                    XCTAssertEqual(ck["block0_layer0/se/reduce/kernel"]?.shape, [24, 8])
                    XCTAssertEqual(ck["block0_layer0/skip/kernel"]?.shape, [8, 8])
                    XCTAssertNil(ck["block3_layer0/skip/kernel"])
                    XCTAssertEqual(ck["head/project/kernel"]?.shape, [104, 480])
                    XCTAssertEqual(ck["classifier/head/kernel"]?.shape, [480, 2048])
                    XCTAssertEqual(ck["classifier/logits/kernel"]?.shape, [2048, 600])
                    XCTAssertEqual(ck["block0_layer0/rezero/scale"]?.shape, [])
                    XCTAssertFalse(ck.keys.contains { $0.contains("feature_temporal") })
                case "a0-stream":
                    XCTAssertEqual(ck["stem/conv/kernel"]?.shape, [1, 3, 3, 3, 8])
                    XCTAssertEqual(ck["block0_layer0/feature/kernel"]?.shape, [1, 5, 5, 24])
                    XCTAssertNil(ck["block0_layer0/feature_temporal/kernel"])
                    XCTAssertEqual(ck["block2_layer0/feature/kernel"]?.shape, [1, 3, 3, 184])
                    XCTAssertEqual(ck["block2_layer0/feature_temporal/kernel"]?.shape, [5, 184])
                    XCTAssertEqual(ck["block2_layer0/feature_temporal/bn/gamma"]?.shape, [184])
                    XCTAssertEqual(ck["block0_layer0/se/reduce/kernel"]?.shape, [48, 16])
                    XCTAssertEqual(ck["classifier/logits/bias"]?.shape, [600])
                default: break
                }
            }
        }
    }

    func testCheckpointAndSavedModelAgreeOnValuesThroughKerasNames() throws {
        // Same Keras name → same synthetic values → the canonical tensors must agree value for value,
        // although one side is mapped from object paths and the other from names alone.
        let (ck, _) = try CheckpointMapping.canonicalTensors(try variables("a1-stream-ckpt"), source: "ck")
        let (sm, _) = try CheckpointMapping.canonicalTensors(try variables("a1-stream-savedmodel"), source: "sm")
        for (k, t) in ck { XCTAssertEqual(sm[k], t, k) }
    }

    private func mappingError(_ vars: [CheckpointVariable]) -> String {
        do {
            _ = try CheckpointMapping.canonicalTensors(vars, source: "src")
            return "no error"
        } catch let e as ModelError {
            XCTAssertEqual(e.path, "src")
            return e.message
        } catch { return "\(error)" }
    }

    func testStrictMappingNamesWhatIsWrong() throws {
        let all = try variables("a0-base-ckpt")
        // Missing.
        let i = all.firstIndex { $0.kerasName == "block2_layer1/bneck/feature/bn/moving_variance" }!
        var missing = all
        missing.remove(at: i)
        XCTAssertTrue(mappingError(missing).contains("block2_layer1/feature/bn/moving_variance"), mappingError(missing))
        // Unknown.
        var unknown = all
        unknown.append(CheckpointVariable(checkpointKey: "model/layer_with_weights-0/layer_with_weights-3/_extra/w",
                                          objectPath: ["model", "layer_with_weights-0", "layer_with_weights-3", "_extra", "w"],
                                          kerasName: "block1_layer0/bneck/extra/w", tensor: Tensor(zeros: [3])))
        XCTAssertTrue(mappingError(unknown).contains("_extra/w"), mappingError(unknown))
        var stranger = all
        stranger.append(CheckpointVariable(checkpointKey: "model/dense/kernel", objectPath: ["model", "dense", "kernel"],
                                           kerasName: "dense/kernel", tensor: Tensor(zeros: [3])))
        XCTAssertTrue(mappingError(stranger).contains("dense/kernel"), mappingError(stranger))
        // Mis-shaped.
        var bad = all
        let j = all.firstIndex { $0.kerasName == "block1_layer2/bneck/expansion/conv3d/kernel" }!
        bad[j].tensor = Tensor(zeros: [1, 3, 1, 32, 80])
        XCTAssertTrue(mappingError(bad).contains("block1_layer2/expansion/kernel"), mappingError(bad))
        // A scalar more than the official A0 base: the §5.4 checksum.
        var extra = all
        let k = all.firstIndex { $0.kerasName == "classifier_head/classifier/conv3d/bias" }!
        extra[k].tensor = Tensor(zeros: [601])
        XCTAssertTrue(mappingError(extra).contains("3126072"), mappingError(extra))
        // Two variables onto one name.
        var dup = all
        dup.append(all[i])
        XCTAssertTrue(mappingError(dup).contains("both map to"), mappingError(dup))
    }

    func testThreeDTwoPlusOneDKernelsConvert() throws {
        // The stream training format stores 5-D kernels (spec §3.1): spatial [1,kh,kw,1,e],
        // temporal [kt,1,1,1,e], 1×1 [1,1,1,in,out]. Rewrite the A0 stream listing that way.
        let vars = try variables("a0-stream-ckpt").map { v -> CheckpointVariable in
            var v = v
            let s = v.tensor.shape
            if s.count == 4 && s[3] == 1 && !(v.kerasName ?? "").contains("temporal") {
                v.tensor = Tensor(shape: [1, s[0], s[1], 1, s[2]], data: v.tensor.data)  // [kh,kw,e,1] → [1,kh,kw,1,e]
            } else if s.count == 4 && s[3] == 1 {
                v.tensor = Tensor(shape: [s[0], 1, 1, 1, s[2]], data: v.tensor.data)
            } else if s.count == 4 {
                v.tensor = Tensor(shape: [1] + s, data: v.tensor.data)
            }
            // Conv3D paths: `_conv/kernel`, `_conv_temporal/kernel` (no inner Keras Conv2D `_conv`).
            if var path = v.objectPath {
                var out: [String] = []
                for c in path where !(c == "_conv" && (out.last == "_conv" || out.last == "_conv_temporal")) { out.append(c) }
                if out.last == "depthwise_kernel" { out[out.count - 1] = "kernel" }
                path = out
                v.objectPath = path
            }
            return v
        }
        let (t, stream) = try CheckpointMapping.canonicalTensors(vars, source: "3d_2plus1d")
        let (ref, _) = try CheckpointMapping.canonicalTensors(try variables("a0-stream-ckpt"), source: "2plus1d")
        XCTAssertTrue(stream)
        XCTAssertEqual(t, ref)
        XCTAssertTrue(vars.contains { $0.objectPath?.suffix(3) == ["_feature", "_conv_temporal", "kernel"] })
    }
}
