// Unpacks .tar.gz archives (gzip through zlib, tar parsed here) without ever writing
// outside the target folder: absolute paths, `..` components and links are refused.

import Foundation

/// An archive that was refused or could not be unpacked, with the reason.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    /// The archive.
    public let path: String
    /// One line saying what is wrong.
    public let problem: String
    /// `"<path>: <problem>"`.
    public var description: String { "\(path): \(problem)" }
}

/// Unpacks the downloaded model archives, refusing anything that would write outside the target.
public enum TarExtractor {
    /// Decompresses `archive` (gzip, through zlib) into a temporary tar beside `directory`, then
    /// extracts it.
    public static func extractTarGz(_ archive: String, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tarPath = directory + ".tar"
        defer { try? FileManager.default.removeItem(atPath: tarPath) }
        try Gunzip.decompress(archive, to: tarPath, displayName: archive)
        try extractTar(tarPath, into: directory, displayName: archive)
    }

    /// Extracts a plain tar. Regular files and folders only; anything else that would create an
    /// entry (links, devices) is refused, as is any path that is absolute or contains `..`.
    public static func extractTar(_ tarPath: String, into directory: String, displayName: String? = nil) throws {
        let name = displayName ?? tarPath
        guard let input = FileHandle(forReadingAtPath: tarPath) else {
            throw ArchiveError(path: name, problem: "cannot open")
        }
        defer { try? input.close() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var longName: String?
        var paxPath: String?
        var entries = 0
        while true {
            guard let block = try input.read(upToCount: 512), block.count == 512 else {
                if entries == 0 { throw ArchiveError(path: name, problem: "not a tar archive (empty)") }
                throw ArchiveError(path: name, problem: "truncated archive")
            }
            let h = [UInt8](block)
            if h.allSatisfy({ $0 == 0 }) { break }    // end-of-archive marker
            #if !FUZZING  // fuzzers reach the parser behind the checksum (Fuzz/README.md)
            guard checksumMatches(h) else { throw ArchiveError(path: name, problem: "bad tar header checksum") }
            #endif
            entries += 1
            let size = try octal(h[124..<136], name: name)
            guard size <= maxEntrySize else {
                throw ArchiveError(path: name, problem: "entry \(entries) declares \(size) bytes, over \(maxEntrySize >> 30) GB")
            }
            let type = h[156]
            let padded = (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"), UInt8(ascii: "g"):
                // Held in memory: a long name or pax header is a few hundred bytes.
                guard size <= maxHeaderSize else {
                    throw ArchiveError(path: name, problem: "entry \(entries) is a \(size)-byte extended header, over \(maxHeaderSize >> 10) KB")
                }
            default:
                break
            }
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                let data = try readExactly(input, padded, name: name).prefix(size)
                if type == UInt8(ascii: "L") {
                    longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                } else {
                    paxPath = paxValue(String(decoding: data, as: UTF8.self), key: "path")
                }
                continue
            case UInt8(ascii: "g"):
                _ = try readExactly(input, padded, name: name)
                continue
            default:
                break
            }
            var path = longName ?? paxPath ?? headerName(h)
            longName = nil
            paxPath = nil
            if path.hasPrefix("./") { path.removeFirst(2) }
            let components = try safeComponents(path, name: name)
            let target = ([directory] + components).joined(separator: "/")
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                // `.` or `./` as a file would be the target folder itself (and replace it).
                guard !components.isEmpty else {
                    throw ArchiveError(path: name, problem: "entry '\(path)' is a file named like the target folder")
                }
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                       withIntermediateDirectories: true)
                try copy(input, bytes: size, padded: padded, to: target, name: name)
            case UInt8(ascii: "5"):
                try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
                if padded > 0 { _ = try readExactly(input, padded, name: name) }
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw ArchiveError(path: name, problem: "entry '\(path)' is a link; links are not extracted")
            default:
                throw ArchiveError(path: name, problem: "entry '\(path)' has unsupported type '\(Character(UnicodeScalar(type)))'")
            }
        }
    }

    /// The path's components, or an error when it would leave the target folder.
    static func safeComponents(_ path: String, name: String) throws -> [String] {
        if path.isEmpty { throw ArchiveError(path: name, problem: "entry with an empty name") }
        if path.hasPrefix("/") { throw ArchiveError(path: name, problem: "entry '\(path)' has an absolute path") }
        let parts = path.split(separator: "/").map(String.init).filter { $0 != "." }
        if parts.contains("..") {
            throw ArchiveError(path: name, problem: "entry '\(path)' points outside the target folder ('..')")
        }
        if parts.contains(where: { $0.contains("\0") }) {
            throw ArchiveError(path: name, problem: "entry '\(path)' has a NUL in its name")
        }
        return parts
    }

    static func headerName(_ h: [UInt8]) -> String {
        func cString(_ s: ArraySlice<UInt8>) -> String { String(decoding: s.prefix { $0 != 0 }, as: UTF8.self) }
        let name = cString(h[0..<100])
        let isUstar = Array(h[257..<262]) == Array("ustar".utf8)
        let prefix = isUstar ? cString(h[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    static func checksumMatches(_ h: [UInt8]) -> Bool {
        guard let stored = try? octal(h[148..<156], name: "") else { return false }
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        return sum == stored
    }

    /// Largest member accepted (the official MoViNet archives hold files of < 100 MB).
    static let maxEntrySize = 16 << 30
    /// Largest long-name or pax header accepted.
    static let maxHeaderSize = 1 << 20

    static func octal(_ field: ArraySlice<UInt8>, name: String) throws -> Int {
        if let first = field.first, first & 0x80 != 0 {   // GNU base-256
            // Only non-negative values that fit 62 bits: a negative size (0xff…) or one of 2^95
            // would overflow or turn into a bogus read length.
            guard first & 0x40 == 0 else { throw ArchiveError(path: name, problem: "negative number in tar header") }
            var v = 0
            for (i, b) in field.enumerated() {
                guard v < 1 << 54 else { throw ArchiveError(path: name, problem: "number out of range in tar header") }
                v = v << 8 | Int(i == 0 ? b & 0x7F : b)
            }
            return v
        }
        let text = String(decoding: field.prefix { $0 != 0 && $0 != 0x20 }
                          .drop { $0 == 0x20 }, as: UTF8.self)
        if text.isEmpty { return 0 }
        guard let v = Int(text, radix: 8), v >= 0 else { throw ArchiveError(path: name, problem: "bad number in tar header") }
        return v
    }

    static func paxValue(_ text: String, key: String) -> String? {
        for record in text.split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let kv = record[record.index(after: space)...]
            if kv.hasPrefix(key + "=") { return String(kv.dropFirst(key.count + 1)) }
        }
        return nil
    }

    static func readExactly(_ h: FileHandle, _ n: Int, name: String) throws -> Data {
        if n == 0 { return Data() }
        guard let d = try h.read(upToCount: n), d.count == n else {
            throw ArchiveError(path: name, problem: "truncated archive")
        }
        return d
    }

    static func copy(_ input: FileHandle, bytes: Int, padded: Int, to target: String, name: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
        guard fm.createFile(atPath: target, contents: nil), let out = FileHandle(forWritingAtPath: target) else {
            throw ArchiveError(path: name, problem: "cannot create \(target)")
        }
        defer { try? out.close() }
        var left = bytes
        while left > 0 {
            let chunk = try readExactly(input, min(left, 1 << 20), name: name)
            try out.write(contentsOf: chunk)
            left -= chunk.count
        }
        if padded > bytes { _ = try readExactly(input, padded - bytes, name: name) }
    }
}
