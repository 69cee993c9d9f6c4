// End to end through the built binary with real decoding and inference (needs the decoder and
// the engine): the model comes from the store via a local server, then the samples, batches with
// failures, folders, stdin lists, shards, --jobs, .npy inputs, --every-frame and --plot.

import Foundation
import XCTest

import TestSupport

final class CLIE2ETests: XCTestCase {
    var cache: URL!
    var server: TestHTTPServer!
    var env: [String: String] = [:]

    /// Serves the shared model and labels under their store file names; every test gets a fresh
    /// cache filled on first use through MOVINET_MODEL_BASE_URL.
    override func setUpWithError() throws {
        guard let model = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no shared files") }
        let root = try temporaryDirectory(self)
        try FileManager.default.copyItem(at: model, to: root.appendingPathComponent("movinet_a0_stream_int8.tflite"))
        try FileManager.default.copyItem(at: labels, to: root.appendingPathComponent("kinetics_600_labels.txt"))
        server = try TestHTTPServer(root: root, test: self)
        cache = try temporaryDirectory(self).appendingPathComponent("cache")
        env = ["MOVINET_CACHE": cache.path, "MOVINET_MODEL_BASE_URL": server.base("good").absoluteString]
    }

    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no sample \(name)") }
        return url.path
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw XCTSkip("not an object: \($0)")
            }
            return o
        }
    }

    func top1(_ record: [String: Any]) -> (String, Double)? {
        guard let t = (record["top"] as? [[String: Any]])?.first, let l = t["label"] as? String,
              let p = (t["probability"] as? NSNumber)?.doubleValue else { return nil }
        return (l, p)
    }

    func testSamplesWithDefaultsDownloadOnceThenStayOffTheNetwork() throws {
        let files = try ["jumpingjack.gif", "carving_ice.mp4", "mmaction2_demo.mp4"].map(sample)
        let r = try Binary.run(["classify", "--format", "jsonl"] + files, environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let records = try jsonLines(r.stdout)
        XCTAssertEqual(records.map { $0["file"] as? String }, files)
        guard records.count == 3 else { return XCTFail("expected 3 records: \(r.stderr)") }
        XCTAssertEqual(top1(records[0])?.0, "jumping jacks")
        XCTAssertGreaterThanOrEqual(top1(records[0])?.1 ?? 0, 0.9)
        XCTAssertEqual(top1(records[1])?.0, "carving ice")
        XCTAssertEqual(top1(records[2])?.0, "arm wrestling")
        XCTAssertEqual(server.requests.sorted(), ["/good/kinetics_600_labels.txt", "/good/movinet_a0_stream_int8.tflite"])
        XCTAssertTrue(r.stderr.contains("downloading a0-stream-int8"), r.stderr)
        // Second run: same output, no request, and --offline works.
        let again = try Binary.run(["classify", "--format", "jsonl", "--offline"] + files, environment: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, r.stdout)
        XCTAssertEqual(server.requests.count, 2)
    }

    func testBatchWithCorruptAndMissingFilesKeepsFiveRecordsInOrder() throws {
        let dir = try temporaryDirectory(self)
        let corrupt = dir.appendingPathComponent("corrupt.mp4")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: try sample("carving_ice.mp4"))).prefix(2000)
        bytes.replaceSubrange(100..<2000, with: Data(repeating: 0xAB, count: 1900))
        try bytes.write(to: corrupt)
        let inputs = [try sample("jumpingjack.gif"), corrupt.path, try sample("carving_ice.mp4"),
                      dir.appendingPathComponent("missing.gif").path, try sample("mmaction2_demo.mp4")]
        let jsonl = try Binary.run(["classify", "--format", "jsonl"] + inputs, environment: env)
        XCTAssertEqual(jsonl.status, 1, jsonl.stderr)
        let records = try jsonLines(jsonl.stdout)
        XCTAssertEqual(records.count, 5)
        XCTAssertEqual(records.map { $0["file"] as? String }, inputs)
        XCTAssertEqual(records.map { $0["error"] != nil }, [false, true, false, true, false])
        XCTAssertTrue(jsonl.stderr.contains("movinet: \(inputs[3]): "), jsonl.stderr)
        let csv = try Binary.run(["classify", "--format", "csv"] + inputs, environment: env)
        XCTAssertEqual(csv.status, 1)
        let lines = csv.stdout.split(separator: "\n")
        guard lines.count == 6 else { return XCTFail("expected 6 CSV lines, got \(lines.count): \(csv.stderr)") }
        XCTAssertTrue(lines[0].hasPrefix("file,frames,error,warnings,label_1,probability_1"))
        XCTAssertEqual(lines.dropFirst().map { String($0.split(separator: ",")[0]) }, inputs)
        XCTAssertEqual(lines.filter { $0.hasPrefix("file,") }.count, 1)
        let json = try Binary.run(["classify", "--format", "json"] + inputs, environment: env)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any])?.count, 5)
    }

    /// Copies of the samples in a folder tree, in a known sorted order.
    func sampleTree(copies: Int = 1) throws -> (URL, [String]) {
        let dir = try temporaryDirectory(self)
        var listed: [String] = []
        for c in 0..<copies {
            for (i, name) in ["jumpingjack.gif", "carving_ice.mp4", "mmaction2_demo.mp4"].enumerated() {
                let sub = dir.appendingPathComponent(String(format: "d%02d", c))
                try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
                let target = sub.appendingPathComponent("\(i)-\(name)")
                try FileManager.default.copyItem(atPath: try sample(name), toPath: target.path)
                listed.append(target.path)
            }
        }
        try Data("not media".utf8).write(to: dir.appendingPathComponent("README.txt"))
        return (dir, listed.sorted())
    }

    func testFolderAndStdinListGiveTheSameResultsAsTheFiles() throws {
        let (dir, files) = try sampleTree()
        let direct = try Binary.run(["classify", "--format", "jsonl"] + files, environment: env)
        XCTAssertEqual(direct.status, 0, direct.stderr)
        let folder = try Binary.run(["classify", "--format", "jsonl", dir.path], environment: env)
        XCTAssertEqual(folder.stdout, direct.stdout)
        let stdin = try Binary.run(["classify", "--format", "jsonl", "-"], stdin: files.joined(separator: "\n") + "\n",
                                   environment: env)
        XCTAssertEqual(stdin.stdout, direct.stdout)
    }

    func testShardsCoverEveryInputExactlyOnceAndJobsDoNotChangeOutput() throws {
        let (dir, files) = try sampleTree(copies: 7)          // 21 inputs
        XCTAssertEqual(files.count, 21)
        var seen: [String] = []
        for k in 1...3 {
            let r = try Binary.run(["classify", "--format", "jsonl", "--shard", "\(k)/3", dir.path], environment: env)
            XCTAssertEqual(r.status, 0, r.stderr)
            seen += try jsonLines(r.stdout).compactMap { $0["file"] as? String }
        }
        XCTAssertEqual(seen.sorted(), files)
        let twenty = Array(files.prefix(20))
        let one = try Binary.run(["classify", "--format", "jsonl", "--jobs", "1"] + twenty, environment: env)
        let two = try Binary.run(["classify", "--format", "jsonl", "--jobs", "2"] + twenty, environment: env)
        XCTAssertEqual(one.status, 0)
        XCTAssertEqual(two.status, 0)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 20)
        XCTAssertEqual(two.stdout, one.stdout)
        let everyOne = try Binary.run(["stream", "--every-frame", "--format", "csv", "-j", "1"] + twenty, environment: env)
        let everyTwo = try Binary.run(["stream", "--every-frame", "--format", "csv", "-j", "2"] + twenty, environment: env)
        XCTAssertEqual(everyTwo.stdout, everyOne.stdout)
    }

    /// The reference model-input frames fed as a .npy array give the float reference's logits
    /// (`--precision float`; the int8 default is checked against LiteRT in PrecisionCLITests).
    func testNpyInputMatchesTheReferenceLogitsFrameByFrame() throws {
        guard let frames = try SharedFiles.url("reference/jumpingjack.gif.frames172.u8"),
              let logitsURL = try SharedFiles.url("reference/jumpingjack.gif.float_dequant_a0_stream_int8.logits.f32")
        else { throw XCTSkip("no reference") }
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (13, 172, 172, 3), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        npy += try Data(contentsOf: frames)
        let npyURL = try temporaryDirectory(self).appendingPathComponent("jj.npy")
        try npy.write(to: npyURL)
        let r = try Binary.run(["stream", "--every-frame", "--format", "jsonl", "--logits", "--precision", "float", npyURL.path],
                               environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try jsonLines(r.stdout)
        XCTAssertEqual(rows.count, 13)
        let reference = try Data(contentsOf: logitsURL).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var worst: Float = 0
        for (t, row) in rows.enumerated() {
            let logits = (row["logits"] as? [NSNumber])?.map(\.floatValue) ?? []
            XCTAssertEqual(logits.count, 600)
            let ref = Array(reference[(t * 600)..<((t + 1) * 600)])
            for i in 0..<min(600, logits.count) { worst = max(worst, abs(logits[i] - ref[i])) }
            XCTAssertEqual(row["frame"] as? Int, t)
            let refTop = ref.indices.max { ref[$0] < ref[$1] }
            XCTAssertEqual((row["top"] as? [[String: Any]])?.first?["index"] as? Int, refTop, "frame \(t)")
        }
        // Logits reach ~18; float32 summation-order differences over a few hundred terms stay
        // near 18 × 1.2e-7 × 50 ≈ 1e-4 (measured 1.4e-5 on the integrated build).
        XCTAssertLessThan(worst, 1e-4, "max |logit - reference| = \(worst)")
    }

    func testPlotRendersToAPNG() throws {
        let out = try temporaryDirectory(self)
        let svg = out.appendingPathComponent("plot.svg")
        let r = try Binary.run(["stream", "--plot", svg.path, "--format", "jsonl", try sample("mmaction2_demo.mp4")],
                               environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(text.contains(">arm wrestling<"))
        let png = out.appendingPathComponent("plot.png")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/rsvg-convert")
        p.arguments = ["-o", png.path, svg.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        if let keep = ProcessInfo.processInfo.environment["MOVINET_KEEP_PLOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: keep))
        }
    }
}
