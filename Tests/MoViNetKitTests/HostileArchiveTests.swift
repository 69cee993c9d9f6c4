// Hostile archives and arrays (issue 12): tar headers crafted byte by byte here, a gzip bomb, and
// `.npy` headers claiming more than the file holds; each ends with a one-line error and leaves the
// target folder (and everything beside it) as it was.

import Foundation
import XCTest

import MoViNetKit
import TestSupport

final class HostileArchiveTests: XCTestCase {
    /// One 512-byte ustar header. `size` is the raw 12-byte size field (octal text or base-256).
    func header(_ name: String, type: UInt8 = UInt8(ascii: "0"), size: [UInt8]) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        for (i, b) in name.utf8.prefix(100).enumerated() { h[i] = b }
        for (i, b) in "0000644\0".utf8.enumerated() { h[100 + i] = b }
        for (i, b) in size.prefix(12).enumerated() { h[124 + i] = b }
        h[156] = type
        for (i, b) in "ustar\u{0}00".utf8.enumerated() { h[257 + i] = b }
        let sum = h.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
        for (i, b) in String(format: "%06o\0 ", sum).utf8.enumerated() { h[148 + i] = b }
        return h
    }

    /// The 12-byte octal size field (11 digits and a NUL; 12 digits for 8 GB and more).
    func octalSize(_ n: Int) -> [UInt8] { Array(String(format: "%011lo\0", n).utf8) }

    func file(_ name: String, _ content: String) -> [UInt8] {
        var body = Array(content.utf8)
        body += [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
        return header(name, size: octalSize(content.utf8.count)) + body
    }

    let end = [UInt8](repeating: 0, count: 1024)

    /// Extracts `tar` into `work/out` (holding `keep.txt`); returns the error's text.
    func extract(_ tar: [UInt8]) throws -> (work: URL, out: URL, error: String?) {
        let work = try temporaryDirectory(self)
        let out = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: out.appendingPathComponent("keep.txt"))
        let path = work.appendingPathComponent("a.tar").path
        try Data(tar).write(to: URL(fileURLWithPath: path))
        do {
            try TarExtractor.extractTar(path, into: out.path)
            return (work, out, nil)
        } catch let e as ArchiveError {
            XCTAssertFalse(e.problem.contains("\n"))
            return (work, out, "\(e)")
        }
    }

    /// An entry named `.` (or `./.`) as a regular file used to replace — delete — the target folder.
    func testFileNamedLikeTheTargetFolderIsRefused() throws {
        for name in [".", "./."] {
            let (_, out, error) = try extract(file(name, "gotcha") + end)
            XCTAssertTrue(error?.contains("named like the target folder") ?? false, "\(name): \(error ?? "no error")")
            XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("keep.txt"), encoding: .utf8), "kept", name)
        }
        // A folder entry `.` is harmless and still accepted.
        let (_, out, error) = try extract(header(".", type: UInt8(ascii: "5"), size: octalSize(0)) + file("a.txt", "a") + end)
        XCTAssertNil(error)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("a.txt"), encoding: .utf8), "a")
    }

    /// GNU base-256 sizes were not range-checked: negative ones and ones past 2^63 overflowed.
    func testBase256SizesAreRangeChecked() throws {
        let negative = [UInt8](repeating: 0xFF, count: 12)
        let huge = [0x80] + [UInt8](repeating: 0xFF, count: 11)
        let tooBig: [UInt8] = [0x80, 0, 0, 0] + [0x10, 0, 0, 0, 0, 0, 0, 0]    // 2^60 bytes
        for (size, expected) in [(negative, "negative number"), (huge, "number out of range"), (tooBig, "declares")] {
            let (_, out, error) = try extract(header("big.bin", size: size) + end)
            XCTAssertTrue(error?.contains(expected) ?? false, "\(expected): \(error ?? "no error")")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("big.bin").path))
        }
        // A base-256 size that is fine reads like the octal one.
        var ok = header("b.txt", size: [0x80] + [UInt8](repeating: 0, count: 10) + [2])
        ok += Array("hi".utf8) + [UInt8](repeating: 0, count: 510)
        let (_, out, error) = try extract(ok + end)
        XCTAssertNil(error)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("b.txt"), encoding: .utf8), "hi")
    }

    /// A long-name or pax header is held in memory: one declaring gigabytes is refused before reading.
    func testHugeExtendedHeaderIsRefusedBeforeAllocating() throws {
        for type in ["L", "x", "g"] {
            let (_, _, error) = try extract(header("././@LongLink", type: UInt8(ascii: Unicode.Scalar(type)!), size: octalSize(8 << 30)) + end)
            XCTAssertTrue(error?.contains("extended header, over 1024 KB") ?? false, "\(type): \(error ?? "no error")")
        }
    }

    /// A gzip member that inflates past the cap stops with an error (and a file no larger than it).
    func testGzipBombStopsAtTheCap() throws {
        let work = try temporaryDirectory(self)
        let raw = work.appendingPathComponent("zeros")
        try Data(count: 8 << 20).write(to: raw)
        _ = try Tools.check("gzip", ["-k", "-9", raw.path])
        let out = work.appendingPathComponent("out").path
        XCTAssertThrowsError(try Gunzip.decompress(raw.path + ".gz", to: out, limit: 1 << 20)) { error in
            XCTAssertTrue("\(error)".contains("decompresses to more than 1 MB; refused"), "\(error)")
        }
        let written = try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int ?? -1
        XCTAssertLessThanOrEqual(written, 1 << 20)
    }

    /// A `.npy` header claiming 10^15 elements: refused at open, before any frame-sized buffer.
    func testNpyClaimingFarMoreThanItHoldsIsRefusedAtOnce() throws {
        func npy(_ shape: String) throws -> String {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            var d = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(header.utf8.count & 255), UInt8(header.utf8.count >> 8)])
            d += Data(header.utf8) + Data(count: 4096)
            let url = try temporaryDirectory(self).appendingPathComponent("x.npy")
            try d.write(to: url)
            return url.path
        }
        // 10^15 elements in big frames: the first frame alone is more than the file.
        XCTAssertThrowsError(try NpyReader(path: try npy("(27777777, 3000, 4000, 3)"))) { error in
            XCTAssertTrue("\(error)".contains("truncated: the header declares 27777777 frames of 4000x3000 (144000000 bytes each) but 4096 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try NpyReader(path: try npy("(1, 5000, 5000, 3)"))) { error in
            XCTAssertTrue("\(error)".contains("frames of 5000x5000 are too large"), "\(error)")
        }
        XCTAssertThrowsError(try NpyReader(path: try npy("(100000000000, 1000, 1000, 3)"))) { error in
            XCTAssertTrue("\(error)".contains("truncated: the header declares 100000000000 frames of 1000x1000"), "\(error)")
        }
        // 10^15 elements in small frames: frames are read until the data ends.
        let reader = try NpyReader(path: try npy("(333333333333333, 1, 1, 3)"))
        var frames = 0
        XCTAssertThrowsError(try { while try reader.nextFrame() != nil { frames += 1 } }()) { error in
            XCTAssertTrue("\(error)".contains("truncated at frame 341 of 333333333333333"), "\(error)")
        }
        XCTAssertEqual(frames, 341)
    }
}
