// An http:// or https:// URL read by FFmpeg's avio, for the model store's downloads: the idle
// timeout, the HTTP status and the announced length become values and typed errors, and the
// server's certificate is checked. Using avio instead of URLSession keeps FoundationNetworking
// (libcurl, libxml2 and ~30 more shared objects, ~12 ms of every start-up) out of the process.

import CFFmpeg
import Synchronization

/// Why a network read failed: one line, without the URL (the caller names it).
public enum NetworkStreamError: Error, Sendable, CustomStringConvertible, Equatable {
    /// FFmpeg's libraries cannot be loaded; `reason` is the loader's message.
    case ffmpegUnavailable(reason: String)
    /// Not http:// or https://.
    case unsupportedScheme(String)
    /// The server answered with an error status: `"404"`, or only its class (`"4xx"`, `"5xx"`)
    /// where FFmpeg reports no exact code.
    case httpStatus(String)
    /// No data for `seconds`.
    case timedOut(seconds: Int)
    /// The connection was refused.
    case connectionRefused
    /// Anything else, in FFmpeg's words.
    case failed(String)

    public var description: String {
        switch self {
        case .ffmpegUnavailable(let reason): return "cannot download: FFmpeg is not available (\(reason))"
        case .unsupportedScheme(let scheme): return "cannot download '\(scheme):' URLs (only http, https and file)"
        case .httpStatus(let code) where code.hasSuffix("xx"):
            return "HTTP status \(code) (FFmpeg reports only the class of this status)"
        case .httpStatus(let code): return "HTTP status \(code)"
        case .timedOut(let seconds): return "timed out (no data for \(seconds) s)"
        case .connectionRefused: return "cannot connect to host (connection refused)"
        case .failed(let text): return "download failed: \(text)"
        }
    }
}

/// One URL opened for reading with `avio_open2`; closed in `deinit`.
public final class NetworkStream {
    /// The length the server announced (Content-Length), if it did.
    public let length: Int64?
    private var context: UnsafeMutablePointer<AVIOContext>?
    private let idleSeconds: Int

    /// Opens `url` (http or https), following redirects. `idleTimeout` (seconds) bounds the wait
    /// for the connection and then for each piece of data.
    public init(url: String, idleTimeout: Double) throws(NetworkStreamError) {
        guard let scheme = url.split(separator: ":", maxSplits: 1).first.map({ $0.lowercased() }),
              scheme == "http" || scheme == "https" else {
            throw .unsupportedScheme(String(url.prefix { $0 != ":" }))
        }
        if case .failure(let error) = FFmpegLibrary.shared { throw .ffmpegUnavailable(reason: error.reason) }
        ffmpeg.av_log_set_level(AV_LOG_QUIET)   // failures are reported as errors, not on stderr
        idleSeconds = Int(idleTimeout.rounded())
        let micros = max(1, min(idleTimeout * 1e6, Double(Int32.max)))
        let options: [(String, String)] = [
            // `rw_timeout` bounds every read of the connection (tcp, and tls on top of it);
            // tcp's `timeout` also bounds the connect, which otherwise waits 5 s regardless.
            ("rw_timeout", String(Int64(micros))),
            ("timeout", String(Int64(micros))),
            // FFmpeg does not verify TLS certificates by default. With tls_verify=1 gnutls checks
            // the chain against the system CA store (no `ca_file` given) and the host name.
            ("tls_verify", "1"),
            // Only the network protocols: a redirect or a crafted catalog URL cannot make avio
            // read local files (`file:`, `concat:`, `subfile:`, …).
            ("protocol_whitelist", "http,https,tcp,tls,httpproxy"),
            // Stated although they are FFmpeg 5.1's defaults: reconnecting would hide a
            // truncated transfer. Redirects are followed (the http protocol's default).
            ("reconnect", "0"), ("reconnect_streamed", "0"), ("reconnect_at_eof", "0"),
        ]
        var dictionary: OpaquePointer?
        for (key, value) in options { _ = ffmpeg.av_dict_set(&dictionary, key, value, 0) }
        defer { ffmpeg.av_dict_free(&dictionary) }
        var c: UnsafeMutablePointer<AVIOContext>?
        let (r, logged) = OpenLog.capturing { ffmpeg.avio_open2(&c, url, AVIO_FLAG_READ, nil, &dictionary) }
        if r < 0 || c == nil {
            let error = Self.error(r, idleSeconds: idleSeconds)
            // A failed certificate check or name lookup is only AVERROR(EIO) ("Input/output
            // error"); FFmpeg's log line says which ("Peer certificate failed verification").
            if case .failed(let text) = error, let logged { throw .failed("\(text) (\(logged))") }
            throw error
        }
        context = c
        let size = ffmpeg.avio_size(c)   // AVERROR(ENOSYS) or -1 when not announced (chunked)
        length = size >= 0 ? size : nil
    }

    deinit { _ = ffmpeg.avio_closep(&context) }

    /// Reads up to `buffer.count` bytes; 0 at the end of the body.
    public func read(into buffer: UnsafeMutableBufferPointer<UInt8>) throws(NetworkStreamError) -> Int {
        let want = Int32(clamping: buffer.count)
        let r = ffmpeg.avio_read(context, buffer.baseAddress, want)
        if r == movinet_averror_eof() || r == 0 { return 0 }
        if r < 0 { throw Self.error(r, idleSeconds: idleSeconds) }
        return Int(r)
    }

    /// An AVERROR code as a typed error.
    static func error(_ code: Int32, idleSeconds: Int) -> NetworkStreamError {
        if code == movinet_averror(ETIMEDOUT) { return .timedOut(seconds: idleSeconds) }
        if code == movinet_averror(ECONNREFUSED) { return .connectionRefused }
        if let status = httpStatus(code) { return .httpStatus(status) }
        return .failed(avErrorText(code))
    }

    /// The HTTP status in an `AVERROR_HTTP_*` code: `FFERRTAG(0xF8, '4', '0', '4')` is
    /// `-(0xF8 | '4' << 8 | '0' << 16 | '4' << 24)`; `'4', 'X', 'X'` is a class without its code.
    /// Other 0xF8 tags (`'D', 'E', 'C'`, `'P', 'R', 'O'`, …) are not statuses.
    static func httpStatus(_ code: Int32) -> String? {
        guard code < 0, code != Int32.min else { return nil }
        let tag = UInt32(-code)
        guard tag & 0xFF == 0xF8 else { return nil }
        let chars = [UInt8(truncatingIfNeeded: tag >> 8), UInt8(truncatingIfNeeded: tag >> 16),
                     UInt8(truncatingIfNeeded: tag >> 24)]
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard chars[0] == UInt8(ascii: "4") || chars[0] == UInt8(ascii: "5") else { return nil }
        if chars[1] == UInt8(ascii: "X"), chars[2] == UInt8(ascii: "X") {
            return String(UnicodeScalar(chars[0])) + "xx"
        }
        guard digits.contains(chars[1]), digits.contains(chars[2]) else { return nil }
        return String(decoding: chars, as: UTF8.self)
    }
}

/// FFmpeg's last error-level log line while a connection is opened. The log callback is
/// process-wide, so it is swapped in for the open only, one open at a time, and the default put
/// back (FFmpeg's level is AV_LOG_QUIET throughout movinet, so nothing else is lost meanwhile).
enum OpenLog {
    private static let lock = Mutex(())
    private static let last = Mutex<String?>(nil)

    static func capturing<R>(_ body: () -> R) -> (R, String?) {
        lock.withLock { _ in
            last.withLock { $0 = nil }
            let setCallback = unsafeBitCast(ffmpeg.av_log_set_callback, to: movinet_av_log_set_callback.self)
            setCallback(record)
            defer { setCallback(unsafeBitCast(ffmpeg.av_log_default_callback, to: movinet_av_log_callback.self)) }
            let result = body()
            return (result, last.withLock { $0 })
        }
    }

    private static let record: movinet_av_log_callback = { _, level, format, arguments in
        guard level <= AV_LOG_ERROR, let format, let arguments else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        _ = vsnprintf(&buffer, buffer.count, format, arguments)
        var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while line.last?.isWhitespace == true { line.removeLast() }
        if !line.isEmpty { OpenLog.last.withLock { $0 = line } }
    }
}
