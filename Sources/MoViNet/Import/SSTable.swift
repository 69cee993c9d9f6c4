// A reader for the LevelDB-format sorted table TF uses for tensor-bundle `.index` files.
//
// Layout (tensorflow/core/lib/io/{format,block,table}.cc, leveldb table_format.md):
//   [data block 0][trailer] … [data block n][trailer] [metaindex block][trailer] [index block][trailer] [footer]
//   trailer = 1 byte compression type (0 = none) + 4 bytes masked CRC32C of (block contents + type byte)
//   footer (48 bytes) = metaindex BlockHandle + index BlockHandle (varint offset, varint size),
//                       zero padding to 40 bytes, then the magic 0xdb4775248b80fb57 (little-endian)
//   block = entries { varint shared, varint non_shared, varint value_length, key delta, value }
//           then uint32 restart offsets[num_restarts], uint32 num_restarts
// The index block maps a separator key per data block to that block's handle.

public enum SSTable {
    static let magic: UInt64 = 0xDB47_7524_8B80_FB57
    static let footerLength = 48
    static let trailerLength = 5
    /// Most key bytes the entries may expand to. Keys are stored as deltas against the previous
    /// key, so a 300 KB file of entries sharing one long prefix would otherwise decode to
    /// gigabytes; a real checkpoint index holds a few thousand keys of ~100 bytes.
    static let maxKeyBytes = 64 << 20

    /// Every (key, value) of the table at `path`, in key order. Throws on any inconsistency.
    public static func read(path: String, bytes: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        func fail(_ m: String) -> ModelError { ModelError(path, "bad checkpoint index (SSTable): \(m)") }
        guard bytes.count >= footerLength else {
            throw fail("file is \(bytes.count) bytes, shorter than the 48-byte footer (truncated?)")
        }
        let footerStart = bytes.count - footerLength
        var m: UInt64 = 0
        for i in 0..<8 { m |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        guard m == magic else { throw fail("wrong magic number in the footer (truncated or not a table)") }
        var cursor = footerStart
        let (_, _) = try readHandle(bytes, &cursor, limit: bytes.count - 8, fail)  // metaindex (unused)
        let (indexOffset, indexSize) = try readHandle(bytes, &cursor, limit: bytes.count - 8, fail)
        let index = try readBlock(bytes, offset: indexOffset, size: indexSize, limit: footerStart, what: "index block", fail)
        var out: [(key: [UInt8], value: [UInt8])] = []
        var keyBytes = 0
        for (_, handle) in try entries(of: index, what: "index block", keyBytes: &keyBytes, fail) {
            var c = 0
            let (off, size) = try readHandle(handle, &c, limit: handle.count, fail)
            let block = try readBlock(bytes, offset: off, size: size, limit: footerStart, what: "data block at \(off)", fail)
            out += try entries(of: block, what: "data block at \(off)", keyBytes: &keyBytes, fail)
        }
        for i in 1..<max(out.count, 1) where !(out[i - 1].key.lexicographicallyPrecedes(out[i].key)) {
            throw fail("keys are not in strictly increasing order")
        }
        return out
    }

    private static func varint(_ b: [UInt8], _ pos: inout Int, limit: Int, _ fail: (String) -> ModelError) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < limit else { throw fail("truncated varint") }
            let byte = b[pos]
            pos += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw fail("varint too long") }
        }
    }

    private static func readHandle(_ b: [UInt8], _ pos: inout Int, limit: Int,
                                   _ fail: (String) -> ModelError) throws -> (Int, Int) {
        let off = try varint(b, &pos, limit: limit, fail)
        let size = try varint(b, &pos, limit: limit, fail)
        guard off < UInt64(Int.max / 2), size < UInt64(Int.max / 2) else { throw fail("block handle out of range") }
        return (Int(off), Int(size))
    }

    private static func readBlock(_ b: [UInt8], offset: Int, size: Int, limit: Int, what: String,
                                  _ fail: (String) -> ModelError) throws -> ArraySlice<UInt8> {
        guard offset <= limit, size <= limit - offset, trailerLength <= limit - offset - size else {
            throw fail("\(what) (\(size) bytes at \(offset)) lies outside the file (truncated?)")
        }
        let type = b[offset + size]
        var stored: UInt32 = 0
        for i in 0..<4 { stored |= UInt32(b[offset + size + 1 + i]) << (8 * UInt32(i)) }
        let actual = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size + 1)])) }
        #if !FUZZING  // fuzzers reach the parser behind the checksum (Fuzz/README.md)
        guard CRC32C.mask(actual) == stored else { throw fail("\(what) fails its CRC32C check (corrupted)") }
        #endif
        switch type {
        case 0: break
        case 1: throw fail("\(what) is Snappy-compressed, which this reader does not support")
        default: throw fail("\(what) has unknown compression type \(type)")
        }
        return b[offset..<(offset + size)]
    }

    /// Decodes one block's entries, checking its restart array.
    private static func entries(of block: ArraySlice<UInt8>, what: String, keyBytes: inout Int,
                                _ fail: (String) -> ModelError) throws -> [([UInt8], [UInt8])] {
        let b = Array(block)
        guard b.count >= 4 else { throw fail("\(what) is too short for its restart count") }
        func u32(_ at: Int) -> Int {
            Int(UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24)
        }
        let numRestarts = u32(b.count - 4)
        guard numRestarts >= 1, numRestarts <= (b.count - 4) / 4 else { throw fail("\(what) has a bad restart count") }
        let restartsStart = b.count - 4 - 4 * numRestarts
        var restarts = Set<Int>()
        var previous = -1
        for i in 0..<numRestarts {
            let r = u32(restartsStart + 4 * i)
            guard r < max(restartsStart, 1), r > previous else { throw fail("\(what) has a bad restart offset") }
            previous = r
            restarts.insert(r)
        }
        var out: [([UInt8], [UInt8])] = []
        var key: [UInt8] = []
        var pos = 0
        while pos < restartsStart {
            let entryStart = pos
            let shared = Int(try varint(b, &pos, limit: restartsStart, fail))
            let nonShared = Int(try varint(b, &pos, limit: restartsStart, fail))
            let valueLength = Int(try varint(b, &pos, limit: restartsStart, fail))
            guard shared <= key.count, nonShared <= restartsStart - pos, valueLength <= restartsStart - pos - nonShared else {
                throw fail("\(what) has an entry running past its end")
            }
            if restarts.contains(entryStart) && shared != 0 {
                throw fail("\(what) has a restart point with a shared key prefix")
            }
            if entryStart == 0 && !restarts.contains(0) { throw fail("\(what) does not restart at offset 0") }
            keyBytes += shared + nonShared
            guard keyBytes <= maxKeyBytes else {
                throw fail("its keys expand to more than \(maxKeyBytes >> 20) MB (entries sharing one long prefix)")
            }
            key = Array(key[0..<shared]) + b[pos..<(pos + nonShared)]
            pos += nonShared
            out.append((key, Array(b[pos..<(pos + valueLength)])))
            pos += valueLength
        }
        return out
    }
}
