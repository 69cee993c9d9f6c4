// SHA-256 against the FIPS 180-4 / NIST test vectors and against the system's sha256sum.

import Foundation
import XCTest

import TestSupport
import VideoDecoding

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hexDigest([UInt8]()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalUpdatesMatchOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for split in [0, 1, 55, 56, 63, 64, 65, 999] {
            let h = SHA256()
            h.update(Array(bytes[..<split]))
            h.update(Array(bytes[split...]))
            XCTAssertEqual(SHA256.hex(h.finalize()), SHA256.hexDigest(bytes), "split at \(split)")
        }
    }

    /// A file of a few MB, not a whole number of blocks, read in 1 MB chunks as the model store
    /// reads a download, against `sha256sum`.
    func testFileDigestEqualsSha256sum() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("blob.bin")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<3_000_037).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        let h = SHA256()
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { chunk.withUnsafeBytes { h.update($0) } }
        let expected = String(decoding: try Tools.check("sha256sum", [url.path]), as: UTF8.self).prefix(64)
        XCTAssertEqual(SHA256.hex(h.finalize()), String(expected))
    }
}
