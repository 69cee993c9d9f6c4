// Opens a source by content (GIF magic → giflib, anything else → FFmpeg) and yields its frames one by one.

/// What both back ends provide.
protocol FrameDecoder: AnyObject {
    var info: VideoInfo { get }
    /// The time base of ``HeldFrame/spanTicks`` (seconds per tick = num / den).
    var spanTimeBase: (num: Int64, den: Int64) { get }
    var warnings: [String] { get }
    /// Decode errors and concealed frames so far (giflib reports damage as a warning instead).
    var damage: DecodeDamage { get }
    /// The next decoded frame, its pixels not yet converted to RGB if conversion costs anything.
    func nextHeld() throws -> HeldFrame?
}

extension FrameDecoder {
    var damage: DecodeDamage { DecodeDamage() }
}

/// A decoded frame whose timestamp is known and whose RGB24 pixels are made on demand (at most
/// once, and only before the decoder's next frame is converted).
final class HeldFrame {
    let index: Int
    let timestamp: Double
    let duration: Double?
    /// Time from the start of the span (``DecodingOptions/start``) in the decoder's time base, as
    /// `ffmpeg -ss` computes it: the frame's pts less the start rescaled once, in integers.
    let spanTicks: Int64
    /// ``spanTicks`` in seconds: what the sampler is fed.
    let spanTime: Double
    private var make: (() throws -> VideoFrame)?
    private var made: VideoFrame?

    init(index: Int, timestamp: Double, duration: Double?, spanTicks: Int64, spanTime: Double,
         make: @escaping () throws -> VideoFrame) {
        self.index = index
        self.timestamp = timestamp
        self.duration = duration
        self.spanTicks = spanTicks
        self.spanTime = spanTime
        self.make = make
    }

    init(_ frame: VideoFrame, spanTicks: Int64, spanTime: Double) {
        index = frame.index
        timestamp = frame.timestamp
        duration = frame.duration
        self.spanTicks = spanTicks
        self.spanTime = spanTime
        made = frame
    }

    func frame() throws -> VideoFrame {
        if let made { return made }
        let f = try make!()
        made = f
        make = nil
        return f
    }
}

/// A decoded video, yielded one frame at a time. Opens by content: GIF magic → giflib,
/// anything else → FFmpeg (files, `http(s)://` and `file:` URLs, `-` for standard input, FIFOs).
/// Memory stays bounded by a few frames whatever the length of the video (a GIF read from
/// standard input or a URL is held in memory compressed, as it is read).
///
/// With ``DecodingOptions`` frames are turned upright by the stream's display matrix (the
/// default) and only the span from `start` for `duration` seconds is yielded, as
/// `ffmpeg -ss START -t DURATION -i FILE` selects it: after seeking, frames before `start` are
/// dropped, and the span ends `duration` seconds after the first frame kept.
public final class VideoSource {
    public let info: VideoInfo
    /// How the source is read.
    public let options: DecodingOptions
    /// Non-fatal problems met so far (e.g. "truncated after frame 7", decode errors), each one line.
    public var warnings: [String] { decoder.warnings }
    /// Decode errors and frames with concealed errors met so far.
    public var damage: DecodeDamage { decoder.damage }
    private let decoder: FrameDecoder
    /// Span time of the first frame kept (the trim filter's `first_pts`), in ticks.
    private var spanFirst: Int64?
    /// The span's length in the decoder's ticks (the duration in µs rescaled as `av_rescale_q`
    /// does, as the trim filter gets it), nil without a duration.
    private let spanLength: Int64?
    private var spanEnded = false
    /// Timestamp of the last frame decoded, kept in the span or not.
    private var lastSeen: Double?

    public init(path: String, options: DecodingOptions = DecodingOptions()) throws {
        self.options = options
        decoder = try VideoSource.open(path, options: options)
        info = decoder.info
        let tb = decoder.spanTimeBase
        spanLength = options.duration.map { rescale(Int64(($0 * 1e6).rounded()), from: (1, 1_000_000), to: tb) }
    }

    /// The next decoded frame, or nil at the end.
    public func nextFrame() throws -> VideoFrame? { try nextHeld()?.frame() }

    /// The next decoded frame of the span before its conversion to RGB (SampledFrames converts
    /// only the frames it keeps).
    func nextHeld() throws -> HeldFrame? {
        if spanEnded { return nil }
        while let frame = try decoder.nextHeld() {
            lastSeen = frame.timestamp
            if frame.spanTicks < 0 { continue }   // before the span (the trim filter's start)
            let first = spanFirst ?? frame.spanTicks
            spanFirst = first
            if let spanLength, frame.spanTicks - first >= spanLength {
                spanEnded = true
                return nil
            }
            return frame
        }
        if spanFirst == nil, let lastSeen {
            throw VideoDecodingError.decodeFailed(path: info.path, detail:
                "no frames from \(seconds(options.start)) on: the video ends at \(seconds(lastSeen))")
        }
        return nil
    }

    private func seconds(_ t: Double) -> String { "\((t * 1000).rounded() / 1000) s" }

    static let gifMagic: [[UInt8]] = [Array("GIF87a".utf8), Array("GIF89a".utf8)]

    static func isGIF(_ prefix: [UInt8]) -> Bool { gifMagic.contains(Array(prefix.prefix(6))) }

    private static func open(_ path: String, options: DecodingOptions) throws -> FrameDecoder {
        if let fd = LiveInput.pipeDescriptor(path) {
            return try openStream(FileInput(fd: fd, owned: false), path: path, options: options)
        }
        // A forced format (`-f v4l2 /dev/video0`, `-f lavfi testsrc2`) takes the argument as FFmpeg does.
        if options.inputFormat != nil {
            return try FFmpegDecoder(url: path, path: path, options: options, live: true)
        }
        if let local = localPath(path) { return try openFile(local, path: path, options: options) }
        // A URL: FFmpeg opens it; when its probe says GIF, the bytes go to giflib instead.
        let ff = try FFmpegDecoder(url: path, path: path, options: options, live: LiveInput.isNetwork(path))
        if ff.isGIF {
            let bytes = try FFmpegDecoder.readAll(url: path, path: path)
            if isGIF(bytes) { return try GIFDecoder(input: .memory(MemoryReader(bytes)), path: path, start: options.start) }
        }
        return ff
    }

    /// The filesystem path a user's argument names, or nil for a URL FFmpeg must open.
    static func localPath(_ path: String) -> String? {
        if path.hasPrefix("file://") { return String(path.dropFirst(7)) }
        if path.hasPrefix("file:") { return String(path.dropFirst(5)) }
        if let colon = path.firstIndex(of: ":"), path[..<colon].count > 1,
           path[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }),
           !path.hasPrefix("/"), !path.hasPrefix(".") {
            return nil  // scheme:… (http:, https:, rtmp:, pipe:, …)
        }
        return path
    }

    private static func openFile(_ file: String, path: String, options: DecodingOptions) throws -> FrameDecoder {
        var st = stat()
        if FileNames.withCPath(file, { stat($0, &st) }) != 0 {
            switch errno {
            case EACCES: throw VideoDecodingError.permissionDenied(path: path)
            default: throw VideoDecodingError.notFound(path: path)
            }
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw VideoDecodingError.isDirectory(path: path) }
        if LiveInput.isV4L2(st) {
            var camera = options
            camera.inputFormat = "v4l2"
            return try FFmpegDecoder(url: file, path: path, options: camera, live: true)
        }
        let fd = posixOpen(file, O_RDONLY)
        if fd < 0 {
            if errno == EACCES || errno == EPERM { throw VideoDecodingError.permissionDenied(path: path) }
            throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open: \(errnoText())")
        }
        let regular = (st.st_mode & S_IFMT) == S_IFREG
        if regular && st.st_size == 0 { close(fd); throw VideoDecodingError.empty(path: path) }
        let input = FileInput(fd: fd, owned: true)
        let prefix = input.readPrefix(6)
        if prefix.isEmpty { throw VideoDecodingError.empty(path: path) }
        if isGIF(prefix) {
            if regular { return try GIFDecoder(input: .file(file), path: path, start: options.start) }
            return try GIFDecoder(input: .memory(MemoryReader(input.readRest(path: path))), path: path,
                                  start: options.start)
        }
        if regular { return try FFmpegDecoder(url: file, local: file, path: path, options: options) }
        // A FIFO (`<(…)`, `mkfifo`, `/dev/stdin` on a pipe) or device: read as a stream, never
        // opened twice.
        return try openStream(input, path: path, options: options)
    }

    /// A byte stream that cannot seek (standard input, `pipe:N`, a FIFO): a GIF is read whole
    /// (giflib needs all of it), an MP4 must have its index first, anything else is demuxed as
    /// it arrives.
    private static func openStream(_ input: FileInput, path: String, options: DecodingOptions) throws
        -> FrameDecoder {
        input.stall = options.stallTimeout.flatMap { $0 > 0 ? $0 : nil }
        let prefix = input.readPrefix(6)
        if input.stalled { throw ReadWatch(stall: input.stall).stallError(path: path) }
        if prefix.isEmpty {
            if input.readFailed {
                throw VideoDecodingError.decodeFailed(path: path, detail: "cannot read: \(errnoText())")
            }
            throw VideoDecodingError.empty(path: path)
        }
        if isGIF(prefix) {
            return try GIFDecoder(input: .memory(MemoryReader(input.readRest(path: path))), path: path,
                                  start: options.start)
        }
        if MP4Layout.check(more: { input.readPrefix($0) }) == .indexAtEnd {
            throw MP4Layout.indexAtEndError(path: path)
        }
        return try FFmpegDecoder(stream: input, path: path, options: options)
    }
}

/// A file descriptor read sequentially, with the first bytes (read to sniff the format) kept
/// aside and served again first.
final class FileInput {
    let fd: Int32
    private let owned: Bool
    private(set) var prefix: [UInt8] = []
    private var prefixServed = 0
    /// Largest GIF accepted from a stream (held in memory compressed).
    static let maxStreamBytes = 1 << 30

    init(fd: Int32, owned: Bool) { self.fd = fd; self.owned = owned }
    deinit { if owned { close(fd) } }

    /// Seconds without data after which a read fails (``stalled``); nil: wait for ever.
    var stall: Double?
    /// A read waited ``stall`` seconds without data.
    private(set) var stalled = false
    /// A read ended early because ``InputStop`` was requested.
    private(set) var stopped = false
    /// A read failed (errno says why).
    private(set) var readFailed = false
    private var lastData = ReadWatch.now()

    /// Makes the kept prefix at least n bytes long (fewer only at the end of input, or when it was
    /// stopped or stalled) and returns it; it is served again first.
    func readPrefix(_ n: Int) -> [UInt8] {
        let want = max(0, n - prefix.count)
        var buf = [UInt8](repeating: 0, count: want)
        var got = 0
        while got < want {
            let r = buf.withUnsafeMutableBytes { readSome($0.baseAddress! + got, want - got) }
            if r <= 0 { break }
            got += r
        }
        prefix += buf[..<got]
        return prefix
    }

    /// One read(2) once data is there, polling meanwhile for a stop request and the stall
    /// timeout (so a silent pipe can still be ended); 0 at the end or on a stop, -1 on an error
    /// or a stall.
    private func readSome(_ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            if InputStop.isRequested { stopped = true; return 0 }
            let ready = poll(&waiting, 1, 100)
            if ready < 0 && errno != EINTR { break }   // not pollable: just read
            if ready > 0 { break }
            if let stall, Double(ReadWatch.now() - lastData) / 1e9 >= stall {
                stalled = true
                errno = ETIMEDOUT
                return -1
            }
        }
        while true {
            let r = posixRead(fd, buffer, count)
            if r < 0 && errno == EINTR { continue }
            if r > 0 { lastData = ReadWatch.now() }
            if r < 0 { readFailed = true }
            return r
        }
    }

    /// Serves the kept prefix, then the descriptor. 0 at the end, -1 on a read error.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        if prefixServed < prefix.count {
            let n = min(count, prefix.count - prefixServed)
            prefix.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + prefixServed, byteCount: n) }
            prefixServed += n
            return n
        }
        return readSome(buffer, count)
    }

    /// Everything (prefix included) up to the end of input.
    func readRest(path: String) throws -> [UInt8] {
        var all = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let r = chunk.withUnsafeMutableBytes { read(into: $0.baseAddress!, count: $0.count) }
            if r < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "read error: \(errnoText())") }
            if r == 0 { return all }
            all.append(contentsOf: chunk[..<r])
            if all.count > FileInput.maxStreamBytes {
                throw VideoDecodingError.tooLarge(path: path, detail: "GIF stream larger than \(FileInput.maxStreamBytes >> 20) MB")
            }
        }
    }
}
