// Which files are media: content sniffing (GIF, MP4/MOV, Matroska/WebM, AVI, FLV, Ogg, MPEG, ASF,
// `.npy`) and the recursive, sorted scan of a folder.

import Foundation

/// Recognising media files by their first bytes, and finding them in folders.
public enum MediaFiles {
    /// Whether `s` is an `http://` or `https://` URL (kept as given, never scanned).
    public static func isURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// Media files below `directory`, sorted by path (byte order, like `find | LC_ALL=C sort`).
    public static func find(under directory: String) -> [String] {
        let fm = FileManager.default
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var found: [String] = []
        var pending = [root]
        while let dir = pending.popLast() {
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where !name.hasPrefix(".") {
                let path = dir + "/" + name
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }
                if isDir.boolValue {
                    pending.append(path)
                } else if isMedia(path: path) {
                    found.append(path)
                }
            }
        }
        return found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Whether a file's first bytes look like a video, a GIF or a `.npy` array.
    public static func isMedia(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 16) else { return false }
        return isMedia(header: [UInt8](head))
    }

    /// Whether a file starting with these bytes is a video, a GIF or a `.npy` array.
    public static func isMedia(header b: [UInt8]) -> Bool {
        func at(_ offset: Int, _ s: String) -> Bool {
            let bytes = Array(s.utf8)
            return b.count >= offset + bytes.count && Array(b[offset..<(offset + bytes.count)]) == bytes
        }
        if at(0, "GIF87a") || at(0, "GIF89a") { return true }
        if b.count >= 6 && b[0] == 0x93 && at(1, "NUMPY") { return true }                 // .npy
        if ["ftyp", "moov", "mdat", "wide", "free", "skip"].contains(where: { at(4, $0) }) { return true } // mp4/mov
        if b.count >= 4 && b[0] == 0x1A && b[1] == 0x45 && b[2] == 0xDF && b[3] == 0xA3 { return true } // mkv/webm
        if at(0, "RIFF") && (at(8, "AVI ") || at(8, "WEBP")) { return true }
        if at(0, "FLV") || at(0, "OggS") { return true }
        if b.count >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 1 && (b[3] == 0xBA || b[3] == 0xB3) { return true } // MPEG-PS/ES
        if b.count >= 4 && b[0] == 0x30 && b[1] == 0x26 && b[2] == 0xB2 && b[3] == 0x75 { return true } // ASF/WMV
        return false
    }

}
