// Scratch files for harnesses whose parser reads a path: one private folder per fuzzer process.

import Foundation

public enum Scratch {
    /// A folder of this process's own, on tmpfs when there is one.
    public static let folder: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(base)/movinet-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.folder) }
        return path
    }()

    /// Writes `bytes` to `name` inside the scratch folder and returns its path.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        let path = folder + "/" + name
        let data = bytes.isEmpty ? Data() : Data(bytes)
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            fatalError("scratch: cannot write \(path)")
        }
        return path
    }

    /// The fuzzer's input as a buffer.
    public static func buffer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    /// The repository's root (for harnesses that pair the input with a committed fixture).
    public static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }   // Fuzz/Sources/FuzzSupport/Scratch.swift
        return url.path
    }()
}

/// Reads little-endian fields off the front of a fuzzer input.
public struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    public private(set) var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var remaining: Int { bytes.count - position }
    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func u8() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    public mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    public mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }
    public mutating func i64() -> Int64 { Int64(bitPattern: u64()) }
    public mutating func f64() -> Double { Double(bitPattern: u64()) }

    /// The rest of the input.
    public mutating func rest() -> UnsafeRawBufferPointer {
        let r = UnsafeRawBufferPointer(rebasing: bytes[min(position, bytes.count)...])
        position = bytes.count
        return r
    }

    /// The next `n` bytes (fewer at the end).
    public mutating func take(_ n: Int) -> UnsafeRawBufferPointer {
        let end = min(bytes.count, position + max(0, n))
        let r = UnsafeRawBufferPointer(rebasing: bytes[min(position, end)..<end])
        position = end
        return r
    }
}
