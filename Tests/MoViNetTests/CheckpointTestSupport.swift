// Helpers for the checkpoint tests: fixture paths, a small .npy reader, an SSTable writer.

import Foundation
import MoViNet
import XCTest

enum CheckpointFixtures {
    /// `Tests/MoViNetTests/Fixtures/tf`.
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tf")
    }

    static func dir(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// A copy of a fixture folder in a fresh temporary directory (for corruption tests).
    static func copy(_ name: String) throws -> URL {
        let tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("movinet-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let dst = tmp.appendingPathComponent(name)
        try FileManager.default.copyItem(at: dir(name), to: dst)
        return dst
    }
}

/// Reads a little-endian float32 C-order `.npy` file (what tools/tf/make_reference.py writes).
func readNpyFloat32(_ url: URL) throws -> (shape: [Int], data: [Float]) {
    let d = try Data(contentsOf: url)
    let b = [UInt8](d)
    guard b.count > 10, b[0] == 0x93, String(decoding: b[1..<6], as: UTF8.self) == "NUMPY" else {
        throw ModelError(url.path, "not an .npy file")
    }
    let major = b[6]
    let headerLength = major == 1 ? Int(b[8]) | Int(b[9]) << 8
                                  : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
    let start = major == 1 ? 10 : 12
    let header = String(decoding: b[start..<(start + headerLength)], as: UTF8.self)
    guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
          let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
        throw ModelError(url.path, "unsupported .npy header \(header)")
    }
    let shape = header[open.upperBound..<close].split(separator: ",")
        .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let n = shape.reduce(1, *)
    let body = start + headerLength
    guard b.count - body == 4 * n else { throw ModelError(url.path, "size does not match shape \(shape)") }
    var out = [Float](repeating: 0, count: n)
    b.withUnsafeBytes { raw in
        for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: body + 4 * i, as: UInt32.self))) }
    }
    return (shape, out)
}

/// Writes LevelDB-format tables the way TF's `table_builder.cc` does, to test the reader on
/// inputs the fixtures do not cover (several data blocks, restart intervals, compression flags).
struct TestSSTableWriter {
    var blockSize = 64
    var restartInterval = 3
    var compressionType: UInt8 = 0

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    func block(_ entries: [([UInt8], [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var restarts: [UInt32] = []
        var last: [UInt8] = []
        for (i, (k, v)) in entries.enumerated() {
            var shared = 0
            if i % restartInterval == 0 {
                restarts.append(UInt32(out.count))
            } else {
                while shared < min(last.count, k.count) && last[shared] == k[shared] { shared += 1 }
            }
            out += Self.varint(UInt64(shared)) + Self.varint(UInt64(k.count - shared)) + Self.varint(UInt64(v.count))
            out += k[shared...] + v
            last = k
        }
        if restarts.isEmpty { restarts = [0] }
        for r in restarts { out += Self.le32(r) }
        out += Self.le32(UInt32(restarts.count))
        return out
    }

    func table(_ entries: [([UInt8], [UInt8])]) -> [UInt8] {
        var file: [UInt8] = []
        func put(_ contents: [UInt8]) -> [UInt8] {
            let handle = Self.varint(UInt64(file.count)) + Self.varint(UInt64(contents.count))
            let withType = contents + [compressionType]
            file += withType + Self.le32(CRC32C.mask(CRC32C.checksum(withType)))
            return handle
        }
        var index: [([UInt8], [UInt8])] = []
        var pending: [([UInt8], [UInt8])] = []
        var size = 0
        for e in entries {
            pending.append(e)
            size += e.0.count + e.1.count + 3
            if size >= blockSize {
                index.append((e.0, put(block(pending))))
                pending = []
                size = 0
            }
        }
        if !pending.isEmpty { index.append((pending.last!.0, put(block(pending)))) }
        let meta = put(block([]))
        let idx = put(block(index))
        var footer = meta + idx
        footer += [UInt8](repeating: 0, count: 40 - footer.count)
        footer += [0x57, 0xFB, 0x80, 0x8B, 0x24, 0x75, 0x47, 0xDB]
        return file + footer
    }
}

/// Writes small tensor bundles (`.index` + `.data-NNNNN-of-NNNNN`) the way TF's BundleWriter lays
/// them out, to test dtypes, shards and header checks the fixtures do not cover.
struct TestBundleWriter {
    struct Item {
        var key: String
        var dtype: Int
        var shape: [Int]
        var bytes: [UInt8]
        var shard = 0
        /// The unmasked CRC32C to store, when it is not that of `bytes` (string tensors).
        var crc: UInt32? = nil
    }

    var numShards = 1
    var endianness = 0
    var minConsumer = 0
    var badConsumers: [Int] = []

    static func tag(_ field: Int, _ wire: Int) -> [UInt8] { TestSSTableWriter.varint(UInt64(field << 3 | wire)) }
    static func varintField(_ field: Int, _ v: Int) -> [UInt8] { tag(field, 0) + TestSSTableWriter.varint(UInt64(v)) }
    static func bytesField(_ field: Int, _ b: [UInt8]) -> [UInt8] {
        tag(field, 2) + TestSSTableWriter.varint(UInt64(b.count)) + b
    }

    /// Writes `<prefix>.index` and the shards; returns the prefix.
    func write(_ items: [Item], to dir: URL, name: String = "bundle") throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let prefix = dir.appendingPathComponent(name).path
        var shards = [[UInt8]](repeating: [], count: numShards)
        var entries: [([UInt8], [UInt8])] = []
        for it in items {
            let offset = shards[it.shard].count
            shards[it.shard] += it.bytes
            let dims = it.shape.map { Self.bytesField(2, Self.varintField(1, $0)) }.flatMap { $0 }
            var e = Self.varintField(1, it.dtype) + Self.bytesField(2, dims)
            e += Self.varintField(3, it.shard) + Self.varintField(4, offset) + Self.varintField(5, it.bytes.count)
            e += Self.tag(6, 5) + TestSSTableWriter.le32(CRC32C.mask(it.crc ?? CRC32C.checksum(it.bytes)))
            entries.append((Array(it.key.utf8), e))
        }
        var version = Self.varintField(1, 1) + Self.varintField(2, minConsumer)
        for b in badConsumers { version += Self.varintField(3, b) }
        let header = Self.varintField(1, numShards) + Self.varintField(2, endianness) + Self.bytesField(3, version)
        entries.append(([], header))
        entries.sort { $0.0.lexicographicallyPrecedes($1.0) }
        try Data(TestSSTableWriter(blockSize: 100, restartInterval: 2).table(entries))
            .write(to: URL(fileURLWithPath: prefix + ".index"))
        for (i, s) in shards.enumerated() {
            try Data(s).write(to: URL(fileURLWithPath: prefix + String(format: ".data-%05d-of-%05d", i, numShards)))
        }
        return prefix
    }
}
