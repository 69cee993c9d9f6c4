// Which files are media: content sniffing (`.npy` arrays, and everything FFmpeg's probe recognises
// as video, through VideoDecoding) and the recursive, sorted scan of a folder that never opens
// special files.

import Foundation
import VideoDecoding

/// Finding the videos in folders.
public enum MediaFiles {
    /// Whether `s` is an `http(s)://` URL (left to FFmpeg, never looked up on disk).
    public static func isURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// A file a folder scan passed over, and why.
    public struct Skipped: Sendable, Equatable {
        /// Its path (a lossless name, see `FileNames`).
        public var path: String
        /// Why, in a few words: "not a video", "FIFO", "no video stream (audio only)", …
        public var reason: String
        /// Whether it is a FIFO, socket or device (never opened) rather than a file that was read.
        public var special: Bool

        /// A skipped entry (for comparisons in tests and callers' own scans).
        public init(path: String, reason: String, special: Bool) {
            self.path = path
            self.reason = reason
            self.special = special
        }
    }

    /// What a folder holds: its media files in order, and what was passed over.
    public struct Scan: Sendable, Equatable {
        /// Media files, sorted by path (byte order, like `find | LC_ALL=C sort`).
        public var files: [String] = []
        /// Entries that are neither media nor folders (hidden entries are not counted).
        public var skipped: [Skipped] = []

        /// A scan's result as a value.
        public init(files: [String] = [], skipped: [Skipped] = []) {
            self.files = files
            self.skipped = skipped
        }
    }

    /// Media files below `directory`, sorted by path.
    public static func find(under directory: String) -> [String] { scan(directory).files }

    /// Scans `directory` recursively. Hidden entries are skipped; links are followed, but a folder
    /// met a second time (a link loop) is not entered again. Each entry is stat'ed first and only
    /// regular files are read, so FIFOs, sockets and devices never block the scan.
    public static func scan(_ directory: String) -> Scan {
        let root = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var result = Scan()
        var visited = Set<[UInt64]>()
        if let st = FileStatus.of(root) { visited.insert([st.device, st.inode]) }
        var pending = [root]
        while let dir = pending.popLast() {
            guard let names = Directory.names(dir) else { continue }
            for name in names where !name.hasPrefix(".") {
                let path = dir == "/" ? "/" + name : dir + "/" + name
                guard let st = FileStatus.of(path) else { continue }   // a dangling link
                switch st.kind {
                case .directory:
                    if visited.insert([st.device, st.inode]).inserted { pending.append(path) }
                case .regular:
                    if let reason = notMediaReason(path) {
                        result.skipped.append(Skipped(path: path, reason: reason, special: false))
                    } else {
                        result.files.append(path)
                    }
                default:
                    result.skipped.append(Skipped(path: path, reason: st.kind.rawValue, special: true))
                }
            }
        }
        result.files.sort(by: byteOrder)
        result.skipped.sort { byteOrder($0.path, $1.path) }
        return result
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool {
        FileNames.bytes(a).lexicographicallyPrecedes(FileNames.bytes(b))
    }

    /// Whether the regular file at `path` is a video, a GIF or a `.npy` array, by its content.
    public static func isMedia(path: String) -> Bool {
        FileStatus.of(path)?.kind == .regular && notMediaReason(path) == nil
    }

    /// Nil for a media file, else why it is not one.
    static func notMediaReason(_ path: String) -> String? {
        if NpyReader.hasMagic(prefix: FileNames.prefix(of: path, count: 6)) { return nil }
        switch MediaProbe.probe(path) {
        case .video: return nil
        case .notVideo(let reason): return reason
        }
    }
}
