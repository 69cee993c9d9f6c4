// End to end: runs the built `movinet inspect` and checks its JSON and text output, stderr lines and
// exit codes against the shared references (frame SHA-256s) and against bad inputs.

import Foundation
import MovinetCLI
import VideoDecoding
import MoViNetKit
import TestSupport
import XCTest

final class InspectTests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `movinet` executable beside this test bundle (.build/<config>/), which `swift test` builds.
    static var binary: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .map { URL(fileURLWithPath: $0) } ?? Bundle.main.executableURL ?? Bundle.main.bundleURL
        var dir = exe.deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") {
            while dir.pathExtension != "xctest" && dir.path != "/" { dir.deleteLastPathComponent() }
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("movinet")
    }

    func movinet(_ args: [String], stdin: String? = nil, asUser: UInt32? = nil) throws -> Run {
        let bin = Self.binary
        guard FileManager.default.isExecutableFile(atPath: bin.path) else {
            throw XCTSkip("movinet not built at \(bin.path); run `swift build` first")
        }
        let p = Process()
        if let uid = asUser {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", bin.path] + args
        } else {
            p.executableURL = bin
            p.arguments = args
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin { p.standardInput = FileHandle(forReadingAtPath: stdin) }
        try p.run()
        // Read both pipes concurrently so neither fills up and blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    func shared(_ relative: String) throws -> String {
        guard let url = try SharedFiles.url(relative) else { throw XCTSkip("\(relative) not in ../shared") }
        return url.path
    }

    func manifest(_ sample: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try shared("reference/manifest.json")))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return all[sample] as! [String: Any]
    }

    func json(_ run: Run) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [[String: Any]]
    }

    func frames(_ report: [String: Any], _ key: String) -> [String] {
        (report["samples"] as? [[String: Any]] ?? []).map { $0[key] as! String }
    }

    func testJumpingjackFramesEqualTensorFlowsDecoder() throws {
        let gif = try shared("samples/jumpingjack.gif")
        let run = try movinet(["inspect", gif, "--fps", "0", "--format", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        let report = try json(run)[0]
        let ref = try manifest("jumpingjack.gif")
        XCTAssertEqual(frames(report, "sha256"), ref["decoded_frame_sha256"] as! [String])
        XCTAssertEqual(report["decoded_frames"] as? Int, 13)
        XCTAssertEqual(report["frames"] as? Int, 13)
        XCTAssertEqual(report["width"] as? Int, 300)
        XCTAssertEqual(report["container"] as? String, "gif")
        // The resized model input equals the reference's tf.image.resize frames, byte for byte.
        let u8 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try shared("reference/jumpingjack.gif.frames172.u8"))))
        let n = 172 * 172 * 3
        let expected = (0..<13).map { SHA256.hexDigest(Array(u8[($0 * n)..<(($0 + 1) * n)])) }
        XCTAssertEqual(frames(report, "input_sha256"), expected)
    }

    func testVideosAtFiveFpsEqualFFmpegsFrames() throws {
        for (sample, count) in [("carving_ice.mp4", 22), ("mmaction2_demo.mp4", 50)] {
            let run = try movinet(["inspect", try shared("samples/\(sample)"), "--format", "json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let report = try json(run)[0]
            XCTAssertEqual(report["frames"] as? Int, count, sample)
            XCTAssertEqual(report["codec"] as? String, "h264")
            XCTAssertEqual(frames(report, "sha256"), try manifest(sample)["decoded_frame_sha256"] as! [String], sample)
        }
    }

    func testTextOutput() throws {
        let run = try movinet(["inspect", try shared("samples/carving_ice.mp4")])
        XCTAssertEqual(run.status, 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasSuffix("carving_ice.mp4"))
        XCTAssertTrue(lines.contains("  codec       h264"), run.stdout)
        XCTAssertTrue(lines.contains("  size        172×172"), run.stdout)
        XCTAssertTrue(lines.contains("  decoded     131 frames"), run.stdout)
        XCTAssertTrue(lines.contains("  sampled     22 frames at 5.000 fps"), run.stdout)
        let frameLines = lines.filter { $0.range(of: #"^ +\d+ +\d+ +\d+\.\d{4}  [0-9a-f]{64} [0-9a-f]{64}$"#, options: .regularExpression) != nil }
        XCTAssertEqual(frameLines.count, 22)
        XCTAssertEqual(Set(frameLines.map(\.count)).count, 1, "columns aligned")
    }

    func testStandardInputAndFileURLs() throws {
        let gif = try shared("samples/jumpingjack.gif")
        let expected = try manifest("jumpingjack.gif")["decoded_frame_sha256"] as! [String]
        let piped = try movinet(["inspect", "-", "--fps", "0", "--format", "json"], stdin: gif)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(frames(try json(piped)[0], "sha256"), expected)
        let url = try movinet(["inspect", "file:" + gif, "--fps", "0", "--format", "json"])
        XCTAssertEqual(frames(try json(url)[0], "sha256"), expected)

        // A video on standard input (a stream FFmpeg cannot seek) gives the frames the file gives.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.mkv").path
        let ff = Process()
        ff.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ff.arguments = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=2",
                        "-c:v", "ffv1", "-y", clip]
        try ff.run()
        ff.waitUntilExit()
        let fromFile = try movinet(["inspect", clip, "--format", "json"])
        let fromPipe = try movinet(["inspect", "-", "--format", "json"], stdin: clip)
        XCTAssertEqual(fromPipe.status, 0, fromPipe.stderr)
        XCTAssertEqual(frames(try json(fromPipe)[0], "sha256"), frames(try json(fromFile)[0], "sha256"))
        XCTAssertEqual(try json(fromPipe)[0]["frames"] as? Int, 10)

        // carving_ice.mp4 keeps its index at the end, which a pipe cannot reach: a clear error.
        let mp4 = try movinet(["inspect", "-"], stdin: try shared("samples/carving_ice.mp4"))
        XCTAssertEqual(mp4.status, 1)
        XCTAssertTrue(mp4.stderr.hasPrefix("movinet: -: ") && mp4.stderr.contains("cannot be read from a pipe"), mp4.stderr)
    }

    func testHTTPURLs() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("no python3 for an HTTP server") }
        let gif = try shared("samples/jumpingjack.gif")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                            "--directory", URL(fileURLWithPath: gif).deletingLastPathComponent().path]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let banner = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = banner.split(separator: " ").drop(while: { $0 != "port" }).dropFirst().first else {
            return XCTFail("no port in \(banner)")
        }
        let base = "http://127.0.0.1:\(port)/"
        let run = try movinet(["inspect", base + "jumpingjack.gif", base + "missing.gif", "--fps", "0", "--format", "json"])
        XCTAssertEqual(run.status, 1)
        let reports = try json(run)
        // A GIF behind a URL is still decoded by giflib: TensorFlow's frames.
        XCTAssertEqual(reports[0]["container"] as? String, "gif")
        XCTAssertEqual(frames(reports[0], "sha256"), try manifest("jumpingjack.gif")["decoded_frame_sha256"] as! [String])
        XCTAssertNotNil(reports[1]["error"])
        XCTAssertTrue(run.stderr.hasPrefix("movinet: \(base)missing.gif: "), run.stderr)
    }

    func testBadInputsGiveOneLineErrorsAndExitOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.gif").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let text = dir.appendingPathComponent("notes.mp4").path
        _ = FileManager.default.createFile(atPath: text, contents: Data("not a video at all\n".utf8))
        let cut = dir.appendingPathComponent("cut.gif").path
        _ = FileManager.default.createFile(atPath: cut, contents: Data("GIF89a\u{4}\u{0}".utf8))
        let missing = dir.appendingPathComponent("missing.mp4").path
        let cases = [(missing, "no such file"), (dir.path, "is a directory"), (empty, "empty file"),
                     (text, "not a video or GIF file"), (cut, "damaged or truncated GIF")]
        for (file, problem) in cases {
            let run = try movinet(["inspect", file])
            XCTAssertEqual(run.status, 1, file)
            XCTAssertEqual(run.stdout, "")
            XCTAssertTrue(run.stderr.hasPrefix("movinet: \(file): \(problem)"), run.stderr)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, run.stderr)
        }
        // Good and bad together: the good one is still reported, the bad one gets an error record.
        let gif = try shared("samples/jumpingjack.gif")
        let mixed = try movinet(["inspect", missing, gif, "--fps", "0", "--format", "json"])
        XCTAssertEqual(mixed.status, 1)
        let reports = try json(mixed)
        XCTAssertEqual(reports.count, 2)
        XCTAssertEqual(reports[0]["file"] as? String, missing)
        XCTAssertEqual(reports[0]["error"] as? String, "no such file")
        XCTAssertEqual(Set(reports[0].keys), ["schema", "file", "error"])
        XCTAssertTrue(mixed.stdout.hasPrefix("[\n  {\n    \"schema\": 1,\n    \"file\": "),
                      "keys in a fixed order, the schema version and the file first")
        XCTAssertEqual(reports[1]["decoded_frames"] as? Int, 13)
        XCTAssertEqual(mixed.stderr, "movinet: \(missing): no such file\n")
    }

    func testPermissionDenied() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = dir.appendingPathComponent("secret.gif").path
        _ = FileManager.default.createFile(atPath: secret, contents: Data("GIF89a".utf8), attributes: [.posixPermissions: 0])
        // root reads anything: run as nobody then (setpriv, util-linux).
        let asUser: UInt32? = geteuid() == 0 ? 65534 : nil
        if asUser != nil && !FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            throw XCTSkip("running as root without setpriv")
        }
        let run = try movinet(["inspect", secret], asUser: asUser)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "movinet: \(secret): permission denied\n")
    }

    func testUsageErrors() throws {
        for args in [["inspect"], ["inspect", "x.gif", "--fps", "-1"], ["inspect", "x.gif", "--format", "xml"],
                     ["inspect", "x.gif", "--size", "0"]] {
            let run = try movinet(args)
            // Usage errors are neither success (0) nor a failed input (1); ArgumentParser's code is 64
            // unless the root command maps it to 2.
            XCTAssertTrue([2, 64].contains(run.status), "\(args): exit \(run.status)")
            XCTAssertEqual(run.stdout, "")
            XCTAssertFalse(run.stderr.isEmpty)
        }
    }
}
