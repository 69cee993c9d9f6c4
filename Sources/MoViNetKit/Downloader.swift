// Fetches one URL into a file with FFmpeg's avio (VideoDecoding's NetworkStream): an idle timeout,
// an HTTP status check, a verified TLS certificate and a length check, so a stalled, failed or
// truncated transfer is an error rather than a file. Not URLSession: FoundationNetworking would
// load libcurl and ~30 more shared objects into every run, model downloads or not.

import Foundation
import VideoDecoding

/// A download that failed, with the URL and the reason.
public struct DownloadError: Error, CustomStringConvertible, Sendable {
    /// The URL fetched.
    public let url: String
    /// One line saying what went wrong.
    public let problem: String
    /// `"<url>: <problem>"`.
    public var description: String { "\(url): \(problem)" }
}

/// Fetches one URL into a file (http and https through FFmpeg, or a copy for `file://`).
public enum Downloader {
    /// Downloads `url` into `destination` (created or truncated). `idleTimeout` bounds the wait
    /// for any data; `progress(received, expected)` is called as bytes arrive. Returns the size.
    @discardableResult
    public static func fetch(_ url: URL, to destination: String, idleTimeout: TimeInterval,
                             progress: @escaping @Sendable (Int64, Int64?) -> Void = { _, _ in }) throws -> Int64 {
        if url.isFileURL { return try copyFile(url, to: destination) }
        let name = url.absoluteString
        let stream: NetworkStream
        do { stream = try NetworkStream(url: name, idleTimeout: idleTimeout) } catch {
            throw DownloadError(url: name, problem: error.description)
        }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let out = FileHandle(forWritingAtPath: destination) else {
            throw DownloadError(url: name, problem: "cannot create \(destination)")
        }
        defer { try? out.close() }
        let expected = stream.length
        var received: Int64 = 0
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try stream.read(into: buffer) } catch {
                if let expected, received > 0, received < expected {
                    // FFmpeg's http reports a body that ends early as a bare AVERROR(EIO).
                    let cause = if case .failed(let text) = error { "connection lost: \(text)" } else { error.description }
                    throw DownloadError(url: name, problem: "truncated: received \(received) of \(expected) bytes (\(cause))")
                }
                throw DownloadError(url: name, problem: error.description)
            }
            if count == 0 { break }
            do { try out.write(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count])) } catch {
                throw DownloadError(url: name, problem: "cannot write \(destination): \(error.localizedDescription)")
            }
            received += Int64(count)
            progress(received, expected)
        }
        if let expected, received < expected {
            throw DownloadError(url: name, problem: "truncated: received \(received) of \(expected) bytes")
        }
        if let expected, received > expected {
            throw DownloadError(url: name, problem: "received \(received) bytes, more than the announced \(expected)")
        }
        return received
    }

    static func copyFile(_ url: URL, to destination: String) throws -> Int64 {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
        do { try fm.copyItem(atPath: url.path, toPath: destination) } catch {
            throw DownloadError(url: url.absoluteString, problem: fm.fileExists(atPath: url.path)
                                ? "cannot copy: \(error)" : "no such file")
        }
        let size = (try? fm.attributesOfItem(atPath: destination)[.size] as? NSNumber)??.int64Value ?? 0
        return size
    }
}
