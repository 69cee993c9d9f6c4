// Decodes the best video stream of anything FFmpeg opens; RGB24 via libswscale, timestamps from
// best_effort_timestamp × time_base, measured from the file's start time as the ffmpeg CLI does;
// the display matrix applied, seeking and damage counted as the ffmpeg CLI does them.

import CFFmpeg

final class FFmpegDecoder: FrameDecoder {
    let path: String
    private(set) var info: VideoInfo
    private var notes: [String] = []
    /// Non-fatal problems: read errors, truncation, and the damage counted so far.
    var warnings: [String] { notes + (damage.summary.map { [$0] } ?? []) }
    private(set) var damage = DecodeDamage()
    /// FFmpeg's probe says this is a GIF (VideoSource then decodes it with giflib instead).
    let isGIF: Bool

    private let format: FormatContext
    private let codec: CodecContext
    private let packet: Packet
    private let frame: Frame
    private var scaler: Scaler?
    private var rgb: [UInt8] = []               // (height, width, 3), handed out copy-on-write
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let startOffset: Int64              // the file's start time in the stream's time base
    /// The file's start time plus `DecodingOptions.start`, rescaled at once to the stream's time
    /// base as `ffmpeg -ss` does (its `ts_offset`): frames' span ticks are measured from it.
    private let spanOffset: Int64
    var spanTimeBase: (num: Int64, den: Int64) { (Int64(timeBase.num), Int64(timeBase.den)) }
    private let nominalFrameDuration: Double?   // seconds
    private var lastTimestamp: Double?
    private var lastSpanTicks: Int64 = 0
    /// The video's duration when the container gives it for the video alone (its own duration,
    /// or the file's when the video is the only stream): a shorter decode means truncation.
    private let trustedDuration: Double?
    private let streamed: Bool                  // read from a pipe (no seeking)
    private let input: FileInput?               // the pipe, when streamed
    private let watch: ReadWatch?               // interrupts network reads (stop, stall)
    private var index = 0
    private var draining = false
    private var finished = false
    /// The turn applied to every frame before its conversion (planes, or RGB when FFmpeg's
    /// filters would convert first).
    private let orientation: Orientation

    /// Opens a URL, or a local file when `local` is its path (a lossless name, ``FileNames``).
    /// `live`: a network stream or device, read with low-latency probing and a stall timeout.
    convenience init(url: String, local: String? = nil, path: String, options: DecodingOptions = DecodingOptions(),
                     live: Bool = false) throws {
        let watch = ReadWatch(stall: options.stallTimeout ?? (live ? LiveInput.defaultNetworkStall : nil))
        try self.init(url: url, local: local, io: nil, input: nil, watch: watch, path: path, options: options,
                      live: live)
    }

    /// Reads a byte stream (standard input, `pipe:N`, a FIFO) with low-latency probing.
    convenience init(stream: FileInput, path: String, options: DecodingOptions = DecodingOptions()) throws {
        stream.stall = options.stallTimeout.flatMap { $0 > 0 ? $0 : nil }
        try self.init(url: "", local: nil, io: CustomIO(stream, path: path), input: stream, watch: nil, path: path,
                      options: options, live: true)
    }

    private init(url: String, local: String?, io: CustomIO?, input: FileInput?, watch: ReadWatch?, path: String,
                 options: DecodingOptions, live: Bool) throws {
        try FFmpegLibrary.require(path: path)
        ffmpeg.av_log_set_level(AV_LOG_QUIET)
        self.path = path
        streamed = io != nil
        self.input = input
        self.watch = watch
        let forced = try options.inputFormat.map { try LiveInput.inputFormat($0, path: path) }
        var formatOptions = live ? LiveInput.lowLatencyOptions : [:]
        formatOptions.merge(options.inputOptions) { _, given in given }
        format = try FormatContext(url: url, local: local, io: io, path: path, format: forced, options: formatOptions,
                                   watch: watch)
        let fmt = format.ctx
        var r = ffmpeg.avformat_find_stream_info(fmt, nil)
        if r < 0 {
            if let stop = try Self.interruption(watch: watch, input: input, path: path) { throw stop }
            if streamed && r != movinet_averror_eof() {
                throw VideoDecodingError.decodeFailed(path: path, detail: "cannot read the stream: \(avErrorText(r))")
            }
            throw VideoDecodingError.notMedia(path: path)
        }
        var decoder: UnsafePointer<AVCodec>?
        r = ffmpeg.av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        if r == movinet_averror_stream_not_found() { throw VideoDecodingError.noVideoStream(path: path) }
        guard r >= 0, let stream = fmt.pointee.streams[Int(r)], let decoder else {
            let id = ffmpeg.av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            var name = "unknown"
            if id >= 0, let s = fmt.pointee.streams[Int(id)],
               let codecName = ffmpeg.avcodec_get_name(s.pointee.codecpar.pointee.codec_id) {
                name = String(cString: codecName)
            }
            throw VideoDecodingError.decodeFailed(path: path, detail: "no decoder for video codec \(name)")
        }
        streamIndex = r
        let par = stream.pointee.codecpar!
        let width = Int(par.pointee.width), height = Int(par.pointee.height)
        if width > 0 && height > 0 { try DecodingLimits.checkSize(width: width, height: height, path: path) }
        if stream.pointee.nb_frames > DecodingLimits.maxFrames {
            throw VideoDecodingError.tooLarge(
                path: path, detail: "\(stream.pointee.nb_frames) frames announced, over \(DecodingLimits.maxFrames)")
        }
        codec = try CodecContext(codec: decoder, parameters: par, path: path, lowDelay: live, threads: options.decoderThreads)
        packet = try Packet(path: path)
        frame = try Frame(path: path)
        timeBase = stream.pointee.time_base

        let nopts = movinet_av_nopts_value()
        let microseconds = AVRational(num: 1, den: Int32(movinet_av_time_base()))
        let start = Int64((options.start * Double(movinet_av_time_base())).rounded())
        if fmt.pointee.start_time != nopts {
            startOffset = ffmpeg.av_rescale_q(fmt.pointee.start_time, microseconds, timeBase)
            spanOffset = ffmpeg.av_rescale_q(fmt.pointee.start_time &+ start, microseconds, timeBase)
        } else if stream.pointee.start_time != nopts {
            startOffset = stream.pointee.start_time
            spanOffset = startOffset &+ ffmpeg.av_rescale_q(start, microseconds, timeBase)
        } else {
            startOffset = 0
            spanOffset = ffmpeg.av_rescale_q(start, microseconds, timeBase)
        }
        func seconds(_ q: AVRational) -> Double? { q.num > 0 && q.den > 0 ? Double(q.num) / Double(q.den) : nil }
        let rate = seconds(stream.pointee.avg_frame_rate) ?? seconds(stream.pointee.r_frame_rate)
        nominalFrameDuration = rate.map { 1 / $0 }
        var duration: Double?
        if stream.pointee.duration != nopts && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * Double(timeBase.num) / Double(timeBase.den)
            trustedDuration = duration
        } else if fmt.pointee.duration != nopts && fmt.pointee.duration > 0 {
            duration = Double(fmt.pointee.duration) / Double(movinet_av_time_base())
            trustedDuration = fmt.pointee.nb_streams == 1 ? duration : nil
        } else {
            trustedDuration = nil
        }
        let containerName = String(cString: fmt.pointee.iformat.pointee.name)
        isGIF = containerName == "gif"
        var rotation: Double?
        var turn = Orientation.upright
        var early: [String] = []
        var size = 0
        if let data = ffmpeg.av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 {
            let matrix = UnsafeRawPointer(data).withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
            let angle = matrix.withUnsafeBufferPointer { ffmpeg.av_display_rotation_get($0.baseAddress!) }
            if !angle.isNaN { rotation = angle == 0 ? 0 : angle }   // no "-0"
            let decided = Orientation.forDisplayMatrix(matrix)
            if options.autorotate {
                turn = decided.orientation
                if let odd = decided.unsupportedAngle {
                    early.append("the display matrix turns the video by \(Int(odd.rounded()))°, which is not a multiple of 90°; frames are used as stored")
                }
            }
        }
        orientation = turn
        notes = early
        info = VideoInfo(
            path: path, container: containerName,
            codec: ffmpeg.avcodec_get_name(par.pointee.codec_id).map { String(cString: $0) } ?? "unknown",
            width: turn.swapsSides ? height : width, height: turn.swapsSides ? width : height,
            frameRate: rate, duration: duration,
            frameCountHint: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil,
            rotation: rotation, orientation: turn)
        if options.start > 0 && !streamed { seek(to: options.start) }
    }

    /// Seeks to the key frame at or before `seconds` as `ffmpeg -ss` does (ffmpeg_opt.c: the file's
    /// start time added, 3/23 s earlier when a stream reorders frames); the frames before `seconds`
    /// are then decoded and dropped by the caller. A file that cannot seek is read from its start.
    private func seek(to seconds: Double) {
        let fmt = format.ctx
        var target = Int64((seconds * Double(movinet_av_time_base())).rounded())
        if fmt.pointee.start_time != movinet_av_nopts_value() { target += fmt.pointee.start_time }
        if (fmt.pointee.iformat.pointee.flags & AVFMT_SEEK_TO_PTS) == 0 {
            let reorders = (0..<Int(fmt.pointee.nb_streams)).contains {
                (fmt.pointee.streams[$0]?.pointee.codecpar.pointee.video_delay ?? 0) > 0
            }
            if reorders { target -= 3 * movinet_av_time_base() / 23 }
        }
        if ffmpeg.avformat_seek_file(fmt, -1, Int64.min, target, target, 0) >= 0 {
            seeked = true
        } else {
            notes.append("cannot seek; reading from the start to \(seconds) s")
        }
    }
    private var seeked = false

    /// Reads a whole URL into memory (a GIF found behind a URL goes to giflib).
    static func readAll(url: String, path: String) throws -> [UInt8] {
        try FFmpegLibrary.require(path: path)
        var io: UnsafeMutablePointer<AVIOContext>?
        let r = ffmpeg.avio_open2(&io, url, AVIO_FLAG_READ, nil, nil)
        guard r >= 0, let io else { throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open: \(avErrorText(r))") }
        defer { var c: UnsafeMutablePointer<AVIOContext>? = io; _ = ffmpeg.avio_closep(&c) }
        var all = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = ffmpeg.avio_read(io, &chunk, Int32(chunk.count))
            if n == movinet_averror_eof() || n == 0 { return all }
            if n < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "read error: \(avErrorText(n))") }
            all.append(contentsOf: chunk[..<Int(n)])
            if all.count > FileInput.maxStreamBytes {
                throw VideoDecodingError.tooLarge(path: path, detail: "GIF larger than \(FileInput.maxStreamBytes >> 20) MB")
            }
        }
    }

    func nextHeld() throws -> HeldFrame? {
        if finished { return nil }
        while true {
            let r = ffmpeg.avcodec_receive_frame(codec.ctx, frame.ptr)
            if r == 0 {
                defer { ffmpeg.av_frame_unref(frame.ptr) }
                return try holdFrame()
            }
            if r == movinet_averror_eof() { return try finish() }
            if r != movinet_averror_eagain() {
                // A frame that failed to decode, as the ffmpeg CLI counts it ("Error while decoding
                // stream"); like it, go on with the next packet, except when draining at the end.
                damage.noteError(avErrorText(r))
                if draining { return try finish() }
            } else if draining {
                return try finish()
            }
            try feedPacket()
        }
    }

    /// Sends the next packet of our stream to the decoder, or starts draining at the end.
    private func feedPacket() throws {
        while true {
            let r = ffmpeg.av_read_frame(format.ctx, packet.ptr)
            if r >= 0 { watch?.touch() }
            if r < 0 {
                if try Self.interruption(watch: watch, input: input, path: path) != nil {
                    // Stopped on request: the input ends here, its frames so far are still used.
                } else if r != movinet_averror_eof() {
                    notes.append("read error after frame \(index - 1): \(avErrorText(r)); using the frames before it")
                }
                draining = true
                _ = ffmpeg.avcodec_send_packet(codec.ctx, nil)
                return
            }
            defer { ffmpeg.av_packet_unref(packet.ptr) }
            if packet.ptr.pointee.stream_index != streamIndex { continue }
            let s = ffmpeg.avcodec_send_packet(codec.ctx, packet.ptr)
            if s < 0 && s != movinet_averror_eagain() { damage.noteError(avErrorText(s)); continue }
            return
        }
    }

    /// Why reading was cut short, if it was: nil when it was not, an error to throw when it stalled
    /// (thrown here), or `.stopped` as a value when a stop was requested (the input just ends).
    private static func interruption(watch: ReadWatch?, input: FileInput?, path: String) throws -> VideoDecodingError? {
        if watch?.reason == .stalled || input?.stalled == true {
            throw watch?.stallError(path: path) ?? ReadWatch(stall: input?.stall).stallError(path: path)
        }
        if watch?.reason == .stopped || input?.stopped == true {
            return VideoDecodingError.decodeFailed(path: path, detail: "stopped before the video could be read")
        }
        return nil
    }

    private func finish() throws -> HeldFrame? {
        finished = true
        if seeked {
            // Frames before the seek point were never decoded: the container's counts do not apply.
        } else if let hint = info.frameCountHint, index > 0, index < hint - 1 {
            notes.append("the container announces \(hint) frames but only \(index) decoded (truncated?)")
        } else if info.frameCountHint == nil, let end = lastTimestamp, let duration = trustedDuration,
                  end + 2 * (nominalFrameDuration ?? 0.1) + 0.5 < duration {
            func s(_ x: Double) -> String { "\((x * 100).rounded() / 100) s" }
            notes.append("decoding ended at \(s(end)) of the \(s(duration)) the container announces (truncated?)")
        }
        if index == 0 {
            if let first = damage.firstError {
                throw VideoDecodingError.decodeFailed(path: path, detail: "no frame decoded (\(first))")
            }
            if InputStop.isRequested {
                throw VideoDecodingError.decodeFailed(path: path, detail: "stopped before the first frame")
            }
            if streamed && info.container.hasPrefix("mov") {
                throw VideoDecodingError.decodeFailed(
                    path: path, detail: "no frames: an MP4/MOV with its index at the end cannot be read from a pipe; pass the file")
            }
            throw VideoDecodingError.noFrames(path: path)
        }
        return nil
    }

    /// A timestamp difference that overflowed Int64 (pts near ±2^63 in a hostile file) is an error.
    private func ticks(_ r: (partialValue: Int64, overflow: Bool)) throws -> Int64 {
        guard !r.overflow else {
            throw VideoDecodingError.decodeFailed(path: path, detail: "frame \(index) has a timestamp out of range")
        }
        return r.partialValue
    }

    /// Takes the decoded frame out of `frame` and returns it unconverted: the sampler drops most
    /// frames, so only the ones it keeps pay for the RGB conversion.
    private func holdFrame() throws -> HeldFrame {
        let f = frame.ptr.pointee
        let width = Int(f.width), height = Int(f.height)
        try DecodingLimits.checkSize(width: width, height: height, path: path)
        if f.decode_error_flags != 0 || (f.flags & movinet_av_frame_flag_corrupt()) != 0 { damage.concealedFrames += 1 }
        if index >= DecodingLimits.maxFrames {
            throw VideoDecodingError.tooLarge(path: path, detail: "more than \(DecodingLimits.maxFrames) frames")
        }
        let tb = Double(timeBase.num) / Double(timeBase.den)
        var duration: Double? = nominalFrameDuration
        let d = movinet_frame_duration(frame.ptr)
        if d > 0 { duration = Double(d) * tb }
        let timestamp: Double
        let spanTicks: Int64
        if f.best_effort_timestamp != movinet_av_nopts_value() {
            timestamp = (Double(f.best_effort_timestamp) - Double(startOffset)) * tb
            spanTicks = try ticks(f.best_effort_timestamp.subtractingReportingOverflow(spanOffset))
        } else if let last = lastTimestamp {
            timestamp = last + (duration ?? 0)
            let step = d > 0 ? d : Int64(exactly: ((duration ?? 0) / tb).rounded()) ?? 0
            spanTicks = try ticks(lastSpanTicks.addingReportingOverflow(step))
        } else {
            timestamp = 0
            spanTicks = try ticks(startOffset.subtractingReportingOverflow(spanOffset))
        }
        lastTimestamp = timestamp
        lastSpanTicks = spanTicks
        let held = try Frame(path: path)
        ffmpeg.av_frame_move_ref(held.ptr, frame.ptr)   // the pixels stay where the decoder put them
        let i = index
        index += 1
        if info.width == 0 {
            info.width = orientation.swapsSides ? height : width
            info.height = orientation.swapsSides ? width : height
        }
        return HeldFrame(index: i, timestamp: timestamp, duration: duration, spanTicks: spanTicks,
                         spanTime: Double(spanTicks) * tb) { [self] in
            try self.convert(held, index: i, timestamp: timestamp, duration: duration)
        }
    }

    private func convert(_ decoded: Frame, index: Int, timestamp: Double, duration: Double?) throws -> VideoFrame {
        // Turned before conversion when FFmpeg's filters take the format as it is, as the ffmpeg
        // CLI's graph does (its scale to RGB24 comes after the turn); otherwise after.
        let turnPlanes = orientation != .upright && orientation.acceptsPlanes(of: decoded.ptr.pointee.format)
        let held = turnPlanes ? try orientation.apply(to: decoded.ptr, path: path) : decoded
        let f = held.ptr.pointee
        let width = Int(f.width), height = Int(f.height)
        if scaler == nil || scaler!.width != f.width || scaler!.height != f.height || scaler!.format != f.format {
            scaler = try Scaler(width: f.width, height: f.height, format: f.format, path: path)
        }
        if rgb.count != width * height * 3 { rgb = [UInt8](repeating: 0, count: width * height * 3) }
        if !scaler!.convert(held.ptr, into: &rgb) {
            throw VideoDecodingError.decodeFailed(path: path, detail: "colour conversion failed at frame \(index)")
        }
        if orientation != .upright && !turnPlanes {
            let turned = orientation.apply(rgb: rgb, width: width, height: height)
            return VideoFrame(index: index, timestamp: timestamp, width: turned.width, height: turned.height,
                              rgb: turned.rgb, duration: duration)
        }
        return VideoFrame(index: index, timestamp: timestamp, width: width, height: height, rgb: rgb, duration: duration)
    }
}

/// What was wrong in a decode, counted as the ffmpeg CLI counts it: decode calls that failed
/// ("Error while decoding stream") and frames the decoder returned with errors concealed
/// (`decode_error_flags` or `AV_FRAME_FLAG_CORRUPT`: "corrupt decoded frame").
public struct DecodeDamage: Sendable, Equatable {
    /// Packets the decoder refused or failed on.
    public var decodeErrors = 0
    /// Frames returned with parts concealed or marked corrupt.
    public var concealedFrames = 0
    /// FFmpeg's text for the first decode error.
    public var firstError: String?

    /// No damage.
    public init() {}

    mutating func noteError(_ text: String) {
        if firstError == nil { firstError = text }
        decodeErrors += 1
    }

    /// One warning line, or nil when nothing was wrong.
    public var summary: String? {
        var parts: [String] = []
        if decodeErrors > 0 {
            parts.append("\(decodeErrors) decode error\(decodeErrors == 1 ? "" : "s") (first: \(firstError ?? "unknown"))")
        }
        if concealedFrames > 0 {
            parts.append("\(concealedFrames) frame\(concealedFrames == 1 ? "" : "s") with concealed errors")
        }
        return parts.isEmpty ? nil : "damaged video: " + parts.joined(separator: ", ")
    }
}
