// Runs the built `movinet` executable for the CLI tests and captures its output and status.

import Foundation
import XCTest

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Binary {
    /// The `movinet` executable beside the test bundle (swift test builds every product first).
    static var url: URL {
        get throws {
            var candidates: [URL] = []
            for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
                candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("movinet"))
            }
            candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("movinet"))
            candidates.append(Bundle.main.bundleURL.appendingPathComponent("movinet"))
            for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
            throw XCTSkip("movinet executable not found beside the tests (tried \(candidates.map(\.path)))")
        }
    }

    /// Runs movinet with `arguments`, optional stdin text, and extra environment; waits up to
    /// `timeout` seconds.
    /// `stdoutPath`: standard output goes to this file (e.g. /dev/full) instead of being captured.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: URL? = nil, timeout: TimeInterval = 120, stdoutPath: String? = nil) throws -> RunResult {
        let process = Process()
        process.executableURL = try url
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "80"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        if let stdoutPath {
            guard let sink = FileHandle(forWritingAtPath: stdoutPath) else { throw XCTSkip("cannot open \(stdoutPath)") }
            process.standardOutput = sink
            try? out.fileHandleForWriting.close()
        } else {
            process.standardOutput = out
        }
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let r = collect(process, out: stdoutPath == nil ? out : nil, err: err, timeout: timeout,
                        what: "movinet \(arguments.joined(separator: " "))")
        return RunResult(status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self),
                         stderr: String(decoding: r.stderr, as: UTF8.self))
    }

    /// Reads a started process's standard output (when `out` is given) and error to their ends and
    /// waits for its exit; after `timeout` seconds it is terminated and the test fails (`what`
    /// names it). A process whose pipes stay open 30 s after that gives status −1 and no output.
    static func collect(_ process: Process, out: Pipe?, err: Pipe, timeout: TimeInterval, what: String)
        -> (status: Int32, stdout: Data, stderr: Data) {
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            if let out { outBox.data = out.fileHandleForReading.readDataToEndOfFile() }
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            XCTFail("\(what) did not finish in \(timeout) s")
            // The readers end when the process's pipes close; their boxes are read only after
            // that (ThreadSanitizer flagged reading them while a reader still wrote).
            guard group.wait(timeout: .now() + 30) == .success else { return (-1, Data(), Data()) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, outBox.data, errBox.data)
    }
}

extension Binary {
    /// Runs `script` with `sh -c`, `$MOVINET` naming the binary: for arguments a Process cannot
    /// pass (bytes that are not UTF-8) and for shell plumbing.
    static func shell(_ script: String, environment: [String: String] = [:], timeout: TimeInterval = 120) throws
        -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var env = ProcessInfo.processInfo.environment
        env["MOVINET"] = try url.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let r = collect(process, out: out, err: err, timeout: timeout, what: "sh -c \(script)")
        return (r.status, r.stdout, String(decoding: r.stderr, as: UTF8.self))
    }
}
