// Writes an output file (the --plot SVG) the way shell redirection does — through whatever the
// path names: a FIFO, a symbolic link, a device — and by atomic replacement only where that is
// what a user expects: a regular file, or a name that does not exist yet. `-` is standard output.

import Foundation
import VideoDecoding

enum FileOutput {
    /// A write that failed: the system's reason, one line.
    struct Failure: Error, CustomStringConvertible {
        let problem: String
        var description: String { problem }
    }

    /// Writes `text` to `path` (a lossless name, see `FileNames`); `-` queues it on standard output.
    static func write(_ text: String, to path: String) throws(Failure) {
        if path == "-" {
            StandardOutput.write(text)
            StandardOutput.flush()
            if let failure = StandardOutput.failure { throw Failure(problem: "standard output: \(failure)") }
            return
        }
        let bytes = Array(text.utf8)
        var st = stat()
        let exists = FileNames.withCPath(path) { lstat($0, &st) } == 0
        if !exists || (st.st_mode & S_IFMT) == S_IFREG {
            try replace(path, with: bytes, keepingModeOf: exists ? st.st_mode & 0o7777 : nil)
        } else {
            try writeThrough(path, bytes)
        }
    }

    /// Opens the path for writing as `>` does (links followed, no new inode) and writes.
    private static func writeThrough(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let fd = FileNames.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw Failure(problem: String(cString: strerror(errno))) }
        let error = writeAll(fd, bytes)
        let closed = close(fd) == 0 ? nil : errno
        if let e = error ?? closed { throw Failure(problem: String(cString: strerror(e))) }
    }

    /// Writes a temporary file beside `path` and renames it over `path`, so a reader sees the old
    /// file or the new one, never half of one. The new file gets the old one's permissions, or
    /// the usual 0666 less the umask.
    private static func replace(_ path: String, with bytes: [UInt8], keepingModeOf mode: mode_t?) throws(Failure) {
        let raw = FileNames.bytes(path)
        let slash = raw.lastIndex(of: UInt8(ascii: "/"))
        let directory = slash.map { Array(raw[...$0]) } ?? []
        var template = (directory + Array(".movinet-plot-XXXXXX".utf8)).map { CChar(bitPattern: $0) } + [0]
        let fd = mkstemp(&template)
        if fd < 0 { throw Failure(problem: String(cString: strerror(errno))) }
        let temporary = template
        func discard() { temporary.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        let umaskValue = umask(0)
        umask(umaskValue)
        var error = fchmod(fd, mode ?? (0o666 & ~umaskValue)) == 0 ? nil : errno
        if error == nil { error = writeAll(fd, bytes) }
        if close(fd) != 0 && error == nil { error = errno }
        if error == nil {
            let renamed = temporary.withUnsafeBufferPointer { t in
                FileNames.withCPath(path) { rename(t.baseAddress!, $0) }
            }
            if renamed != 0 { error = errno }
        }
        if let error {
            discard()
            throw Failure(problem: String(cString: strerror(error)))
        }
    }
}
