// A minimal protocol-buffers wire-format reader: varints, fixed32/64, length-delimited fields.

/// A malformed protobuf message (what the caller turns into a `ModelError` naming the file).
public struct ProtobufError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One field as read off the wire; nested messages stay as bytes until the caller decodes them.
public enum ProtobufValue: Sendable, Equatable {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes([UInt8])
    case fixed32(UInt32)

    public var uint64: UInt64? {
        switch self {
        case .varint(let v), .fixed64(let v): return v
        case .fixed32(let v): return UInt64(v)
        case .bytes: return nil
        }
    }

    public var int64: Int64? { uint64.map { Int64(bitPattern: $0) } }

    public var bytes: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

public struct ProtobufReader {
    private let bytes: [UInt8]
    private var pos: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.pos = 0
        self.end = bytes.count
    }

    public var isAtEnd: Bool { pos >= end }

    /// Reads a base-128 varint (at most 10 bytes).
    public mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw ProtobufError("truncated varint") }
            let b = bytes[pos]
            pos += 1
            if shift == 63 && b > 1 { throw ProtobufError("varint too long") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ProtobufError("varint too long") }
        }
    }

    private mutating func readFixed(_ n: Int) throws -> UInt64 {
        guard end - pos >= n else { throw ProtobufError("truncated fixed\(n * 8) field") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
        pos += n
        return v
    }

    /// The next (field number, value), or nil at the end of the message.
    public mutating func next() throws -> (field: Int, value: ProtobufValue)? {
        if isAtEnd { return nil }
        let key = try readVarint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0 else { throw ProtobufError("field number 0") }
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1: return (field, .fixed64(try readFixed(8)))
        case 2:
            let n = try readVarint()
            guard n <= UInt64(end - pos) else { throw ProtobufError("length-delimited field \(field) runs past the end") }
            let start = pos
            pos += Int(n)
            return (field, .bytes(Array(bytes[start..<pos])))
        case 5: return (field, .fixed32(UInt32(truncatingIfNeeded: try readFixed(4))))
        default: throw ProtobufError("unsupported wire type \(key & 7) for field \(field)")
        }
    }

    /// All fields of a message, in order.
    public static func fields(_ bytes: [UInt8]) throws -> [(field: Int, value: ProtobufValue)] {
        var r = ProtobufReader(bytes)
        var out: [(field: Int, value: ProtobufValue)] = []
        while let f = try r.next() { out.append(f) }
        return out
    }

    /// A packed repeated varint field's elements.
    public static func packedVarints(_ bytes: [UInt8]) throws -> [UInt64] {
        var r = ProtobufReader(bytes)
        var out: [UInt64] = []
        while !r.isAtEnd { out.append(try r.readVarint()) }
        return out
    }
}
