// The tensor-bundle reader on synthetic bundles: dtypes, shards, header checks, hostile entries.

import Foundation
import MoViNet
import XCTest

final class BundleReaderTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-bundle-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v.littleEndian >> (8 * $0)) } }
    }

    func testDTypesAreConvertedToFloat32() throws {
        let f32: [Float] = [1.5, -2.25, 0, 3e-8]
        let f64: [Double] = [0.1, -1e10]
        // float16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001]
        // bfloat16: the top half of a float32
        let bf16: [UInt16] = [UInt16(Float(1.5).bitPattern >> 16), UInt16(Float(-0.15625).bitPattern >> 16)]
        let prefix = try TestBundleWriter(numShards: 2).write([
            .init(key: "a/f32", dtype: 1, shape: [2, 2], bytes: le(f32.map(\.bitPattern))),
            .init(key: "b/f64", dtype: 2, shape: [2], bytes: le(f64.map(\.bitPattern)), shard: 1),
            .init(key: "c/f16", dtype: 19, shape: [4], bytes: le(f16)),
            .init(key: "d/bf16", dtype: 14, shape: [2], bytes: le(bf16), shard: 1),
            .init(key: "e/i32", dtype: 3, shape: [2], bytes: le([Int32(-7), 9])),
            .init(key: "f/i64", dtype: 9, shape: [], bytes: le([Int64(123_456)])),
        ], to: dir)
        let r = try BundleReader(prefix: prefix)
        XCTAssertEqual(r.numShards, 2)
        XCTAssertEqual(Set(r.entries.keys), ["a/f32", "b/f64", "c/f16", "d/bf16", "e/i32", "f/i64"])
        XCTAssertEqual(try r.floatTensor("a/f32"), Tensor(shape: [2, 2], data: f32))
        XCTAssertEqual(try r.floatTensor("b/f64"), Tensor(shape: [2], data: [Float(0.1), -1e10]))
        XCTAssertEqual(try r.floatTensor("c/f16").data, [1, -2, 65504, Float(1) / Float(1 << 24)])
        XCTAssertEqual(try r.floatTensor("d/bf16").data, [1.5, -0.15625])
        XCTAssertEqual(try r.floatTensor("e/i32").data, [-7, 9])
        XCTAssertEqual(try r.floatTensor("f/i64"), Tensor(shape: [], data: [123_456]))
        XCTAssertThrowsError(try r.floatTensor("missing"))
    }

    private func openError(_ writer: TestBundleWriter, _ items: [TestBundleWriter.Item]) throws -> String {
        let prefix = try writer.write(items, to: dir, name: UUID().uuidString)
        do {
            let r = try BundleReader(prefix: prefix)
            for k in r.entries.keys { _ = try r.floatTensor(k) }
            return "no error"
        } catch let e as ModelError {
            return e.description
        }
    }

    func testHeaderAndEntryChecks() throws {
        let one = [TestBundleWriter.Item(key: "x", dtype: 1, shape: [1], bytes: le([Float(1).bitPattern]))]
        XCTAssertEqual(try openError(TestBundleWriter(), one), "no error")
        XCTAssertTrue(try openError(TestBundleWriter(endianness: 1), one).contains("big-endian"))
        XCTAssertTrue(try openError(TestBundleWriter(minConsumer: 2), one).contains("version 2"))
        XCTAssertTrue(try openError(TestBundleWriter(badConsumers: [1]), one).contains("bad"))
        // Shape and size disagree; shape too large to count; string where numbers are expected; bool.
        XCTAssertTrue(try openError(TestBundleWriter(), [.init(key: "y", dtype: 1, shape: [3], bytes: le([UInt32(0)]))])
            .contains("'y'"))
        XCTAssertTrue(try openError(TestBundleWriter(), [.init(key: "z", dtype: 1, shape: [1 << 30, 1 << 30, 1 << 30], bytes: [])])
            .contains("too large"))
        XCTAssertTrue(try openError(TestBundleWriter(), [.init(key: "b", dtype: 10, shape: [1], bytes: [1])])
            .contains("unsupported dtype"))
        // A missing shard file is named.
        let prefix = try TestBundleWriter(numShards: 2).write(
            [.init(key: "s", dtype: 1, shape: [1], bytes: le([UInt32(0)]), shard: 1)], to: dir, name: "shards")
        try FileManager.default.removeItem(atPath: prefix + ".data-00001-of-00002")
        XCTAssertThrowsError(try BundleReader(prefix: prefix).floatTensor("s")) { e in
            XCTAssertTrue("\(e)".contains(".data-00001-of-00002"), "\(e)")
        }
    }

    func testStringTensorChecksumAndDecoding() throws {
        // TF's string layout: varint lengths, masked CRC32C of the lengths (as uint32), then the bytes.
        let strings = [Array("hello".utf8), [], Array(repeating: UInt8(7), count: 300)]
        var crc: UInt32 = 0
        var lengths: [UInt8] = []
        for s in strings {
            lengths += TestSSTableWriter.varint(UInt64(s.count))
            crc = TestSSTableWriter.le32(UInt32(s.count)).withUnsafeBytes { CRC32C.extend(crc, $0) }
        }
        let bytes = lengths + TestSSTableWriter.le32(CRC32C.mask(crc)) + strings.flatMap { $0 }
        // The entry CRC is over the lengths as uint32, the stored checksum and the bytes.
        var whole = crc
        whole = TestSSTableWriter.le32(CRC32C.mask(crc)).withUnsafeBytes { CRC32C.extend(whole, $0) }
        whole = strings.flatMap { $0 }.withUnsafeBytes { CRC32C.extend(whole, $0) }
        let prefix = try TestBundleWriter().write([.init(key: "s", dtype: 7, shape: [3], bytes: bytes, crc: whole)], to: dir)
        let r = try BundleReader(prefix: prefix)
        XCTAssertEqual(try r.stringTensor("s"), strings)
        // A CRC over the stored varints instead (what a naive reader would check) is not TF's.
        let naive = try TestBundleWriter().write([.init(key: "s", dtype: 7, shape: [3], bytes: bytes)], to: dir, name: "naive")
        XCTAssertThrowsError(try BundleReader(prefix: naive).stringTensor("s"))
    }
}
