// Live inputs: pipes, network streams and capture devices. What is live, the FFmpeg options that
// keep start-up latency low, the stop request (SIGINT) and the read-stall timeout that end a live
// read, the on-demand loading of libavdevice, and the check for an MP4 whose index is at its end.

import CFFmpeg
import Synchronization

/// A request, process-wide, to stop reading every input now (the CLI makes it on SIGINT/SIGTERM).
/// Inputs being read end as if their data ended there: the frames already read are still decoded
/// and classified, and no error is reported for the cut. Blocking reads (pipes, sockets, devices)
/// notice it within a fraction of a second.
public enum InputStop {
    private static let flag = Atomic<Bool>(false)

    /// Asks every input being read to end.
    public static func request() { flag.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a stop was requested.
    public static var isRequested: Bool { flag.load(ordering: .sequentiallyConsistent) }

    /// Clears the request (tests, and programs that read inputs again afterwards).
    public static func reset() { flag.store(false, ordering: .sequentiallyConsistent) }
}

/// Which inputs are live, and how they are opened.
enum LiveInput {
    /// URL schemes of network streams: read with low-latency probing and, by default, a stall timeout.
    static let networkSchemes: Set<String> = [
        "rtsp", "rtsps", "rtmp", "rtmps", "rtmpt", "rtmpe", "rtmpte", "rtmpts", "udp", "rtp", "srt", "tcp", "rist",
        "udplite", "sctp", "unix", "mmsh", "mmst",
    ]

    /// The default `--stall-timeout` of network inputs, in seconds.
    static let defaultNetworkStall = 10.0

    /// The URL scheme of `path`, lowercased, if it has one (`rtsp://…` → "rtsp").
    static func scheme(_ path: String) -> String? {
        guard let colon = path.firstIndex(of: ":") else { return nil }
        let s = path[..<colon]
        guard s.count > 1, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return nil
        }
        return s.lowercased()
    }

    /// Whether `path` names a network stream (not http(s), which is usually a file being fetched).
    static func isNetwork(_ path: String) -> Bool { scheme(path).map(networkSchemes.contains) ?? false }

    /// The file descriptor `pipe:` (0), `pipe:N` (N) and `-` (0) name, nil for anything else.
    static func pipeDescriptor(_ path: String) -> Int32? {
        if path == "-" || path == "pipe:" { return 0 }
        guard path.hasPrefix("pipe:") else { return nil }
        return Int32(path.dropFirst(5))
    }

    /// The demuxer options that keep a live input from buffering seconds of video before its
    /// first frame: FFmpeg's defaults probe up to 5 MB and 5 s. 32 KB and 0.5 s are enough to
    /// find the codec of a stream whose container announces it (Matroska, MPEG-TS, FLV, NUT, RTP),
    /// and frames are decoded as their packets arrive.
    static let lowLatencyOptions: [String: String] = ["probesize": "32768", "analyzeduration": "500000",
                                                      "fpsprobesize": "0"]

    /// The FFmpeg demuxer (or, once libavdevice is loaded, capture device) called `name`.
    static func inputFormat(_ name: String, path: String) throws -> UnsafePointer<AVInputFormat> {
        if let f = ffmpeg.av_find_input_format(name) { return f }
        if Devices.load(), let f = ffmpeg.av_find_input_format(name) { return f }
        throw VideoDecodingError.decodeFailed(
            path: path, detail: "unknown input format '\(name)' (see 'ffmpeg -formats' and 'ffmpeg -devices')"
                + (Devices.load() ? "" : "; libavdevice could not be loaded: \(Devices.loadError ?? "")"))
    }

    /// Whether `st` is a Video4Linux device (character device, major number 81).
    static func isV4L2(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFCHR && major(st.st_rdev) == 81
    }

    private static func major(_ dev: dev_t) -> UInt32 {
        UInt32(((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff))
    }
}

/// libavdevice (V4L2 cameras, `lavfi`, X11 grabbing, …), loaded the first time a device is needed
/// rather than linked: it pulls in libavfilter and the capture libraries, which no file needs.
enum Devices {
    private static let state = Mutex<(tried: Bool, loaded: Bool, error: String?)>((false, false, nil))

    /// Loads libavdevice and registers its devices with libavformat; whether that worked.
    static func load() -> Bool {
        state.withLock { s in
            if s.tried { return s.loaded }
            s.tried = true
            let major = LIBAVFORMAT_VERSION_MAJOR   // libavdevice's major follows libavformat's
            #if os(macOS)
            let names = ["libavdevice.\(major).dylib", "libavdevice.dylib"]
            #else
            let names = ["libavdevice.so.\(major)", "libavdevice.so"]
            #endif
            for name in names {
                guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else { continue }
                guard let symbol = dlsym(handle, "avdevice_register_all") else { continue }
                typealias Register = @convention(c) () -> Void
                unsafeBitCast(symbol, to: Register.self)()
                s.loaded = true
                return true
            }
            s.error = dlerror().map { String(cString: $0) } ?? "\(names[0]) not found"
            return false
        }
    }

    static var loadError: String? { state.withLock { $0.error } }
}

/// Ends a blocking FFmpeg read through the format context's interrupt callback: on a stop request,
/// or when no data has arrived for `stall` seconds (counted from the open, then from each packet).
final class ReadWatch: @unchecked Sendable {
    enum Reason { case stopped, stalled }
    let stall: Double?
    private let lock = Mutex<(last: UInt64, bytes: Int64, reason: Reason?)>((0, -1, nil))
    /// The context whose byte count is progress too (set once opened).
    var pb: UnsafeMutablePointer<AVIOContext>?

    init(stall: Double?) {
        self.stall = stall.flatMap { $0 > 0 ? $0 : nil }
        touch()
    }

    /// Data arrived.
    func touch() { let now = Self.now(); lock.withLock { $0.last = now } }

    /// Why reading was interrupted, if it was.
    var reason: Reason? { lock.withLock { $0.reason } }

    /// Called by FFmpeg while it waits: 1 ends the wait.
    func shouldInterrupt() -> Bool {
        if InputStop.isRequested {
            lock.withLock { if $0.reason == nil { $0.reason = .stopped } }
            return true
        }
        guard let stall else { return false }
        let bytes = pb.map { $0.pointee.pos } ?? -1
        let now = Self.now()
        return lock.withLock { s in
            if bytes != s.bytes { s.bytes = bytes; s.last = now; return false }
            if Double(now - s.last) / 1e9 >= stall {
                if s.reason == nil { s.reason = .stalled }
                return true
            }
            return false
        }
    }

    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// The callback FFmpeg calls with this watch as its opaque pointer.
    static let callback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
        guard let opaque else { return 0 }
        return Unmanaged<ReadWatch>.fromOpaque(opaque).takeUnretainedValue().shouldInterrupt() ? 1 : 0
    }

    /// The one-line error of a stalled input.
    func stallError(path: String) -> VideoDecodingError {
        .decodeFailed(path: path, detail: "no data for \(Self.seconds(stall ?? 0)) s (--stall-timeout); the input ended there")
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s))" : "\(s)" }
}

/// The top-level boxes at the start of an MP4/MOV byte stream: whether its index (`moov`) comes
/// after the media data, which a pipe cannot seek back to.
enum MP4Layout {
    enum Verdict: Equatable { case notMP4, indexFirst, indexAtEnd, unknown }

    /// Walks the boxes of the stream's first bytes; `more(n)` makes at least n bytes available
    /// (fewer only at the end of the input) and returns them.
    static func check(more: (Int) -> [UInt8], limit: Int = 1 << 20) -> Verdict {
        var bytes = more(16)
        guard bytes.count >= 8, Array(bytes[4..<8]) == Array("ftyp".utf8) else { return .notMP4 }
        var offset = 0
        while true {
            if bytes.count < offset + 16 { bytes = more(offset + 16) }
            guard bytes.count >= offset + 8 else { return .unknown }
            let size32 = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            switch type {
            case "moov", "moof": return .indexFirst
            case "mdat": return .indexAtEnd
            default: break
            }
            var size = size32
            if size32 == 1 {
                guard bytes.count >= offset + 16 else { return .unknown }
                size = bytes[offset + 8..<offset + 16].reduce(0) { $0 << 8 | Int($1) }
            }
            guard size >= 8 else { return .unknown }   // 0: the box runs to the end
            offset += size
            if offset + 16 > limit { return .unknown }
        }
    }

    /// The one-line error for an MP4 whose index is at its end, read from a pipe.
    static func indexAtEndError(path: String) -> VideoDecodingError {
        .decodeFailed(path: path, detail: "an MP4/MOV with its index (moov) at the end cannot be read from a pipe: "
            + "re-mux it with 'ffmpeg -i IN -c copy -movflags +faststart OUT.mp4', send fragmented MP4 "
            + "('-movflags frag_keyframe+empty_moov'), or pass the file itself")
    }
}
