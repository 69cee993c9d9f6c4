// gzip through zlib against files written by Python's gzip module: one member, concatenated
// members, truncation, damage, and the decompressed-size cap.

import Foundation
import XCTest

import MoViNetKit
import TestSupport

final class GunzipTests: XCTestCase {
    /// Runs `python3 -c script args…` (an independent gzip writer).
    func python(_ script: String, _ args: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + args
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3 failed")
    }

    func testOneMemberAndConcatenatedMembers() throws {
        let dir = try temporaryDirectory(self)
        let one = dir.appendingPathComponent("one.gz").path, two = dir.appendingPathComponent("two.gz").path
        try python("""
            import gzip, sys
            data = bytes((i * 7919) % 251 for i in range(3_000_000))
            open(sys.argv[1], "wb").write(gzip.compress(data))
            open(sys.argv[2], "wb").write(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
            open(sys.argv[3], "wb").write(data)
            """, [one, two, dir.appendingPathComponent("plain").path])
        let expected = try Data(contentsOf: dir.appendingPathComponent("plain"))
        for source in [one, two] {
            let out = dir.appendingPathComponent("out").path
            XCTAssertEqual(try Gunzip.decompress(source, to: out), Int64(expected.count))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), expected, source)
        }
    }

    func testTruncatedDamagedAndOversizedArchivesAreRefused() throws {
        let dir = try temporaryDirectory(self)
        let good = dir.appendingPathComponent("good.gz")
        try python("import gzip, sys; open(sys.argv[1], 'wb').write(gzip.compress(bytes(1_000_000)))", [good.path])
        let bytes = try Data(contentsOf: good)
        let out = dir.appendingPathComponent("out").path

        let truncated = dir.appendingPathComponent("truncated.gz")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        XCTAssertThrowsError(try Gunzip.decompress(truncated.path, to: out)) {
            XCTAssertEqual("\($0)", "\(truncated.path): truncated gzip file")
        }

        var flipped = bytes
        flipped[20] ^= 0xFF
        let damaged = dir.appendingPathComponent("damaged.gz")
        try flipped.write(to: damaged)
        XCTAssertThrowsError(try Gunzip.decompress(damaged.path, to: out)) {
            XCTAssertTrue("\($0)".contains("not a valid gzip file"), "\($0)")
        }

        XCTAssertThrowsError(try Gunzip.decompress(good.path, to: out, limit: 100_000)) {
            XCTAssertTrue("\($0)".contains("decompresses to more than"), "\($0)")
        }
        XCTAssertEqual(try Gunzip.decompress(good.path, to: out, limit: 1_000_000), 1_000_000)
    }
}
