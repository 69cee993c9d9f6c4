// The model store against a real HTTP server on 127.0.0.1: good, truncated, wrong checksum, 404,
// stalled and path-traversing downloads. Nothing corrupt is ever kept, and the error says why.

import Foundation
import XCTest

import MoViNet
import MovinetCLI
import VideoDecoding
import MoViNetKit
import TestSupport

final class ModelStoreServerTests: XCTestCase {
    var fixtures: URL!
    var cache: URL!
    let payload = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

    override func setUpWithError() throws {
        fixtures = try temporaryDirectory(self)
        cache = try temporaryDirectory(self).appendingPathComponent("cache")
        try payload.write(to: fixtures.appendingPathComponent("model.bin"))
    }

    /// A pinned single-file entry for `model.bin`, with the structural check accepting any file
    /// whose first byte is right (the engine is not part of these tests).
    func entry(sha: String? = nil, size: Int? = nil) -> CatalogEntry {
        CatalogEntry(id: "test-model", architecture: "a0", kind: .stream, summary: "test", url: "https://invalid.example/x",
                     fileName: "model.bin", packaging: .file, size: size ?? payload.count,
                     sha256: sha ?? SHA256.hexDigest([UInt8](payload)))
    }

    func store(_ server: TestHTTPServer?, mode: String, offline: Bool = false, timeout: TimeInterval = 10,
               check: @escaping ModelStore.StructuralCheck = { _, _ in }) -> ModelStore {
        ModelStore(cacheDir: cache.path, baseURL: server?.base(mode), offline: offline, idleTimeout: timeout,
                   structuralCheck: check)
    }

    /// Files in the cache other than stored entries' folders (partials, staging) — must be none.
    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []).filter { $0.hasPrefix(".") }
    }

    func testGoodDownloadIsStoredAndReusedWithoutNetwork() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        let s = store(server, mode: "good")
        let path = try s.resolve(entry())
        XCTAssertEqual(FileManager.default.contents(atPath: path), payload)
        XCTAssertEqual(server.requests, ["/good/model.bin"])
        XCTAssertTrue(path.hasPrefix(cache.path + "/test-model/"))
        // Second use: no request, same path; offline too.
        XCTAssertEqual(try s.resolve(entry()), path)
        XCTAssertEqual(try store(server, mode: "good", offline: true).resolve(entry()), path)
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertNoThrow(try s.verify(entry()))
        XCTAssertEqual(leftovers(), [])
    }

    func testTruncatedBodyIsRejected() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        XCTAssertThrowsError(try store(server, mode: "truncate").resolve(entry(sha: nil))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("truncated") || text.contains("connection lost") || text.contains("size mismatch"),
                          text)
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(entry()))
        XCTAssertEqual(leftovers(), [])
    }

    func testTruncatedBodyIsRejectedEvenWithoutPins() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        var unpinned = entry()
        unpinned.size = nil
        unpinned.sha256 = nil
        XCTAssertThrowsError(try store(server, mode: "truncate").resolve(unpinned)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("truncated") || text.contains("connection lost"), text)
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(unpinned))
        XCTAssertEqual(leftovers(), [])
    }

    func testWrongChecksumIsRejected() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        let wrong = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try store(server, mode: "good").resolve(entry(sha: wrong))) { error in
            XCTAssertTrue("\(error)".contains("checksum mismatch"), "\(error)")
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(entry()))
        XCTAssertEqual(leftovers(), [])
    }

    func testWrongSizeIsRejected() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        XCTAssertThrowsError(try store(server, mode: "good").resolve(entry(size: 4999))) { error in
            XCTAssertTrue("\(error)".contains("size mismatch"), "\(error)")
        }
        XCTAssertEqual(leftovers(), [])
    }

    func testNotFoundIsRejected() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        var missing = entry()
        missing.fileName = "absent.bin"
        XCTAssertThrowsError(try store(server, mode: "good").resolve(missing)) { error in
            XCTAssertTrue("\(error)".contains("HTTP status 404"), "\(error)")
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(missing))
        XCTAssertEqual(leftovers(), [])
    }

    func testStalledServerTimesOut() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        XCTAssertThrowsError(try store(server, mode: "stall", timeout: 2).resolve(entry())) { error in
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(entry()))
        XCTAssertEqual(leftovers(), [])
    }

    func testStructuralFailureIsNotKept() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        let s = store(server, mode: "good") { _, path in throw ModelError(path, "not a MoViNet model") }
        XCTAssertThrowsError(try s.resolve(entry())) { error in
            XCTAssertTrue("\(error)".contains("not a MoViNet model"), "\(error)")
        }
        XCTAssertNil(s.cachedPath(entry()))
        XCTAssertEqual(leftovers(), [])
    }

    func testOfflineNeverTouchesTheNetwork() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        XCTAssertThrowsError(try store(server, mode: "good", offline: true).resolve(entry())) { error in
            XCTAssertTrue("\(error)".contains("--offline"), "\(error)")
        }
        XCTAssertEqual(server.requests, [])
    }

    func testArchiveWithParentPathIsRefusedAndNothingEscapes() throws {
        let evil = fixtures.appendingPathComponent("evil.tar.gz")
        try makeTarGz(evil, entries: ["ckpt/ckpt-1.index": "x", "../escaped.txt": "gotcha"])
        let server = try TestHTTPServer(root: fixtures, test: self)
        let archive = CatalogEntry(id: "test-archive", architecture: "a0", kind: .base, summary: "test",
                                   url: "https://invalid.example/x", fileName: "evil.tar.gz", packaging: .tarGz)
        XCTAssertThrowsError(try store(server, mode: "good").resolve(archive)) { error in
            XCTAssertTrue("\(error)".contains("outside the target folder"), "\(error)")
        }
        XCTAssertNil(store(server, mode: "good").cachedPath(archive))
        XCTAssertEqual(leftovers(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path + "/escaped.txt"))
        XCTAssertFalse(FileManager.default.fileExists(
            atPath: cache.deletingLastPathComponent().appendingPathComponent("escaped.txt").path))
    }

    func testGoodArchiveIsUnpackedAndResolvesToTheCheckpointPrefix() throws {
        let good = fixtures.appendingPathComponent("good.tar.gz")
        try makeTarGz(good, entries: ["movinet_a0_base/checkpoint": "c", "movinet_a0_base/ckpt-1.index": "i",
                                      "movinet_a0_base/ckpt-1.data-00000-of-00001": "d"])
        let server = try TestHTTPServer(root: fixtures, test: self)
        let archive = CatalogEntry(id: "test-archive", architecture: "a0", kind: .base, summary: "test",
                                   url: "https://invalid.example/x", fileName: "good.tar.gz", packaging: .tarGz)
        let checked = Checked()
        let s = store(server, mode: "good") { _, path in checked.paths.append(path) }
        let path = try s.resolve(archive)
        XCTAssertEqual(path, cache.path + "/test-archive/movinet_a0_base/ckpt-1")
        XCTAssertEqual(checked.paths.count, 1)
        XCTAssertTrue(checked.paths[0].hasSuffix("/movinet_a0_base/ckpt-1"))
        XCTAssertEqual(try String(contentsOfFile: path + ".data-00000-of-00001", encoding: .utf8), "d")
        XCTAssertEqual(leftovers(), [])
    }

    final class Checked: @unchecked Sendable { var paths: [String] = [] }

    /// The real catalog's labels entry, served locally, through the built binary: the first run
    /// downloads (one request), the second does not touch the network.
    func testBinaryDownloadsLabelsOnceThroughTheOverride() throws {
        guard let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else {
            throw XCTSkip("shared labels missing")
        }
        try FileManager.default.copyItem(at: labels, to: fixtures.appendingPathComponent("kinetics_600_labels.txt"))
        let server = try TestHTTPServer(root: fixtures, test: self)
        let args = ["models", "download", "kinetics-600-labels", "--cache-dir", cache.path,
                    "--model-base-url", server.base("good").absoluteString]
        let first = try Binary.run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        let path = cache.path + "/kinetics-600-labels/kinetics_600_labels.txt"
        XCTAssertEqual(first.stdout, path + "\n")
        XCTAssertEqual(server.requests, ["/good/kinetics_600_labels.txt"])
        let second = try Binary.run(args)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stdout, path + "\n")
        XCTAssertEqual(server.requests.count, 1, "the second run used the network")
        let verify = try Binary.run(["models", "verify", "kinetics-600-labels", "--cache-dir", cache.path])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(verify.stdout, "kinetics-600-labels: ok\n")
    }

    func testBinaryReportsA404AndKeepsNothing() throws {
        let server = try TestHTTPServer(root: fixtures, test: self)
        let result = try Binary.run(["models", "download", "kinetics-600-labels", "--cache-dir", cache.path,
                                     "--model-base-url", server.base("good").absoluteString])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("movinet: kinetics-600-labels: ") && result.stderr.contains("HTTP status 404"),
                      result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(leftovers(), [])
        let path = try Binary.run(["models", "path", "kinetics-600-labels", "--cache-dir", cache.path])
        XCTAssertEqual(path.status, 1)
    }
}
