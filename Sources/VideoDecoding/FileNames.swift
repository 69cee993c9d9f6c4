// Lossless file names: bytes that are not UTF-8 ride in Swift strings as U+EF80–U+EFFF (one scalar
// per byte, MirBSD's OPTU-8 mapping) and become those bytes again for system calls and output.

/// File names as the system has them — bytes — carried in `String`s without loss.
///
/// Swift strings hold only valid Unicode, but a Linux file name is any byte string: a name made
/// on a Latin-1 system (`caf\xE9.mp4`) would be repaired to `caf�.mp4` and then not found. Here
/// every byte of a name that is not part of valid UTF-8 becomes the private-use scalar
/// U+EF00 + byte (U+EF80–U+EFFF), and ``bytes(_:)`` turns those scalars back into the bytes, so
/// `bytes(decode(x)) == x` for every name. UTF-8 that itself spells U+EF80–U+EFFF is escaped
/// byte by byte too, which keeps the mapping one to one.
public enum FileNames {
    static let escapeBase: UInt32 = 0xEF00
    static let escapes: ClosedRange<UInt32> = 0xEF80...0xEFFF

    /// A name's bytes as a string (see the type's description).
    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let b = Array(bytes)
        if let s = String(validating: b, as: UTF8.self), !s.unicodeScalars.contains(where: { escapes.contains($0.value) }) {
            return s
        }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if let (scalar, length) = utf8Scalar(b, at: i), !escapes.contains(scalar.value) {
                out.append(scalar)
                i += length
            } else {
                out.append(Unicode.Scalar(escapeBase + UInt32(b[i]))!)
                i += 1
            }
        }
        return String(out)
    }

    /// A NUL-terminated name (an `argv` entry, a `readdir` name) as a string.
    public static func decode(cString: UnsafePointer<CChar>) -> String {
        decode(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// The bytes a string stands for: escape scalars as their bytes, everything else as UTF-8.
    public static func bytes(_ s: String) -> [UInt8] {
        if !hasEscapes(s) { return Array(s.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if let byte = escapedByte(scalar) { out.append(byte) } else { out.append(contentsOf: String(scalar).utf8) }
        }
        return out
    }

    /// Whether `s` holds any escaped byte (a quick test on its UTF-8: every escape starts EE BE or EE BF).
    public static func hasEscapes(_ s: String) -> Bool {
        var previous: UInt8 = 0
        for byte in s.utf8 {
            if previous == 0xEE && (byte == 0xBE || byte == 0xBF) { return true }
            previous = byte
        }
        return false
    }

    /// The byte an escape scalar stands for, or nil for an ordinary scalar.
    public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        escapes.contains(scalar.value) ? UInt8(scalar.value - escapeBase) : nil
    }

    /// Calls `body` with `path` as the NUL-terminated bytes a system call takes.
    public static func withCPath<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var raw = bytes(path).map { CChar(bitPattern: $0) }
        raw.append(0)
        return try raw.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// `open(2)` of a name (a descriptor, or -1 with `errno` set).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o666) -> Int32 {
        withCPath(path) { posixOpen($0, flags, mode) }
    }

    /// The first `count` bytes of the file at `path` (fewer when it is shorter, none when it
    /// cannot be opened). Opened without blocking, so a FIFO gives nothing rather than a hang;
    /// callers stat first and read only regular files, whose bytes stay there to be read again.
    public static func prefix(of path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        if fd < 0 { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(buffer[..<got])
    }

    /// The scalar encoded at `i` and its length in bytes, when the bytes there are valid UTF-8
    /// (no overlong forms, no surrogates, nothing past U+10FFFF).
    static func utf8Scalar(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int, minimum: UInt32
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = UInt32(lead & 0x07)
        default: return nil
        }
        if i + length > b.count { return nil }
        for k in 1..<length {
            let c = b[i + k]
            if c & 0xC0 != 0x80 { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        if value < minimum || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { return nil }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}

/// What `stat` says about a path, for the callers that must not open special files.
public struct FileStatus: Sendable, Equatable {
    /// The kinds of file `stat` tells apart.
    public enum Kind: String, Sendable {
        case regular = "regular file", directory, fifo = "FIFO", socket, characterDevice = "character device",
             blockDevice = "block device", other = "special file"
    }
    /// What the path is (after following symbolic links).
    public var kind: Kind
    /// Size in bytes (regular files).
    public var size: Int64
    /// Device and inode: the file's identity, to notice a folder reached twice through links.
    public var device: UInt64
    /// See ``device``.
    public var inode: UInt64

    /// `stat(2)` of `path` (links followed), or nil with `errno` set when it fails.
    public static func of(_ path: String) -> FileStatus? {
        var st = stat()
        let r = FileNames.withCPath(path) { stat($0, &st) }
        if r != 0 { return nil }
        let kind: Kind
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .other
        }
        return FileStatus(kind: kind, size: Int64(st.st_size), device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

/// Directory listings with names kept as bytes (see ``FileNames``).
public enum Directory {
    /// The names in `path` except `.` and `..`, unsorted; nil when it cannot be read.
    public static func names(_ path: String) -> [String]? {
        guard let dir = FileNames.withCPath(path, { opendir($0) }) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { FileNames.decode(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

