// A bounds-checked reader for the FlatBuffers wire format (tables, vtables, vectors, strings).
//
// No generated code: the TFLite schema subset is read field by field in TFLiteSchema.swift.
// Every offset is checked against the buffer before it is followed, and every vector length
// against the bytes that remain, so a truncated or corrupted file throws instead of trapping
// or allocating without bound.

struct FlatBufferError: Error {
    var message: String
}

struct FlatBuffer {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var count: Int { bytes.count }

    func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, size >= 0, position <= bytes.count - size else {
            throw FlatBufferError(message: "truncated or damaged: \(what()) at byte \(position) (+\(size)) lies outside the file (\(bytes.count) bytes)")
        }
    }

    func u8(_ p: Int) throws -> UInt8 {
        try check(p, 1, "a byte")
        return bytes[p]
    }

    func u16(_ p: Int) throws -> UInt16 {
        try check(p, 2, "a 16-bit value")
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }

    func u32(_ p: Int) throws -> UInt32 {
        try check(p, 4, "a 32-bit value")
        return UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16
            | UInt32(bytes[p + 3]) << 24
    }

    func i32(_ p: Int) throws -> Int32 { Int32(bitPattern: try u32(p)) }

    func u64(_ p: Int) throws -> UInt64 {
        UInt64(try u32(p)) | UInt64(try u32(p + 4)) << 32
    }

    func f32(_ p: Int) throws -> Float { Float(bitPattern: try u32(p)) }

    /// Follows a uoffset_t stored at `p` (relative to `p`).
    func follow(_ p: Int) throws -> Int {
        let target = p + Int(try u32(p))
        try check(target, 4, "an object referenced from byte \(p)")
        return target
    }

    /// The root table of the buffer.
    func root() throws -> FBTable {
        try check(0, 8, "the file header")
        return try FBTable(self, try follow(0))
    }

    /// The 4-byte file identifier after the root offset, if printable.
    var identifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }
}

/// A table: position of its start and of its vtable.
struct FBTable {
    let fb: FlatBuffer
    let position: Int
    let vtable: Int
    let vtableSize: Int

    init(_ fb: FlatBuffer, _ position: Int) throws {
        self.fb = fb
        self.position = position
        let vt = position - Int(try fb.i32(position))
        let size = Int(try fb.u16(vt))
        guard size >= 4, size % 2 == 0 else {
            throw FlatBufferError(message: "bad vtable size \(size) at byte \(vt)")
        }
        try fb.check(vt, size, "a vtable")
        self.vtable = vt
        self.vtableSize = size
    }

    /// Absolute position of field `id`, or nil when absent (default value).
    func field(_ id: Int) throws -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= vtableSize else { return nil }
        let offset = Int(try fb.u16(vtable + slot))
        return offset == 0 ? nil : position + offset
    }

    func u8(_ id: Int, default value: UInt8 = 0) throws -> UInt8 {
        guard let p = try field(id) else { return value }
        return try fb.u8(p)
    }

    func i32(_ id: Int, default value: Int32 = 0) throws -> Int32 {
        guard let p = try field(id) else { return value }
        return try fb.i32(p)
    }

    func u32(_ id: Int, default value: UInt32 = 0) throws -> UInt32 {
        guard let p = try field(id) else { return value }
        return try fb.u32(p)
    }

    func u64(_ id: Int, default value: UInt64 = 0) throws -> UInt64 {
        guard let p = try field(id) else { return value }
        return try fb.u64(p)
    }

    func table(_ id: Int) throws -> FBTable? {
        guard let p = try field(id) else { return nil }
        return try FBTable(fb, try fb.follow(p))
    }

    func string(_ id: Int) throws -> String? {
        guard let p = try field(id) else { return nil }
        let v = try FBVector(fb, try fb.follow(p), elementSize: 1)
        try fb.check(v.start, v.count, "a string")
        return String(decoding: fb.bytes[v.start..<(v.start + v.count)], as: UTF8.self)
    }

    func vector(_ id: Int, elementSize: Int) throws -> FBVector? {
        guard let p = try field(id) else { return nil }
        return try FBVector(fb, try fb.follow(p), elementSize: elementSize)
    }

    func int32s(_ id: Int) throws -> [Int32] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try fb.i32(v.start + 4 * $0) }
    }

    func floats(_ id: Int) throws -> [Float] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try fb.f32(v.start + 4 * $0) }
    }

    func int64s(_ id: Int) throws -> [Int64] {
        guard let v = try vector(id, elementSize: 8) else { return [] }
        return try (0..<v.count).map { Int64(bitPattern: try fb.u64(v.start + 8 * $0)) }
    }

    func tables(_ id: Int) throws -> [FBTable] {
        guard let v = try vector(id, elementSize: 4) else { return [] }
        return try (0..<v.count).map { try FBTable(fb, try fb.follow(v.start + 4 * $0)) }
    }
}

/// A vector: element count and the position of element 0. The whole body is bounds-checked.
struct FBVector {
    let start: Int
    let count: Int

    init(_ fb: FlatBuffer, _ position: Int, elementSize: Int) throws {
        let n = Int(try fb.u32(position))
        guard n <= (fb.count - position - 4) / max(elementSize, 1) else {
            throw FlatBufferError(message: "a vector of \(n) elements at byte \(position) runs past the end of the file")
        }
        self.start = position + 4
        self.count = n
    }
}
