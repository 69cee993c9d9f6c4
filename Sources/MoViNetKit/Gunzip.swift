// gzip decompression of downloaded model archives through zlib (the library FFmpeg already links),
// streamed file to file, with a cap on the decompressed size so that a small archive cannot fill
// the disk.

import CZlib
import Foundation

/// gzip decompression (zlib), file to file, capped.
public enum Gunzip {
    /// Decompressed bytes accepted by default (the official MoViNet archives unpack to < 100 MB).
    public static let defaultLimit: Int64 = 4 << 30

    /// Decompresses the gzip file `source` (one or more concatenated members) into `destination`
    /// (created or truncated); returns the decompressed size. Throws `ArchiveError` naming
    /// `displayName` for a file that is not gzip, is damaged or truncated, or unpacks to more than
    /// `limit` bytes.
    @discardableResult
    public static func decompress(_ source: String, to destination: String, limit: Int64 = defaultLimit,
                                  displayName: String? = nil) throws -> Int64 {
        let name = displayName ?? source
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw ArchiveError(path: name, problem: "cannot open")
        }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let output = FileHandle(forWritingAtPath: destination) else {
            throw ArchiveError(path: name, problem: "cannot create \(destination)")
        }
        defer { try? output.close() }

        var stream = z_stream()
        guard movinet_inflate_init_gzip(&stream) == Z_OK else {
            throw ArchiveError(path: name, problem: "cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 18
        var out = [UInt8](repeating: 0, count: chunk)
        var total: Int64 = 0
        var memberEnded = false     // the last inflate call finished a gzip member
        var sawInput = false
        while true {
            let data = try input.read(upToCount: chunk) ?? Data()
            if data.isEmpty { break }
            sawInput = true
            var bytes = [UInt8](data)
            var offset = 0
            while offset < bytes.count {
                if memberEnded {
                    // Another member follows (gzip allows concatenation): start it afresh.
                    guard inflateReset(&stream) == Z_OK else {
                        throw ArchiveError(path: name, problem: "cannot restart zlib")
                    }
                    memberEnded = false
                }
                let status: Int32 = bytes.withUnsafeMutableBufferPointer { inBuf in
                    out.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_in = inBuf.baseAddress! + offset
                        stream.avail_in = UInt32(inBuf.count - offset)
                        stream.next_out = outBuf.baseAddress!
                        stream.avail_out = UInt32(outBuf.count)
                        let s = inflate(&stream, Z_NO_FLUSH)
                        offset = inBuf.count - Int(stream.avail_in)
                        return s
                    }
                }
                let produced = chunk - Int(stream.avail_out)
                if produced > 0 {
                    total += Int64(produced)
                    if total > limit {
                        throw ArchiveError(path: name, problem:
                            "decompresses to more than \(limit >> 20) MB; refused")
                    }
                    try output.write(contentsOf: Data(out[0..<produced]))
                }
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    break
                case Z_STREAM_END:
                    memberEnded = true
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw ArchiveError(path: name, problem: "not a valid gzip file (\(detail))")
                }
                if status == Z_BUF_ERROR && produced == 0 && offset == bytes.count { break }
            }
            bytes.removeAll(keepingCapacity: true)
        }
        if !sawInput { throw ArchiveError(path: name, problem: "not a valid gzip file (empty)") }
        if !memberEnded { throw ArchiveError(path: name, problem: "truncated gzip file") }
        return total
    }
}
