// Reads NumPy `.npy` arrays of frames, (T, H, W, 3) float32 in [0, 1] or uint8, one frame at a time.

import Foundation
import VideoDecoding

/// A `.npy` file that cannot be used as frames, with the reason.
public struct NpyError: Error, CustomStringConvertible, Sendable {
    /// The file.
    public let path: String
    /// One line saying what is wrong.
    public let problem: String
    /// `"<path>: <problem>"`.
    public var description: String { "\(path): \(problem)" }
}

/// A NumPy `.npy` array of frames `(T, H, W, 3)`, read one frame at a time.
public final class NpyReader {
    /// The element types accepted.
    public enum DType: Sendable {
        /// Little-endian float32, values in [0, 1].
        case float32
        /// uint8, divided by 255.
        case uint8
    }

    /// The file.
    public let path: String
    /// The element type.
    public let dtype: DType
    /// T, the number of frames.
    public let frames: Int
    /// H, each frame's height.
    public let height: Int
    /// W, each frame's width.
    public let width: Int
    private let handle: FileHandle
    private var nextIndex = 0

    /// Opens `path` and reads its header; throws ``NpyError`` for anything but a C-order
    /// `(T, H, W, 3)` float32 or uint8 array.
    public init(path: String) throws {
        self.path = path
        let fd = FileNames.open(path, O_RDONLY)
        guard fd >= 0 else {
            throw NpyError(path: path, problem: errno == ENOENT ? "no such file" : "cannot open")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.handle = handle
        let magic = (try? handle.read(upToCount: 10)).map { [UInt8]($0) } ?? []
        guard magic.count == 10, magic[0] == 0x93, Array(magic[1..<6]) == Array("NUMPY".utf8) else {
            throw NpyError(path: path, problem: "not a .npy file")
        }
        let major = magic[6]
        var headerLength = Int(magic[8]) | Int(magic[9]) << 8
        if major >= 2 {
            let extra = (try? handle.read(upToCount: 2)).map { [UInt8]($0) } ?? []
            guard extra.count == 2 else { throw NpyError(path: path, problem: "truncated header") }
            headerLength |= Int(extra[0]) << 16 | Int(extra[1]) << 24
        }
        guard headerLength > 0, headerLength < 1 << 20,
              let headerData = try? handle.read(upToCount: headerLength), headerData.count == headerLength
        else { throw NpyError(path: path, problem: "truncated header") }
        let header = String(decoding: headerData, as: UTF8.self)
        let parsed = try NpyReader.parseHeader(header, path: path)
        dtype = parsed.dtype
        (frames, height, width) = (parsed.shape[0], parsed.shape[1], parsed.shape[2])
        if height > 16384 || width > 16384 || height * width > NpyReader.maxFramePixels {
            throw NpyError(path: path, problem: "frames of \(width)x\(height) are too large")
        }
        // The header may claim anything (10^15 elements): a frame is read whole, so a regular file
        // must hold at least one before a frame-sized buffer is asked for. Frames missing further
        // on end the array with a "truncated" error, as from a pipe.
        let frameBytes = height * width * 3 * (dtype == .float32 ? 4 : 1)
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            let available = Int(st.st_size) - (10 + (major >= 2 ? 2 : 0) + headerLength)
            if frameBytes > available {
                throw NpyError(path: path, problem: "truncated: the header declares \(frames) frames of \(width)x\(height) (\(frameBytes) bytes each) but \(max(available, 0)) bytes of data follow")
            }
        }
    }

    deinit { try? handle.close() }

    /// Largest frame accepted, in pixels (4096 × 4096: a float32 frame is 200 MB, read whole).
    public static let maxFramePixels = 1 << 24

    /// Whether `prefix` (a file's first bytes) is the `.npy` magic `\x93NUMPY`.
    public static func hasMagic(prefix b: [UInt8]) -> Bool {
        b.count >= 6 && b[0] == 0x93 && Array(b[1..<6]) == Array("NUMPY".utf8)
    }

    /// Parses the header dictionary, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (13, 172, 172, 3), }`.
    static func parseHeader(_ header: String, path: String) throws -> (dtype: DType, shape: [Int]) {
        func value(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = value("descr") else { throw NpyError(path: path, problem: "header has no dtype") }
        let dtype: DType
        if descr.hasPrefix("'<f4'") || descr.hasPrefix("'float32'") { dtype = .float32 }
        else if descr.hasPrefix("'|u1'") || descr.hasPrefix("'<u1'") || descr.hasPrefix("'u1'") { dtype = .uint8 }
        else {
            let shown = descr.prefix(while: { $0 != "," })
            throw NpyError(path: path, problem: "dtype \(shown) is not supported (float32 or uint8)")
        }
        if let order = value("fortran_order"), order.hasPrefix("True") {
            throw NpyError(path: path, problem: "Fortran-order arrays are not supported")
        }
        guard let shapeText = value("shape"), shapeText.hasPrefix("("),
              let close = shapeText.firstIndex(of: ")") else {
            throw NpyError(path: path, problem: "header has no shape")
        }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.count == 4, shape[3] == 3, shape[0] > 0, shape[1] > 0, shape[2] > 0
        else { throw NpyError(path: path, problem: "shape (\(dims.joined(separator: ", "))) is not (T, H, W, 3)") }
        return (dtype, shape)
    }

    /// The next frame as floats in [0, 1], (H, W, 3); nil after the last.
    public func nextFrame() throws -> [Float]? {
        guard nextIndex < frames else { return nil }
        let count = height * width * 3
        let bytes = count * (dtype == .float32 ? 4 : 1)
        guard let data = try? handle.read(upToCount: bytes), data.count == bytes else {
            throw NpyError(path: path, problem: "truncated at frame \(nextIndex) of \(frames)")
        }
        nextIndex += 1
        switch dtype {
        case .uint8:
            return data.map { Float($0) / 255 }
        case .float32:
            return data.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
    }

    /// The next frame as uint8 RGB (only for uint8 arrays), for resizing.
    public func nextFrameBytes() throws -> [UInt8]? {
        guard nextIndex < frames else { return nil }
        let count = height * width * 3
        guard let data = try? handle.read(upToCount: count), data.count == count else {
            throw NpyError(path: path, problem: "truncated at frame \(nextIndex) of \(frames)")
        }
        nextIndex += 1
        return [UInt8](data)
    }
}
