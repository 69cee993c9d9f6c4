// Fetches one URL into a file with URLSession: an idle timeout, an HTTP status check, and a
// length check, so a stalled, failed or truncated transfer is an error rather than a file.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A download that failed, with the URL and the reason.
public struct DownloadError: Error, CustomStringConvertible, Sendable {
    /// The URL fetched.
    public let url: String
    /// One line saying what went wrong.
    public let problem: String
    /// `"<url>: <problem>"`.
    public var description: String { "\(url): \(problem)" }
}

/// Fetches one URL into a file (URLSession, or a copy for `file://`).
public enum Downloader {
    /// Downloads `url` into `destination` (created or truncated). `idleTimeout` bounds the wait
    /// for any data; `progress(received, expected)` is called as bytes arrive. Returns the size.
    @discardableResult
    public static func fetch(_ url: URL, to destination: String, idleTimeout: TimeInterval,
                             progress: @escaping @Sendable (Int64, Int64?) -> Void = { _, _ in }) throws -> Int64 {
        if url.isFileURL { return try copyFile(url, to: destination) }
        guard FileManager.default.createFile(atPath: destination, contents: nil),
              let out = FileHandle(forWritingAtPath: destination) else {
            throw DownloadError(url: url.absoluteString, problem: "cannot create \(destination)")
        }
        defer { try? out.close() }
        let delegate = Receiver(output: out, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: URLRequest(url: url))
        task.resume()
        delegate.done.wait()
        let outcome = delegate.outcome()
        if let error = outcome.error {
            if let expected = outcome.expected, outcome.received < expected, outcome.received > 0 {
                throw DownloadError(url: url.absoluteString, problem:
                    "truncated: received \(outcome.received) of \(expected) bytes (\(describe(error, idleTimeout: idleTimeout)))")
            }
            throw DownloadError(url: url.absoluteString, problem: describe(error, idleTimeout: idleTimeout))
        }
        if let status = outcome.status, !(200..<300).contains(status) {
            throw DownloadError(url: url.absoluteString, problem: "HTTP status \(status)")
        }
        if let expected = outcome.expected, expected != outcome.received {
            throw DownloadError(url: url.absoluteString,
                                problem: "truncated: received \(outcome.received) of \(expected) bytes")
        }
        return outcome.received
    }

    static func describe(_ error: Error, idleTimeout: TimeInterval) -> String {
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: return "timed out (no data for \(Int(idleTimeout)) s)"
            case .networkConnectionLost: return "connection lost (truncated transfer)"
            case .cannotConnectToHost: return "cannot connect to host"
            case .notConnectedToInternet: return "not connected to the internet"
            case .cannotFindHost: return "cannot find host"
            default: return "download failed: \(e.localizedDescription)"
            }
        }
        return "download failed: \(error)"
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

    /// Collects the response into the output file. All state is behind a lock.
    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private let output: FileHandle
        private let progress: @Sendable (Int64, Int64?) -> Void
        private var status: Int?
        private var expected: Int64?
        private var received: Int64 = 0
        private var failure: Error?

        init(output: FileHandle, progress: @escaping @Sendable (Int64, Int64?) -> Void) {
            self.output = output
            self.progress = progress
        }

        func outcome() -> (status: Int?, expected: Int64?, received: Int64, error: Error?) {
            lock.lock()
            defer { lock.unlock() }
            return (status, expected, received, failure)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            lock.lock()
            status = (response as? HTTPURLResponse)?.statusCode
            expected = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
            let ok = status.map { (200..<300).contains($0) } ?? true
            lock.unlock()
            completionHandler(ok ? .allow : .cancel)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            lock.lock()
            do { try output.write(contentsOf: data); received += Int64(data.count) } catch {
                if failure == nil { failure = error }
                dataTask.cancel()
            }
            let (r, e) = (received, expected)
            lock.unlock()
            progress(r, e)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            lock.lock()
            let cancelledForStatus = status.map { !(200..<300).contains($0) } ?? false
            if let error, failure == nil, !cancelledForStatus { failure = error }
            lock.unlock()
            done.signal()
        }
    }
}
