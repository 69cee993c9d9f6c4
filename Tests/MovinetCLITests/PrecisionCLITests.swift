// --precision through the built binary: int8 by default for the int8 TFLite file, the JSON
// records and bench saying which ran, and int8 refused (exit 3, one line) where it cannot run.

import Foundation
import TestSupport
import XCTest

final class PrecisionCLITests: XCTestCase {
    func files() throws -> (model: String, labels: String, gif: String) {
        guard let m = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let l = try SharedFiles.url("labels/kinetics600_labels.txt"),
              let g = try SharedFiles.url("samples/jumpingjack.gif") else { throw XCTSkip("shared files not available") }
        return (m.path, l.path, g.path)
    }

    func testRecordsSayWhichPrecisionRan() throws {
        let f = try files()
        for (flag, expected) in [([String](), "int8"), (["--precision", "int8"], "int8"), (["--precision", "float"], "float")] {
            let r = try Binary.run(["classify", "--model", f.model, "--labels", f.labels, "--format", "jsonl", "--top-k", "1"]
                                   + flag + [f.gif])
            XCTAssertEqual(r.status, 0, r.stderr)
            let record = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            XCTAssertEqual(record?["precision"] as? String, expected, "\(flag)")
            let top = (record?["top"] as? [[String: Any]])?.first
            XCTAssertEqual(top?["label"] as? String, "jumping jacks")
        }
        // Another size than the file's runs in float under auto, and is refused for int8.
        let sized = try Binary.run(["classify", "--model", f.model, "--labels", f.labels, "--format", "jsonl", "--size", "160", f.gif])
        XCTAssertEqual(sized.status, 0, sized.stderr)
        XCTAssertTrue(sized.stdout.contains("\"precision\":\"float\""), sized.stdout)
        let refused = try Binary.run(["classify", "--model", f.model, "--labels", f.labels, "--size", "160", "--precision", "int8", f.gif])
        XCTAssertEqual(refused.status, 3)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.contains("--precision int8 runs at the file's 172×172 only"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
    }

    func testInt8RefusedForFloatModelsAndBenchReportsPrecision() throws {
        let f = try files()
        let refused = try Binary.run(["bench", "--random", "a0-stream", "--precision", "int8", "--frames", "2"])
        XCTAssertEqual(refused.status, 3)
        XCTAssertTrue(refused.stderr.contains("no int8 activations"), refused.stderr)
        let bench = try Binary.run(["bench", "--model", f.model, "--frames", "3", "--format", "json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(doc?["precision"] as? String, "int8")
        XCTAssertNotNil(doc?["kernels"] as? String)
        let portable = try Binary.run(["bench", "--model", f.model, "--frames", "3", "--format", "json"],
                                      environment: ["MOVINET_KERNELS": "portable"])
        XCTAssertEqual(portable.status, 0, portable.stderr)
        XCTAssertTrue(portable.stdout.contains("\"kernels\":\"portable\""), portable.stdout)
    }

    /// End to end, the default int8 path prints LiteRT's logits exactly (written as the shortest
    /// decimal that reads back as the same float32) for the reference frames fed as .npy.
    func testNpyInputGivesLiteRTLogitsExactly() throws {
        let f = try files()
        guard let frames = try SharedFiles.url("reference/jumpingjack.gif.frames172.u8"),
              let logitsURL = try SharedFiles.url("reference/jumpingjack.gif.litert_a0_stream_int8.logits.f32")
        else { throw XCTSkip("no reference") }
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (13, 172, 172, 3), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        npy += try Data(contentsOf: frames)
        let npyURL = FileManager.default.temporaryDirectory.appendingPathComponent("int8-\(UUID().uuidString).npy")
        try npy.write(to: npyURL)
        defer { try? FileManager.default.removeItem(at: npyURL) }
        let r = try Binary.run(["stream", "--model", f.model, "--labels", f.labels, "--every-frame", "--format", "jsonl",
                                "--logits", npyURL.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["frame"] != nil }
        XCTAssertEqual(rows.count, 13)
        let reference = try Data(contentsOf: logitsURL).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var differing = 0
        for (t, row) in rows.enumerated() {
            let logits = (row["logits"] as? [NSNumber])?.map(\.floatValue) ?? []
            XCTAssertEqual(logits.count, 600)
            differing += zip(logits, reference[(t * 600)..<((t + 1) * 600)]).filter { $0 != $1 }.count
        }
        XCTAssertEqual(differing, 0)
    }
}
