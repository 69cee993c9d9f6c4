// The tar extractor against archives written by Python's tarfile: regular content, path
// traversal, absolute paths and links, and nothing written outside the target folder.

import Foundation
import XCTest

import MoViNetKit
import TestSupport

final class TarExtractorTests: XCTestCase {
    func extract(_ entries: [String: String], links: [String: String] = [:]) throws -> (URL, URL, Error?) {
        let work = try temporaryDirectory(self)
        let archive = work.appendingPathComponent("a.tar.gz")
        try makeTarGz(archive, entries: entries, symlinks: links)
        let target = work.appendingPathComponent("deep/target")
        do {
            try TarExtractor.extractTarGz(archive.path, into: target.path)
            return (work, target, nil)
        } catch {
            return (work, target, error)
        }
    }

    /// Every file under `root`, relative.
    func files(_ root: URL) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root.path)
        var out: [String] = []
        while let p = walker?.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root.path + "/" + p, isDirectory: &isDir)
            if !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }

    func testRegularArchive() throws {
        let long = String(repeating: "d", count: 120) + "/file.txt"     // beyond the 100-byte name field
        let (_, target, error) = try extract(["m/ckpt-1.index": "index", "m/sub/x.bin": "", long: "long"])
        XCTAssertNil(error)
        XCTAssertEqual(files(target), ["m/ckpt-1.index", "m/sub/x.bin", long].sorted())
        XCTAssertEqual(try String(contentsOf: target.appendingPathComponent(long), encoding: .utf8), "long")
        XCTAssertEqual(try String(contentsOf: target.appendingPathComponent("m/ckpt-1.index"), encoding: .utf8), "index")
    }

    func testParentPathIsRefused() throws {
        for name in ["../escape.txt", "m/../../escape.txt", "m/../../../deep/escape.txt"] {
            let (work, _, error) = try extract(["m/ok.txt": "ok", name: "bad"])
            XCTAssertTrue("\(error.map { "\($0)" } ?? "no error")".contains("outside the target folder"), name)
            XCTAssertEqual(files(work).filter { $0.hasSuffix("escape.txt") }, [], name)
        }
    }

    func testAbsolutePathIsRefused() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-abs-\(UUID().uuidString)")
        let (_, _, error) = try extract([outside.path: "bad"])
        // Python's tarfile keeps the leading '/'; the extractor must refuse it.
        XCTAssertTrue("\(error.map { "\($0)" } ?? "no error")".contains("absolute path"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.path))
    }

    func testLinksAreRefused() throws {
        let (work, _, error) = try extract(["m/a.txt": "a"], links: ["m/link": "../../../etc/passwd"])
        XCTAssertTrue("\(error.map { "\($0)" } ?? "no error")".contains("is a link"))
        XCTAssertFalse(files(work).contains { $0.hasSuffix("link") })
    }

    func testNotGzipIsAnError() throws {
        let work = try temporaryDirectory(self)
        let bogus = work.appendingPathComponent("b.tar.gz")
        try Data("not gzip at all".utf8).write(to: bogus)
        XCTAssertThrowsError(try TarExtractor.extractTarGz(bogus.path, into: work.appendingPathComponent("t").path)) {
            XCTAssertTrue("\($0)".contains("not a valid gzip file"), "\($0)")
        }
    }
}
