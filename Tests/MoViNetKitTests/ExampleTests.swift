// Builds the example app in Examples/ClassifyFolder (its own package, depending on this one by
// path) and runs it on a folder of the shared samples: the library API end to end, as an app sees it.

import Foundation
import XCTest

import TestSupport

final class ExampleTests: XCTestCase {
    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `arguments` (through /usr/bin/env) and waits up to `timeout` seconds.
    func run(_ arguments: [String], in directory: URL? = nil, timeout: TimeInterval) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString).out")
        let err = out.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8))
    }

    func testExampleClassifiesTheSharedSamplesThroughTheLibrary() throws {
        let samples = ["jumpingjack.gif": "jumping jacks", "carving_ice.mp4": "carving ice",
                       "mmaction2_demo.mp4": "arm wrestling"]
        guard let model = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else {
            throw XCTSkip("../shared is absent")
        }
        let folder = try temporaryDirectory(self)
        for name in samples.keys {
            guard let url = try SharedFiles.url("samples/\(name)") else { throw XCTSkip("../shared is absent") }
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: url)
        }
        try Data("not a video".utf8).write(to: folder.appendingPathComponent("notes.txt"))

        let package = SharedFiles.packageRoot.appendingPathComponent("Examples/ClassifyFolder")
        let build = try run(["swift", "build", "-c", "release", "--package-path", package.path], timeout: 1800)
        XCTAssertEqual(build.status, 0, build.stdout + build.stderr)
        guard build.status == 0 else { return }
        let binPath = try run(["swift", "build", "-c", "release", "--package-path", package.path, "--show-bin-path"],
                              timeout: 600).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let app = binPath + "/classify-folder"

        let result = try run([app, "--model", model.path, "--labels", labels.path, folder.path], timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, result.stdout)          // notes.txt is not media: not listed
        for line in lines {
            let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let file = try XCTUnwrap(record["file"] as? String)
            let top = try XCTUnwrap(record["top"] as? [[String: Any]])
            XCTAssertEqual(top.first?["label"] as? String, samples[(file as NSString).lastPathComponent], file)
        }

        let usage = try run([app], timeout: 60)
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("usage: classify-folder"), usage.stderr)
        let badModel = try run([app, "--model", folder.appendingPathComponent("nope.tflite").path, folder.path],
                               timeout: 60)
        XCTAssertEqual(badModel.status, 3)
        XCTAssertTrue(badModel.stderr.contains("nope.tflite"), badModel.stderr)
    }
}
