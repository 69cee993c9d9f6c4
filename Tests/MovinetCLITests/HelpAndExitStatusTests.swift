// The built binary: golden --help texts (regenerate deliberately with
// MOVINET_REGENERATE_GOLDEN=1), usage errors exiting 2, model-load failures exiting 3, and the
// completion script generator.

import Foundation
import XCTest

import TestSupport

final class HelpAndExitStatusTests: XCTestCase {
    static let goldenDir = SharedFiles.packageRoot.appendingPathComponent("Tests/MovinetCLITests/Golden")

    static let helpCommands: [[String]] = [
        [], ["classify"], ["stream"], ["inspect"], ["bench"], ["models"], ["models", "list"],
        ["models", "download"], ["models", "path"], ["models", "verify"], ["models", "remove"],
    ]

    func testHelpTextsMatchGolden() throws {
        let regenerate = ProcessInfo.processInfo.environment["MOVINET_REGENERATE_GOLDEN"] == "1"
        for command in Self.helpCommands {
            let result = try Binary.run(command + ["--help"])
            XCTAssertEqual(result.status, 0, command.joined(separator: " "))
            XCTAssertEqual(result.stderr, "")
            let golden = Self.goldenDir.appendingPathComponent(
                (command.isEmpty ? "movinet" : command.joined(separator: "-")) + ".help.txt")
            if regenerate {
                try FileManager.default.createDirectory(at: Self.goldenDir, withIntermediateDirectories: true)
                try result.stdout.write(to: golden, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: golden, encoding: .utf8)
            XCTAssertEqual(result.stdout, expected, "movinet \(command.joined(separator: " ")) --help changed; "
                           + "rerun with MOVINET_REGENERATE_GOLDEN=1 if that is intended")
        }
    }

    func emptyCache() throws -> String { try temporaryDirectory(self).appendingPathComponent("cache").path }

    func testUsageErrorsExitTwo() throws {
        let cache = try emptyCache()
        let cases: [([String], String)] = [
            (["classify"], "no inputs given"),
            (["classify", "--jobs", "0", "x.mp4"], "--jobs must be at least 1"),
            (["classify", "--shard", "4/3", "x.mp4"], "--shard"),
            (["classify", "--format", "xml", "x.mp4"], "--format"),
            (["classify", "--logits", "--format", "csv", "x.mp4"], "--logits needs --format json or jsonl"),
            (["classify", "--top-k", "0", "x.mp4"], "--top-k must be at least 1"),
            (["classify", "--fps=-1", "x.mp4"], "--fps must be 0 or more"),
            (["classify", "--threshold", "2", "x.mp4"], "--threshold must be between 0 and 1"),
            (["classify", "-", "-"], "'-' may be given only once"),
            (["stream", "--cache-dir", cache, "--plot", "p.svg", "a.mp4", "b.mp4"], "--plot needs exactly one input"),
            (["models", "download", "a9-huge"], "unknown model id 'a9-huge'"),
            (["frobnicate"], "Unexpected argument"),
        ]
        for (arguments, message) in cases {
            let r = try Binary.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(arguments)")
        }
    }

    func testModelLoadFailuresExitThreeWithOneLine() throws {
        let cache = try emptyCache()
        let dir = try temporaryDirectory(self)
        let notAModel = dir.appendingPathComponent("model.tflite")
        try Data("definitely not a flatbuffer".utf8).write(to: notAModel)
        let imageClassifier = SharedFiles.packageRoot
            .appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite/image_classifier.tflite").path
        var cases: [([String], String)] = [
            (["classify", "--cache-dir", cache, "--model", "nosuch", "x.mp4"], "movinet: nosuch: no such model id or file"),
            (["classify", "--cache-dir", cache, "--offline", "x.mp4"],
             "movinet: a0-stream-int8: not in the cache (\(cache)) and --offline forbids downloading it"),
            (["stream", "--cache-dir", cache, "--offline", "--model", "a1-stream", "x.mp4"], "movinet: a1-stream: not in the cache"),
            (["classify", "--cache-dir", cache, "--model", notAModel.path, "x.mp4"], "movinet: \(notAModel.path): "),
            (["classify", "--cache-dir", cache, "--model", imageClassifier, "x.mp4"], "movinet: \(imageClassifier): "),
        ]
        // The real model cut short: an error naming it, not a crash or a half-loaded model.
        if let real = try SharedFiles.url("models/movinet_a0_stream_int8.tflite") {
            let truncated = dir.appendingPathComponent("truncated.tflite")
            try Data(contentsOf: real).prefix(1_000_000).write(to: truncated)
            cases.append((["classify", "--cache-dir", cache, "--model", truncated.path, "x.mp4"],
                          "movinet: \(truncated.path): "))
        }
        for (arguments, message) in cases {
            let r = try Binary.run(arguments)
            XCTAssertEqual(r.status, 3, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testModelsPathOfAMissingModelExitsOne() throws {
        let r = try Binary.run(["models", "path", "a0-base", "--cache-dir", try emptyCache()])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "movinet: a0-base: not downloaded (run 'movinet models download a0-base')\n")
    }

    func testModelsListShowsEveryIdAndTheCache() throws {
        let cache = try emptyCache()
        let r = try Binary.run(["models", "list"], environment: ["MOVINET_CACHE": cache])
        XCTAssertEqual(r.status, 0)
        let ids = r.stdout.split(separator: "\n").dropLast().map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(ids, ["a0-base", "a0-stream", "a1-base", "a1-stream", "a2-base", "a2-stream",
                             "a0-stream-int8", "a1-stream-int8", "a2-stream-int8", "kinetics-600-labels"])
        XCTAssertTrue(r.stdout.hasSuffix("cache: \(cache)\n"))
    }

    func testCompletionScripts() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try Binary.run(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, shell)
            XCTAssertTrue(r.stdout.contains("classify") && r.stdout.contains("top-k"), shell)
        }
    }
}
