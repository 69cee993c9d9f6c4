// Tests of the TFLite importer on the TF Hub int8 A0 stream file and on our generated fixtures.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class TFLiteImporterTests: XCTestCase {
    static let fixtures = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite")

    func sharedModel(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("models/\(name)") else { throw XCTSkip("\(name) not in ../shared") }
        return url.path
    }

    func fixture(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }

    /// The A0 stream table (spec §2.3): (layer, in, expand, out, kt, kh, strided).
    static let a0Layers: [(String, Int, Int, Int, Int, Int, Bool)] = [
        ("block0_layer0", 8, 24, 8, 1, 5, true),
        ("block1_layer0", 8, 80, 32, 3, 3, true), ("block1_layer1", 32, 80, 32, 3, 3, false),
        ("block1_layer2", 32, 80, 32, 3, 3, false),
        ("block2_layer0", 32, 184, 56, 5, 3, true), ("block2_layer1", 56, 112, 56, 3, 3, false),
        ("block2_layer2", 56, 184, 56, 3, 3, false),
        ("block3_layer0", 56, 184, 56, 5, 3, false), ("block3_layer1", 56, 184, 56, 3, 3, false),
        ("block3_layer2", 56, 184, 56, 3, 3, false), ("block3_layer3", 56, 184, 56, 3, 3, false),
        ("block4_layer0", 56, 384, 104, 5, 3, true), ("block4_layer1", 104, 280, 104, 1, 5, false),
        ("block4_layer2", 104, 280, 104, 1, 5, false), ("block4_layer3", 104, 344, 104, 1, 5, false),
    ]

    /// Canonical name → shape for the TF Hub A0 stream int8 export (no SE).
    static var a0Expected: [String: [Int]] {
        expected(layers: a0Layers, stemOut: 8, project: 480, hidden: 2048, classes: 600)
    }

    static func expected(layers: [(String, Int, Int, Int, Int, Int, Bool)], stemOut: Int, project: Int,
                         hidden: Int, classes: Int) -> [String: [Int]] {
        let last = layers.last!.3
        var e: [String: [Int]] = [
            "stem/conv/kernel": [1, 3, 3, 3, stemOut], "stem/conv/bias": [stemOut],
            "head/project/kernel": [last, project], "head/project/bias": [project],
            "classifier/head/kernel": [project, hidden], "classifier/head/bias": [hidden],
            "classifier/logits/kernel": [hidden, classes], "classifier/logits/bias": [classes],
        ]
        for (l, i, x, o, kt, k, strided) in layers {
            e["\(l)/expansion/kernel"] = [i, x]; e["\(l)/expansion/bias"] = [x]
            e["\(l)/feature/kernel"] = [1, k, k, x]; e["\(l)/feature/bias"] = [x]
            if kt > 1 { e["\(l)/feature_temporal/kernel"] = [kt, x]; e["\(l)/feature_temporal/bias"] = [x] }
            e["\(l)/projection/kernel"] = [x, o]; e["\(l)/projection/bias"] = [o]
            if strided { e["\(l)/skip/kernel"] = [i, o]; e["\(l)/skip/bias"] = [o] }
            e["\(l)/rezero/scale"] = []
        }
        return e
    }

    /// The reduced table of tools/tflite/make_fixtures.py (SE 2plus3d, hidden = make_divisible(e/2, 8)).
    static let tinyLayers: [(String, Int, Int, Int, Int, Int, Bool)] = [
        ("block0_layer0", 8, 16, 8, 1, 5, true),
        ("block1_layer0", 8, 32, 16, 3, 3, true), ("block1_layer1", 16, 24, 16, 3, 3, false),
        ("block2_layer0", 16, 48, 24, 5, 3, true),
        ("block3_layer0", 24, 40, 24, 3, 3, false),
        ("block4_layer0", 24, 64, 32, 5, 3, true), ("block4_layer1", 32, 48, 32, 1, 5, false),
    ]

    static var tinyExpected: [String: [Int]] {
        var e = expected(layers: tinyLayers, stemOut: 8, project: 48, hidden: 64, classes: 7)
        for (l, _, x, _, _, _, _) in tinyLayers {
            let h = max(8, (x / 2 + 4) / 8 * 8)
            e["\(l)/se/reduce/kernel"] = [2 * x, h]; e["\(l)/se/reduce/bias"] = [h]
            e["\(l)/se/expand/kernel"] = [h, x]; e["\(l)/se/expand/bias"] = [x]
        }
        return e
    }

    func value(_ m: ImportedModel, _ name: String, _ index: [Int]) throws -> Float {
        let t = try XCTUnwrap(m.tensors[name], name)
        XCTAssertEqual(index.count, t.shape.count, name)
        var flat = 0
        for (i, s) in zip(index, t.shape) { flat = flat * s + i }
        return t.data[flat]
    }

    func testInt8FileTensorSetAndShapes() throws {
        let m = try TFLiteImporter.load(path: try sharedModel("movinet_a0_stream_int8.tflite"))
        let shapes = m.tensors.mapValues(\.shape)
        XCTAssertEqual(Set(shapes.keys), Set(Self.a0Expected.keys))
        for (k, s) in Self.a0Expected { XCTAssertEqual(shapes[k], s, k) }
        XCTAssertEqual(m.format, .tflite)
        XCTAssertEqual(m.inputSize, 172)
        XCTAssertEqual(m.flavour, Flavour(conv: .conv2plus1d, se: .none, activation: .relu6, gate: .hardSigmoidRelu6,
                                          classifierActivation: .relu6, causal: true))
    }

    /// Spot values from an independent reader: LiteRT's tensor access, dequantized in numpy
    /// (`../movinet-ref/bin/python tools/tflite/spot_values.py ../shared/models/movinet_a0_stream_int8.tflite`).
    func testInt8FileDequantizedValues() throws {
        let m = try TFLiteImporter.load(path: try sharedModel("movinet_a0_stream_int8.tflite"))
        let expected: [(String, [Int], Float)] = [
            ("stem/conv/kernel", [0, 0, 0, 0, 0], 1.18047236),
            ("stem/conv/kernel", [0, 1, 2, 1, 5], 7.35051823),
            ("stem/conv/bias", [3], 0.99435516),
            ("block1_layer0/feature_temporal/kernel", [2, 17], 0.809954212),
            ("classifier/logits/kernel", [2047, 599], 0.022344538),
            ("classifier/logits/bias", [599], 0.324990936),
            ("classifier/head/bias", [100], 0.0933492054),
            ("block4_layer3/feature/kernel", [0, 4, 3, 343], 0.393509597),
            ("block0_layer0/rezero/scale", [], -2.32976946),
            ("head/project/kernel", [103, 479], -0.0616635527),
            ("block1_layer0/skip/kernel", [7, 31], 0.113758474),
        ]
        for (name, index, v) in expected {
            XCTAssertEqual(try value(m, name, index), v, accuracy: 1e-6 * max(1, abs(v)), "\(name)\(index)")
        }
    }

    /// The dequantized float32 copy of the same graph imports to the same values.
    func testFloatDequantFileMatchesInt8File() throws {
        let q = try TFLiteImporter.load(path: try sharedModel("movinet_a0_stream_int8.tflite"))
        let f = try TFLiteImporter.load(path: try sharedModel("movinet_a0_stream_float_dequant.tflite"))
        XCTAssertEqual(Set(q.tensors.keys), Set(f.tensors.keys))
        XCTAssertEqual(q.flavour, f.flavour)
        XCTAssertEqual(f.inputSize, 172)
        for (k, t) in q.tensors {
            let u = try XCTUnwrap(f.tensors[k])
            XCTAssertEqual(t.shape, u.shape, k)
            let worst = zip(t.data, u.data).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, k)
        }
    }

    // MARK: fixtures in the official stream flavour (tools/tflite/make_fixtures.py)

    func testOfficialFlavourFixturesImport() throws {
        var models: [String: ImportedModel] = [:]
        for kind in ["float32", "float16", "int8w"] {
            let m = try TFLiteImporter.load(path: fixture("tiny_stream_\(kind).tflite"))
            XCTAssertEqual(m.flavour, .stream, kind)
            XCTAssertEqual(m.inputSize, 32, kind)
            XCTAssertEqual(m.tensors["classifier/logits/kernel"]?.shape, [64, 7], kind)
            XCTAssertEqual(m.tensors["block0_layer0/se/reduce/kernel"]?.shape, [32, 8], kind)  // 2e = 32
            XCTAssertNil(m.tensors["block3_layer0/skip/kernel"], kind)   // identity residual
            XCTAssertEqual(m.tensors["block2_layer0/feature_temporal/kernel"]?.shape, [5, 48], kind)
            models[kind] = m
        }
        let f32 = try XCTUnwrap(models["float32"])
        XCTAssertEqual(Set(f32.tensors.keys), Set(Self.tinyExpected.keys))
        for (k, s) in Self.tinyExpected { XCTAssertEqual(f32.tensors[k]?.shape, s, k) }
        for kind in ["float16", "int8w"] {
            let m = try XCTUnwrap(models[kind])
            XCTAssertEqual(Set(m.tensors.keys), Set(f32.tensors.keys), kind)
            // float16: relative rounding ≤ 2⁻¹¹; int8 per channel: ≤ half a step of max|w|/127.
            for (k, t) in f32.tensors {
                let u = try XCTUnwrap(m.tensors[k])
                let peak = t.data.map(abs).max() ?? 0
                // The SE expand bias is stored as b + 3 (the folded hard-sigmoid offset), so its
                // float16 rounding is that of 3: half an ulp = 2⁻¹¹·2 ≈ 9.8e-4, absolute.
                let folded = kind == "float16" && k.hasSuffix("se/expand/bias")
                for (a, b) in zip(t.data, u.data) {
                    let tol: Float = folded ? 0.000977 : kind == "float16" ? 1e-3 * max(abs(a), 1e-2) : peak / 127
                    XCTAssertEqual(a, b, accuracy: tol, "\(kind) \(k)")
                }
            }
        }
    }

    /// Values the export does not fold (SE and classifier convs, ReZero) equal the Keras variables
    /// recorded by the generator (`<prefix>.keras.json`) — including the SE expand bias, which
    /// the converter stores + 3.
    func testFixtureValuesMatchKeras() throws {
        let json = try Data(contentsOf: URL(fileURLWithPath: fixture("tiny_stream.keras.json")))
        let vars = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: [String: Any]])
        try compare(fixture("tiny_stream_float32.tflite"), keras: vars, pairs: [
            ("block0_layer0/se/expand/bias", "block0_layer0/bneck/se/se_expand/*bias:0"),
            ("block0_layer0/se/reduce/kernel", "block0_layer0/bneck/se/se_reduce/*kernel:0"),
            ("block4_layer1/se/expand/bias", "block4_layer1/bneck/se/se_expand/*bias:0"),
            ("block4_layer1/rezero/scale", "block4_layer1/*scale:0"),
            ("classifier/logits/bias", "classifier_head/classifier/*bias:0"),
            ("classifier/head/bias", "classifier_head/head/*bias:0"),
            ("classifier/logits/kernel", "classifier_head/classifier/*kernel:0"),
        ])
    }

    /// The classic-Keras gate clamp(0.2x + 0.5, 0, 1): the converter folds 0.2 and 0.5 into the SE
    /// expand conv; the importer recovers the Keras kernel and bias.
    func testLinearGateFixture() throws {
        let path = fixture("micro_linear_gate_float32.tflite")
        let m = try TFLiteImporter.load(path: path)
        XCTAssertEqual(m.flavour, Flavour(conv: .conv2plus1d, se: .se2plus3d, activation: .hardSwish,
                                          gate: .hardSigmoidLinear, classifierActivation: .swish, causal: true))
        XCTAssertEqual(m.tensors["classifier/logits/bias"]?.shape, [3])
        let json = try Data(contentsOf: URL(fileURLWithPath: fixture("micro_linear_gate.keras.json")))
        let vars = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: [String: Any]])
        try compare(path, keras: vars, pairs: [
            ("block0_layer0/se/expand/bias", "block0_layer0/bneck/se/se_expand/*bias:0"),
            ("block0_layer0/se/expand/kernel", "block0_layer0/bneck/se/se_expand/*kernel:0"),
            ("block4_layer0/se/expand/bias", "block4_layer0/bneck/se/se_expand/*bias:0"),
            ("block4_layer0/se/expand/kernel", "block4_layer0/bneck/se/se_expand/*kernel:0"),
        ])
    }

    func compare(_ path: String, keras vars: [String: [String: Any]], pairs: [(String, String)]) throws {
        func keras(_ pattern: String) throws -> [Float] {
            let parts = pattern.split(separator: "*").map(String.init)
            let hits = vars.filter { v in v.key.hasPrefix(parts[0]) && v.key.hasSuffix(parts[1]) }
            XCTAssertEqual(hits.count, 1, pattern)
            let v = try XCTUnwrap(hits.first?.value)
            return ((v["first"] as? [Double]) ?? []).map(Float.init) + [Float(v["last"] as? Double ?? .nan)]
        }
        let m = try TFLiteImporter.load(path: path)
        func ours(_ name: String) throws -> [Float] {
            let t = try XCTUnwrap(m.tensors[name], name)
            return Array(t.data.prefix(4)) + [t.data.last!]
        }
        for (name, suffix) in pairs {
            let k = try keras(suffix)
            let o = try ours(name)
            XCTAssertEqual(o.count, k.count, name)
            for (a, b) in zip(o, k) { XCTAssertEqual(a, b, accuracy: 1e-6, name) }
        }
    }

    // MARK: refusals and damaged files

    func testImageClassifierIsRefused() throws {
        let path = fixture("image_classifier.tflite")
        XCTAssertThrowsError(try TFLiteImporter.load(path: path)) { error in
            let e = error as? ModelError
            XCTAssertEqual(e?.path, path)
            XCTAssertTrue(e?.message.contains("not a MoViNet") ?? false, "\(error)")
        }
    }

    /// Buffers addressed by Buffer.offset/size (data after the flatbuffer) are read and bounds-checked:
    /// the file parses up to the MoViNet check, and cutting into its last buffer is reported.
    func testExternalBufferOffsets() throws {
        let path = fixture("image_classifier_offsets.tflite")
        XCTAssertThrowsError(try TFLiteImporter.load(path: path)) { error in
            XCTAssertTrue((error as? ModelError)?.message.contains("not a MoViNet") ?? false, "\(error)")
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertThrowsError(try TFLiteImporter.load(bytes: Array(bytes.dropLast(100)), path: path)) { error in
            let e = error as? ModelError
            XCTAssertEqual(e?.path, path)
            XCTAssertTrue(e?.message.contains("external buffer") ?? false, "\(error)")
        }
    }

    /// An operator outside MoViNet's set is refused: HARD_SWISH (117) patched to TANH (28) in the
    /// micro fixture's operator code table. Byte positions of OperatorCode 2 (deprecated_builtin_code
    /// at 84903, builtin_code at 84896) were read with the flatbuffers Python schema module
    /// (`OperatorCodes(2)._tab.Pos + _tab.Offset(4 / 10)`).
    func testUnsupportedOperatorIsRefused() throws {
        let path = fixture("micro_linear_gate_float32.tflite")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes[84903], 117)
        XCTAssertEqual(bytes[84896..<84900], [117, 0, 0, 0])
        bytes[84903] = 28
        bytes[84896] = 28
        XCTAssertThrowsError(try TFLiteImporter.load(bytes: bytes, path: path)) { error in
            let message = (error as? ModelError)?.message ?? ""
            XCTAssertTrue(message.contains("unsupported operator") && message.contains("code 28"), "\(error)")
        }
    }

    /// A conv that belongs to no MoViNet unit is an error naming it (here `head/project` renamed).
    func testUnnamedWeightIsRefused() throws {
        let path = fixture("micro_linear_gate_float32.tflite")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = Array("head/project".utf8)
        var replaced = 0
        for i in 0..<(bytes.count - needle.count) where Array(bytes[i..<(i + needle.count)]) == needle {
            bytes[i + 5] = UInt8(ascii: "P")
            replaced += 1
        }
        XCTAssertGreaterThan(replaced, 0)
        XCTAssertThrowsError(try TFLiteImporter.load(bytes: bytes, path: path)) { error in
            let message = (error as? ModelError)?.message ?? ""
            XCTAssertTrue(message.contains("head/Project") && message.contains("does not belong to a MoViNet layer"),
                          "\(error)")
        }
    }

    func testNonTFLiteFileIsRefused() throws {
        let path = fixture("README.md")
        XCTAssertThrowsError(try TFLiteImporter.load(path: path)) { error in
            let e = error as? ModelError
            XCTAssertEqual(e?.path, path)
            XCTAssertTrue(e?.message.contains("not a TFLite file") ?? false, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
        XCTAssertThrowsError(try TFLiteImporter.load(path: fixture("no_such_file.tflite")))
    }

    /// Every truncation throws a ModelError naming the file (the weights sit at the end, so no
    /// prefix is a complete model).
    func testTruncatedFilesThrow() throws {
        let path = fixture("tiny_stream_float16.tflite")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var lengths = Array(0..<64) + Array(stride(from: 64, to: bytes.count, by: 1009)) + [bytes.count - 1]
        lengths.append(contentsOf: (1...16).map { bytes.count - $0 * 7 })
        for n in lengths {
            XCTAssertThrowsError(try TFLiteImporter.load(bytes: Array(bytes[0..<n]), path: path), "length \(n)") { error in
                XCTAssertEqual((error as? ModelError)?.path, path)
            }
        }
    }

    /// Random bit flips either import or throw a ModelError — never crash.
    func testBitFlipsNeverCrash() throws {
        let path = fixture("tiny_stream_float16.tflite")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SplitMix(seed: 42)
        var thrown = 0
        for trial in 0..<400 {
            var b = bytes
            // Flips concentrated in the metadata (first 16 KB: tables, vtables, offsets) half the time.
            let range = trial % 2 == 0 ? min(16384, b.count) : b.count
            for _ in 0..<(1 + trial % 3) {
                let i = Int(rng.next() % UInt64(range))
                b[i] ^= UInt8(1 << (rng.next() % 8))
            }
            do {
                _ = try TFLiteImporter.load(bytes: b, path: path)
            } catch let e as ModelError {
                XCTAssertEqual(e.path, path)
                thrown += 1
            }
        }
        XCTAssertGreaterThan(thrown, 0)
    }
}

/// A tiny deterministic generator for the fuzz tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
