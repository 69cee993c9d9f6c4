// Turns the command line's inputs into the ordered list of things to classify: files, folders
// (recursively, media recognised by content), `-` (paths on standard input, read as they arrive,
// newline- or NUL-separated) and URLs.

import Foundation
import MoViNetKit
import VideoDecoding

public enum Inputs {
    /// How a `-` list separates its paths.
    public enum Separator: Sendable {
        /// One path per line (`\n`, a trailing `\r` dropped); empty lines ignored.
        case newline
        /// NUL-terminated paths (`find -print0`, `-0`): any byte but NUL may be in a name.
        case nul

        var byte: UInt8 { self == .newline ? 0x0A : 0 }
    }

    /// Expands `arguments` in order. Folders contribute their media files (recognised by content,
    /// hidden entries skipped) sorted by path; `-` is replaced by the entries of `stdin`, each
    /// expanded the same way. Files named explicitly are kept even when they are not media
    /// (or missing), so that they get an error record in the output. `onScan` hears about every
    /// folder scanned (what was skipped).
    public static func expand(_ arguments: [String], stdin: () -> String = readStandardInput,
                              separator: Separator = .newline,
                              onScan: (String, MediaFiles.Scan) -> Void = { _, _ in }) -> [String] {
        var out: [String] = []
        for argument in arguments {
            if argument == "-" {
                var splitter = EntrySplitter(separator: separator)
                for entry in splitter.feed(FileNames.bytes(stdin())) + splitter.finish() {
                    out += expandOne(entry, onScan: onScan)
                }
            } else {
                out += expandOne(argument, onScan: onScan)
            }
        }
        return out
    }

    /// One argument or list entry: a folder's media files, or the entry itself.
    static func expandOne(_ argument: String, onScan: (String, MediaFiles.Scan) -> Void) -> [String] {
        if MediaFiles.isURL(argument) { return [argument] }
        if FileStatus.of(argument)?.kind == .directory {
            let scan = MediaFiles.scan(argument)
            onScan(argument, scan)
            return scan.files
        }
        return [argument]
    }

    public static func readStandardInput() -> String {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            all += chunk[..<n]
        }
        return FileNames.decode(all)
    }

    /// The inputs of `arguments` as they become known, expanded on a thread of their own: a `-`
    /// list is read from standard input as it arrives, so the first inputs are classified while
    /// `find` is still listing. Every input is yielded once, in order.
    public static func feed(_ arguments: [String], separator: Separator = .newline, input: Int32 = STDIN_FILENO,
                            onScan: @escaping @Sendable (String, MediaFiles.Scan) -> Void = { _, _ in })
        -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let thread = Thread {
            for argument in arguments {
                if argument == "-" {
                    var splitter = EntrySplitter(separator: separator)
                    var chunk = [UInt8](repeating: 0, count: 1 << 16)
                    while true {
                        let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
                        if n < 0 && errno == EINTR { continue }
                        let entries = n > 0 ? splitter.feed(chunk[..<n]) : splitter.finish()
                        for entry in entries {
                            for item in expandOne(entry, onScan: onScan) { continuation.yield(item) }
                        }
                        if n <= 0 { break }
                    }
                } else {
                    for item in expandOne(argument, onScan: onScan) { continuation.yield(item) }
                }
            }
            continuation.finish()
        }
        thread.name = "movinet-inputs"
        thread.start()
        return stream
    }
}

/// Cuts a byte stream into list entries at a separator, across reads.
public struct EntrySplitter {
    public let separator: Inputs.Separator
    private var partial: [UInt8] = []

    public init(separator: Inputs.Separator) { self.separator = separator }

    /// The entries completed by `bytes`.
    public mutating func feed<Bytes: Collection>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var entries: [String] = []
        for byte in bytes {
            if byte == separator.byte {
                if let e = entry(partial) { entries.append(e) }
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
            }
        }
        return entries
    }

    /// The last entry when the input does not end with a separator.
    public mutating func finish() -> [String] {
        defer { partial = [] }
        return entry(partial).map { [$0] } ?? []
    }

    private func entry(_ bytes: [UInt8]) -> String? {
        var b = bytes[...]
        if separator == .newline, b.last == 0x0D { b = b.dropLast() }
        return b.isEmpty ? nil : FileNames.decode(b)
    }
}
