// Decodes the best video stream of anything FFmpeg opens; RGB24 via libswscale, timestamps from
// best_effort_timestamp × time_base, measured from the file's start time as the ffmpeg CLI does.

import CFFmpeg

final class FFmpegDecoder: FrameDecoder {
    let path: String
    private(set) var info: VideoInfo
    private(set) var warnings: [String] = []
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
    private let nominalFrameDuration: Double?   // seconds
    private var lastTimestamp: Double?
    /// The video's duration when the container gives it for the video alone (its own duration,
    /// or the file's when the video is the only stream): a shorter decode means truncation.
    private let trustedDuration: Double?
    private let streamed: Bool                  // read from a pipe (no seeking)
    private var index = 0
    private var draining = false
    private var finished = false
    private var badPackets = 0
    private var firstBadPacket = ""

    convenience init(url: String, path: String) throws {
        try self.init(url: url, io: nil, path: path)
    }

    convenience init(stream: FileInput, path: String) throws {
        try self.init(url: "", io: CustomIO(stream, path: path), path: path)
    }

    private init(url: String, io: CustomIO?, path: String) throws {
        av_log_set_level(AV_LOG_QUIET)
        self.path = path
        streamed = io != nil
        format = try FormatContext(url: url, io: io, path: path)
        let fmt = format.ctx
        var r = avformat_find_stream_info(fmt, nil)
        if r < 0 { throw VideoDecodingError.notMedia(path: path) }
        var decoder: UnsafePointer<AVCodec>?
        r = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        if r == movinet_averror_stream_not_found() { throw VideoDecodingError.noVideoStream(path: path) }
        guard r >= 0, let stream = fmt.pointee.streams[Int(r)], let decoder else {
            let id = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            var name = "unknown"
            if id >= 0, let s = fmt.pointee.streams[Int(id)] {
                name = String(cString: avcodec_get_name(s.pointee.codecpar.pointee.codec_id))
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
        codec = try CodecContext(codec: decoder, parameters: par, path: path)
        packet = try Packet(path: path)
        frame = try Frame(path: path)
        timeBase = stream.pointee.time_base

        let nopts = movinet_av_nopts_value()
        if fmt.pointee.start_time != nopts {
            startOffset = av_rescale_q(fmt.pointee.start_time, AVRational(num: 1, den: Int32(movinet_av_time_base())), timeBase)
        } else if stream.pointee.start_time != nopts {
            startOffset = stream.pointee.start_time
        } else {
            startOffset = 0
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
        info = VideoInfo(
            path: path, container: containerName,
            codec: String(cString: avcodec_get_name(par.pointee.codec_id)),
            width: width, height: height, frameRate: rate, duration: duration,
            frameCountHint: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil)
    }

    /// Reads a whole URL into memory (a GIF found behind a URL goes to giflib).
    static func readAll(url: String, path: String) throws -> [UInt8] {
        var io: UnsafeMutablePointer<AVIOContext>?
        let r = avio_open2(&io, url, AVIO_FLAG_READ, nil, nil)
        guard r >= 0, let io else { throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open: \(avErrorText(r))") }
        defer { var c: UnsafeMutablePointer<AVIOContext>? = io; avio_closep(&c) }
        var all = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = avio_read(io, &chunk, Int32(chunk.count))
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
            let r = avcodec_receive_frame(codec.ctx, frame.ptr)
            if r == 0 {
                defer { av_frame_unref(frame.ptr) }
                return try holdFrame()
            }
            if r == movinet_averror_eof() { return try finish() }
            if r != movinet_averror_eagain() {
                // A decoder that fails outside a packet cannot go on; keep what it gave.
                noteBadPacket(r)
                return try finish()
            }
            if draining { return try finish() }
            try feedPacket()
        }
    }

    /// Sends the next packet of our stream to the decoder, or starts draining at the end.
    private func feedPacket() throws {
        while true {
            let r = av_read_frame(format.ctx, packet.ptr)
            if r < 0 {
                if r != movinet_averror_eof() {
                    warnings.append("read error after frame \(index - 1): \(avErrorText(r)); using the frames before it")
                }
                draining = true
                _ = avcodec_send_packet(codec.ctx, nil)
                return
            }
            defer { av_packet_unref(packet.ptr) }
            if packet.ptr.pointee.stream_index != streamIndex { continue }
            let s = avcodec_send_packet(codec.ctx, packet.ptr)
            if s < 0 && s != movinet_averror_eagain() { noteBadPacket(s); continue }
            return
        }
    }

    private func noteBadPacket(_ code: Int32) {
        if badPackets == 0 { firstBadPacket = avErrorText(code) }
        badPackets += 1
    }

    private func finish() throws -> HeldFrame? {
        finished = true
        if badPackets > 0 {
            warnings.append("\(badPackets) damaged packet(s) skipped (first: \(firstBadPacket))")
        }
        if let hint = info.frameCountHint, index > 0, index < hint - 1 {
            warnings.append("the container announces \(hint) frames but only \(index) decoded (truncated?)")
        } else if info.frameCountHint == nil, let end = lastTimestamp, let duration = trustedDuration,
                  end + 2 * (nominalFrameDuration ?? 0.1) + 0.5 < duration {
            func s(_ x: Double) -> String { "\((x * 100).rounded() / 100) s" }
            warnings.append("decoding ended at \(s(end)) of the \(s(duration)) the container announces (truncated?)")
        }
        if index == 0 {
            if badPackets > 0 {
                throw VideoDecodingError.decodeFailed(path: path, detail: "no frame decoded (\(firstBadPacket))")
            }
            if streamed && info.container.hasPrefix("mov") {
                throw VideoDecodingError.decodeFailed(
                    path: path, detail: "no frames: an MP4/MOV with its index at the end cannot be read from a pipe; pass the file")
            }
            throw VideoDecodingError.noFrames(path: path)
        }
        return nil
    }

    /// Takes the decoded frame out of `frame` and returns it unconverted: the sampler drops most
    /// frames, so only the ones it keeps pay for the RGB conversion.
    private func holdFrame() throws -> HeldFrame {
        let f = frame.ptr.pointee
        let width = Int(f.width), height = Int(f.height)
        try DecodingLimits.checkSize(width: width, height: height, path: path)
        if index >= DecodingLimits.maxFrames {
            throw VideoDecodingError.tooLarge(path: path, detail: "more than \(DecodingLimits.maxFrames) frames")
        }
        let tb = Double(timeBase.num) / Double(timeBase.den)
        var duration: Double? = nominalFrameDuration
        let d = movinet_frame_duration(frame.ptr)
        if d > 0 { duration = Double(d) * tb }
        let timestamp: Double
        if f.best_effort_timestamp != movinet_av_nopts_value() {
            timestamp = Double(f.best_effort_timestamp - startOffset) * tb
        } else if let last = lastTimestamp {
            timestamp = last + (duration ?? 0)
        } else {
            timestamp = 0
        }
        lastTimestamp = timestamp
        let held = try Frame(path: path)
        av_frame_move_ref(held.ptr, frame.ptr)   // the pixels stay where the decoder put them
        let i = index
        index += 1
        if info.width == 0 { info.width = width; info.height = height }
        return HeldFrame(index: i, timestamp: timestamp, duration: duration) { [self] in
            try self.convert(held, index: i, timestamp: timestamp, duration: duration)
        }
    }

    private func convert(_ held: Frame, index: Int, timestamp: Double, duration: Double?) throws -> VideoFrame {
        let f = held.ptr.pointee
        let width = Int(f.width), height = Int(f.height)
        if scaler == nil || scaler!.width != f.width || scaler!.height != f.height || scaler!.format != f.format {
            scaler = try Scaler(width: f.width, height: f.height, format: f.format, path: path)
        }
        if rgb.count != width * height * 3 { rgb = [UInt8](repeating: 0, count: width * height * 3) }
        if !scaler!.convert(held.ptr, into: &rgb) {
            throw VideoDecodingError.decodeFailed(path: path, detail: "colour conversion failed at frame \(index)")
        }
        return VideoFrame(index: index, timestamp: timestamp, width: width, height: height, rgb: rgb, duration: duration)
    }
}
