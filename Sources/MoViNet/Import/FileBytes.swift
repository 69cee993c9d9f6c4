// Whole files read straight into a byte array: `FileManager.contents(atPath:)` reads into a
// `Data` that then has to be copied into `[UInt8]`, a second pass over every page of a model.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileBytes {
    /// The bytes of the file at `path` (of a pipe such as `<(…)` or a file of /proc, up to its
    /// end), or nil when it cannot be opened or a read fails (a folder).
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var bytes: [UInt8] = []
        if (st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0 {
            // One read of the size fstat gave, into the array itself; what follows (a file that
            // grew) is read as from a pipe. Files of /proc say size 0 and are read as pipes.
            var failed = false
            bytes = [UInt8](unsafeUninitializedCapacity: Int(st.st_size)) { buffer, count in
                count = fill(fd, buffer, failed: &failed)
            }
            if failed { return nil }
            if bytes.count < Int(st.st_size) { return bytes }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var failed = false
            let n = chunk.withUnsafeMutableBufferPointer { fill(fd, $0, failed: &failed) }
            if failed { return nil }
            bytes += chunk[..<n]
            if n < chunk.count { return bytes }
        }
    }

    /// Reads until `buffer` is full or the file ends; the number of bytes read.
    private static func fill(_ fd: Int32, _ buffer: UnsafeMutableBufferPointer<UInt8>, failed: inout Bool) -> Int {
        var count = 0
        while count < buffer.count {
            let n = readBytes(fd, buffer.baseAddress! + count, buffer.count - count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failed = true; break }
            if n == 0 { break }
            count += n
        }
        return count
    }
}

/// The C library's `read` (inside `FileBytes`, `read` names the method).
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
