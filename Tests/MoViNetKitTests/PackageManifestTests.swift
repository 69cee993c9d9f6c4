// Package.swift passes x86-specific code generation flags only when it is evaluated on an x86-64
// host: the manifest is dumped as it is here, and with its `#if arch(x86_64)` conditions made false
// (what an arm64 host — Apple Silicon, Graviton, Raspberry Pi — evaluates).

import Foundation
import XCTest

import TestSupport

final class PackageManifestTests: XCTestCase {
    /// `swift package dump-package` of `manifest` placed in a folder of its own: target → flags.
    func flags(ofManifest manifest: String) throws -> [String: [String]] {
        let dir = try temporaryDirectory(self)
        try manifest.write(to: dir.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", dir.path, "dump-package"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "dump-package failed")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var result: [String: [String]] = [:]
        for target in try XCTUnwrap(json["targets"] as? [[String: Any]]) {
            let name = try XCTUnwrap(target["name"] as? String)
            var all: [String] = []
            for setting in target["settings"] as? [[String: Any]] ?? [] {
                let kind = setting["kind"] as? [String: Any]
                all += ((kind?["unsafeFlags"] as? [String: Any])?["_0"] as? [String]) ?? []
            }
            result[name] = all
        }
        return result
    }

    /// Release builds keep Swift's bounds, overflow and exclusivity checks in every module: with
    /// `-Ounchecked` crafted model files corrupted memory in the importers (issue 12).
    func testNoTargetIsBuiltUnchecked() throws {
        let manifest = try String(contentsOf: SharedFiles.packageRoot.appendingPathComponent("Package.swift"),
                                  encoding: .utf8)
        let flags = try flags(ofManifest: manifest)
        XCTAssertFalse(flags.isEmpty)
        for (target, list) in flags {
            XCTAssertFalse(list.contains { $0.contains("unchecked") }, "\(target): \(list)")
        }
    }

    func testX86FlagsOnlyOnX86Hosts() throws {
        let manifest = try String(contentsOf: SharedFiles.packageRoot.appendingPathComponent("Package.swift"),
                                  encoding: .utf8)
        XCTAssertTrue(manifest.contains("#if arch(x86_64)"))
        let x86Specific = { (flag: String) in
            ["march", "mavx", "x86", "mfma", "mtune", "mcpu"].contains { flag.contains($0) }
        }
        #if arch(x86_64)
        let here = try flags(ofManifest: manifest)
        for target in ["VideoDecoding", "MoViNet", "MoViNetKit", "MovinetCLI", "movinet"] {
            XCTAssertTrue(here[target]?.contains("-march=x86-64-v3") ?? false, "\(target): \(here[target] ?? [])")
        }
        #endif
        let elsewhere = try flags(ofManifest: manifest.replacingOccurrences(of: "#if arch(x86_64)",
                                                                            with: "#if arch(arm64)"))
        XCTAssertFalse(elsewhere.isEmpty)
        for (target, list) in elsewhere {
            XCTAssertEqual(list.filter(x86Specific), [], "\(target) would get x86 flags on a non-x86 host")
        }
    }
}
