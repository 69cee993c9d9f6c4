// A pure-Swift reader for TF tensor bundles (checkpoints): `<prefix>.index` + `<prefix>.data-NNNNN-of-NNNNN`.
//
// The index is an SSTable (see SSTable.swift). Key "" holds a `BundleHeaderProto {num_shards = 1,
// endianness = 2 (LITTLE = 0), version = 3 (VersionDef)}`; every other key a `BundleEntryProto
// {dtype = 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6 (masked, fixed32), slices = 7}`
// (tensorflow/core/protobuf/tensor_bundle.proto). Tensor bytes are raw little-endian, row-major.

import Foundation

/// TF `DataType` values this reader understands.
public enum BundleDType: Int, Sendable {
    case float = 1, double = 2, int32 = 3, uint8 = 4, int16 = 5, int8 = 6, string = 7, int64 = 9,
         bool = 10, bfloat16 = 14, half = 19

    var byteSize: Int? {
        switch self {
        case .float, .int32: return 4
        case .double, .int64: return 8
        case .uint8, .int8, .bool: return 1
        case .int16, .bfloat16, .half: return 2
        case .string: return nil
        }
    }
}

public struct BundleEntry: Sendable, Equatable {
    public var key: String
    /// The raw TF DataType number (see `BundleDType`).
    public var dtypeRaw: Int
    public var shape: [Int]
    public var shardID: Int
    public var offset: Int
    public var size: Int
    /// Masked CRC32C of the stored bytes, as written by TF.
    public var maskedCRC32C: UInt32
    public var isSliced: Bool

    public var dtype: BundleDType? { BundleDType(rawValue: dtypeRaw) }
    public var elementCount: Int { shape.reduce(1, *) }
}

public final class BundleReader: @unchecked Sendable {
    /// The checkpoint prefix (`…/ckpt-1`, `…/variables/variables`).
    public let prefix: String
    public let numShards: Int
    /// Every tensor entry by key (the header entry "" excluded).
    public let entries: [String: BundleEntry]
    private var shards: [Int: BundleMappedFile] = [:]
    private let lock = NSLock()

    public var indexPath: String { prefix + ".index" }

    public init(prefix: String) throws {
        self.prefix = prefix
        let indexPath = prefix + ".index"
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw ModelError(indexPath, "cannot read the checkpoint index")
        }
        let table = try SSTable.read(path: indexPath, bytes: [UInt8](data))
        guard let first = table.first, first.key.isEmpty else {
            throw ModelError(indexPath, "checkpoint index has no bundle header (empty key)")
        }
        do {
            numShards = try Self.checkHeader(first.value)
        } catch let e as ProtobufError {
            throw ModelError(indexPath, "bad bundle header: \(e.message)")
        }
        var entries: [String: BundleEntry] = [:]
        for (k, v) in table.dropFirst() {
            let key = String(decoding: k, as: UTF8.self)
            do {
                let e = try Self.decodeEntry(key: key, v)
                guard e.shardID >= 0, e.shardID < numShards else {
                    throw ProtobufError("shard \(e.shardID) of \(numShards)")
                }
                guard e.offset >= 0, e.size >= 0 else { throw ProtobufError("negative offset or size") }
                entries[key] = e
            } catch let e as ProtobufError {
                throw ModelError(indexPath, "bad entry for tensor '\(key)': \(e.message)")
            }
        }
        self.entries = entries
    }

    /// Validates `BundleHeaderProto` and returns the shard count.
    static func checkHeader(_ bytes: [UInt8]) throws -> Int {
        var numShards = 1  // proto default 0 would mean none; TF always writes ≥ 1
        var sawShards = false
        var endianness: UInt64 = 0
        var minConsumer: Int64 = 0
        var badConsumers: [Int64] = []
        for (f, v) in try ProtobufReader.fields(bytes) {
            switch f {
            case 1: numShards = Int(truncatingIfNeeded: v.int64 ?? 0); sawShards = true
            case 2: endianness = v.uint64 ?? 0
            case 3:
                guard let b = v.bytes else { throw ProtobufError("version is not a message") }
                for (vf, vv) in try ProtobufReader.fields(b) {
                    if vf == 2 { minConsumer = vv.int64 ?? 0 }
                    if vf == 3 {
                        if let p = vv.bytes { badConsumers += try ProtobufReader.packedVarints(p).map { Int64(bitPattern: $0) } }
                        else if let x = vv.int64 { badConsumers.append(x) }
                    }
                }
            default: break
            }
        }
        guard endianness == 0 else { throw ProtobufError("big-endian bundles are not supported") }
        // This reader implements bundle format version 1 (kTensorBundleVersion).
        guard minConsumer <= 1 else { throw ProtobufError("needs a reader of version \(minConsumer) or later (this one reads 1)") }
        guard !badConsumers.contains(1) else { throw ProtobufError("marks reader version 1 as bad") }
        if !sawShards { numShards = 0 }
        guard numShards >= 1, numShards < 100_000 else { throw ProtobufError("bad shard count \(numShards)") }
        return numShards
    }

    static func decodeEntry(key: String, _ bytes: [UInt8]) throws -> BundleEntry {
        var e = BundleEntry(key: key, dtypeRaw: 0, shape: [], shardID: 0, offset: 0, size: 0,
                            maskedCRC32C: 0, isSliced: false)
        var sawCRC = false
        for (f, v) in try ProtobufReader.fields(bytes) {
            switch f {
            case 1: e.dtypeRaw = Int(truncatingIfNeeded: v.int64 ?? 0)
            case 2:
                guard let b = v.bytes else { throw ProtobufError("shape is not a message") }
                e.shape = try decodeShape(b)
            case 3: e.shardID = Int(truncatingIfNeeded: v.int64 ?? 0)
            case 4: e.offset = Int(truncatingIfNeeded: v.int64 ?? 0)
            case 5: e.size = Int(truncatingIfNeeded: v.int64 ?? 0)
            case 6:
                guard case .fixed32(let c) = v else { throw ProtobufError("crc32c is not fixed32") }
                e.maskedCRC32C = c
                sawCRC = true
            case 7: e.isSliced = true
            default: break
            }
        }
        if !sawCRC && e.size > 0 { throw ProtobufError("no crc32c") }
        var n = 1
        for d in e.shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p < (1 << 40) else { throw ProtobufError("shape \(e.shape) is too large") }
            n = p
        }
        return e
    }

    /// `TensorShapeProto {dim = 2 {size = 1}, unknown_rank = 3}`.
    static func decodeShape(_ bytes: [UInt8]) throws -> [Int] {
        var dims: [Int] = []
        for (f, v) in try ProtobufReader.fields(bytes) {
            if f == 2, let d = v.bytes {
                var size: Int64 = 0
                for (df, dv) in try ProtobufReader.fields(d) where df == 1 { size = dv.int64 ?? 0 }
                guard size >= 0, size < (1 << 40) else { throw ProtobufError("bad dimension \(size)") }
                dims.append(Int(size))
            } else if f == 3, v.uint64 ?? 0 != 0 {
                throw ProtobufError("unknown rank")
            }
        }
        return dims
    }

    public func shardPath(_ id: Int) -> String {
        prefix + String(format: ".data-%05d-of-%05d", id, numShards)
    }

    private func shard(_ id: Int) throws -> BundleMappedFile {
        lock.lock()
        defer { lock.unlock() }
        if let s = shards[id] { return s }
        let s = try BundleMappedFile(path: shardPath(id))
        shards[id] = s
        return s
    }

    /// The stored bytes of `key`, CRC32C-checked, passed to `body`.
    public func withCheckedBytes<R>(_ key: String, _ body: (UnsafeRawBufferPointer, BundleEntry) throws -> R) throws -> R {
        guard let e = entries[key] else { throw ModelError(indexPath, "no tensor '\(key)' in the checkpoint") }
        guard !e.isSliced else { throw ModelError(indexPath, "tensor '\(key)' is partitioned (sliced), which is not supported") }
        let file = try shard(e.shardID)
        let r: R? = try file.withBytes(offset: e.offset, length: e.size) { raw in
            let crc = e.dtype == .string ? Self.stringTensorCRC(raw, count: e.elementCount) : CRC32C.checksum(raw)
            #if FUZZING  // fuzzers reach the parser behind the checksum (Fuzz/README.md)
            let crcMatches = crc != nil
            #else
            let crcMatches = crc.map { CRC32C.mask($0) == e.maskedCRC32C } ?? false
            #endif
            guard crcMatches else {
                throw ModelError(file.path, "CRC32C mismatch for tensor '\(key)' (\(e.size) bytes at offset \(e.offset)): the file is corrupted")
            }
            return try body(raw, e)
        }
        guard let r else {
            throw ModelError(file.path, "tensor '\(key)' (\(e.size) bytes at offset \(e.offset)) lies past the end of the \(file.count)-byte shard (truncated?)")
        }
        return r
    }

    /// A numeric tensor converted to float32 (float16, bfloat16, float64, integer types accepted).
    public func floatTensor(_ key: String) throws -> Tensor {
        try withCheckedBytes(key) { raw, e in
            let n = e.elementCount
            guard let dtype = e.dtype, let width = dtype.byteSize, dtype != .bool else {
                throw ModelError(indexPath, "tensor '\(key)' has unsupported dtype \(e.dtypeRaw)")
            }
            guard raw.count == n * width else {
                throw ModelError(indexPath, "tensor '\(key)': \(raw.count) bytes stored for shape \(e.shape) of dtype \(dtype)")
            }
            var out = [Float](repeating: 0, count: n)
            func le<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            }
            switch dtype {
            case .float: for i in 0..<n { out[i] = Float(bitPattern: le(i, UInt32.self)) }
            case .double: for i in 0..<n { out[i] = Float(Double(bitPattern: le(i, UInt64.self))) }
            case .half: for i in 0..<n { out[i] = Self.halfToFloat(le(i, UInt16.self)) }
            case .bfloat16: for i in 0..<n { out[i] = Float(bitPattern: UInt32(le(i, UInt16.self)) << 16) }
            case .int32: for i in 0..<n { out[i] = Float(le(i, Int32.self)) }
            case .int64: for i in 0..<n { out[i] = Float(le(i, Int64.self)) }
            case .int16: for i in 0..<n { out[i] = Float(le(i, Int16.self)) }
            case .int8: for i in 0..<n { out[i] = Float(le(i, Int8.self)) }
            case .uint8: for i in 0..<n { out[i] = Float(le(i, UInt8.self)) }
            case .bool, .string: break
            }
            return Tensor(shape: e.shape, data: out)
        }
    }

    /// A string tensor's elements. Stored as varint64 lengths, a 4-byte masked CRC32C of the
    /// lengths, then the bytes (tensor_bundle.cc `WriteStringTensor`).
    public func stringTensor(_ key: String) throws -> [[UInt8]] {
        try withCheckedBytes(key) { raw, e in
            guard e.dtype == .string else { throw ModelError(indexPath, "tensor '\(key)' is not a string tensor") }
            let bytes = [UInt8](raw)
            var r = ProtobufReader(bytes)
            var lengths: [Int] = []
            do {
                for _ in 0..<e.elementCount {
                    let l = try r.readVarint()
                    guard l <= UInt64(bytes.count) else { throw ProtobufError("string length \(l)") }
                    lengths.append(Int(l))
                }
            } catch let p as ProtobufError {
                throw ModelError(indexPath, "string tensor '\(key)': \(p.message)")
            }
            let headerLength = bytes.count - lengths.reduce(0, +) - 4
            guard headerLength >= 0 else { throw ModelError(indexPath, "string tensor '\(key)' is too short") }
            var pos = headerLength + 4
            var out: [[UInt8]] = []
            for l in lengths {
                out.append(Array(bytes[pos..<(pos + l)]))
                pos += l
            }
            return out
        }
    }

    /// String tensors are checksummed over each length as a little-endian uint32 (uint64 when
    /// larger), not over the varints stored, then the 4 stored checksum bytes, then the strings
    /// (tensor_bundle.cc `WriteStringTensor`). Nil when the lengths cannot be parsed.
    static func stringTensorCRC(_ raw: UnsafeRawBufferPointer, count: Int) -> UInt32? {
        var pos = 0
        var crc: UInt32 = 0
        for _ in 0..<count {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard pos < raw.count, shift < 64 else { return nil }
                let b = raw[pos]
                pos += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            if v <= UInt64(UInt32.max) {
                var le = UInt32(v).littleEndian
                crc = withUnsafeBytes(of: &le) { CRC32C.extend(crc, $0) }
            } else {
                var le = v.littleEndian
                crc = withUnsafeBytes(of: &le) { CRC32C.extend(crc, $0) }
            }
        }
        guard raw.count - pos >= 4 else { return nil }
        return CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: raw[pos...]))
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * Float(sign != 0 ? -1 : 1) / Float(1 << 24)
            return v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (mant << 13))
    }
}
