// Swift owners for FFmpeg's C handles: each frees its handle in deinit; status codes become errors.

import CFFmpeg

/// FFmpeg's text for an AVERROR code.
func avErrorText(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: Int(movinet_av_error_max_string_size()))
    if ffmpeg.av_strerror(code, &buf, buf.count) < 0 { return "error \(code)" }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The demuxer (AVFormatContext), opened on a URL or on a custom byte stream.
final class FormatContext {
    let ctx: UnsafeMutablePointer<AVFormatContext>
    private let io: CustomIO?   // must outlive ctx, which reads through it
    private let watch: ReadWatch?   // the interrupt callback's opaque pointer, likewise

    /// Opens `url`, or the local file `local` (a lossless name, ``FileNames``) when given.
    /// `format` forces a demuxer or device (`-f`), `options` are demuxer and protocol options
    /// (`probesize`, `rtsp_transport`, …), and `watch` may interrupt blocking reads.
    init(url: String, local: String? = nil, io: CustomIO?, path: String,
         format: UnsafePointer<AVInputFormat>? = nil, options: [String: String] = [:], watch: ReadWatch? = nil) throws {
        var c: UnsafeMutablePointer<AVFormatContext>? = ffmpeg.avformat_alloc_context()
        guard c != nil else { throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory") }
        if let io {
            c!.pointee.pb = io.ctx
            c!.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        }
        if let watch {
            c!.pointee.interrupt_callback = AVIOInterruptCB(
                callback: ReadWatch.callback, opaque: Unmanaged.passUnretained(watch).toOpaque())
        }
        var dictionary: OpaquePointer?
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { _ = ffmpeg.av_dict_set(&dictionary, key, value, 0) }
        defer { ffmpeg.av_dict_free(&dictionary) }
        // On failure avformat_open_input frees the context (never a custom pb). A local file goes
        // through the file: protocol with its bytes as they are, so that neither a colon in its
        // name nor bytes that are not UTF-8 are misread.
        let r = FileNames.withCPath(local.map { "file:" + $0 } ?? url) { ffmpeg.avformat_open_input(&c, $0, format, &dictionary) }
        if r < 0 || c == nil {
            if let reason = watch?.reason {
                if reason == .stalled { throw watch!.stallError(path: path) }
                throw VideoDecodingError.decodeFailed(path: path, detail: "stopped before the video could be read")
            }
            if r == movinet_averror_invaliddata() {
                if io == nil, let name = FormatContext.probeByContent(local ?? url) {
                    throw VideoDecodingError.decodeFailed(
                        path: path, detail: "damaged or truncated \(name) file (\(avErrorText(r)))")
                }
                throw VideoDecodingError.notMedia(path: path)
            }
            if r == movinet_averror_eof() {
                if io != nil {
                    throw VideoDecodingError.decodeFailed(
                        path: path, detail: "input ended before the video could be read")
                }
                throw VideoDecodingError.noFrames(path: path)
            }
            if r == movinet_averror(ENOENT) { throw VideoDecodingError.notFound(path: path) }
            if r == movinet_averror(EACCES) { throw VideoDecodingError.permissionDenied(path: path) }
            throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open: \(avErrorText(r))")
        }
        if let unused = dictionary, let entry = ffmpeg.av_dict_get(unused, "", nil, AV_DICT_IGNORE_SUFFIX) {
            let name = String(cString: entry.pointee.key)
            ffmpeg.avformat_close_input(&c)
            throw VideoDecodingError.decodeFailed(
                path: path, detail: "option '\(name)' is not an option of this input's format or protocol")
        }
        ctx = c!
        self.io = io
        self.watch = watch
        watch?.pb = c!.pointee.pb
    }

    deinit {
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        ffmpeg.avformat_close_input(&c)
    }

    /// The container FFmpeg recognises in a file's first bytes (not its name), if it is sure
    /// enough; tells a damaged video from a file that is not media at all.
    static func probeByContent(_ file: String) -> String? {
        let fd = FileNames.open(file, O_RDONLY | O_NONBLOCK)
        if fd < 0 { return nil }
        defer { close(fd) }
        let size = 1 << 16
        var buf = [UInt8](repeating: 0, count: size + Int(AVPROBE_PADDING_SIZE))
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, size) }
        if n <= 0 { return nil }
        var score: Int32 = 0
        let format: UnsafePointer<AVInputFormat>? = buf.withUnsafeMutableBufferPointer { b in
            "".withCString { name in
                var pd = AVProbeData(filename: name, buf: b.baseAddress, buf_size: Int32(n), mime_type: nil)
                return ffmpeg.av_probe_input_format3(&pd, 1, &score)
            }
        }
        guard let format, score > AVPROBE_SCORE_MAX / 4 else { return nil }
        return String(cString: format.pointee.name).split(separator: ",").first.map(String.init)
    }
}

/// A decoder (AVCodecContext) for one stream.
final class CodecContext {
    let ctx: UnsafeMutablePointer<AVCodecContext>

    /// `lowDelay`: a live input; frames leave the decoder as soon as they are complete (slice
    /// threads instead of frame threads, which hold back one frame per thread).
    init(codec: UnsafePointer<AVCodec>, parameters: UnsafePointer<AVCodecParameters>, path: String,
         lowDelay: Bool = false, threads: Int = 0) throws {
        guard let c = ffmpeg.avcodec_alloc_context3(codec) else {
            throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory")
        }
        ctx = c
        var r = ffmpeg.avcodec_parameters_to_context(c, parameters)
        if r < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "bad codec parameters: \(avErrorText(r))") }
        c.pointee.thread_count = Int32(clamping: threads)   // 0: as many threads as cores, like the ffmpeg CLI
        if lowDelay { c.pointee.thread_type = FF_THREAD_SLICE }
        r = ffmpeg.avcodec_open2(c, codec, nil)
        if r < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open decoder: \(avErrorText(r))") }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = ctx
        ffmpeg.avcodec_free_context(&c)
    }
}

final class Packet {
    let ptr: UnsafeMutablePointer<AVPacket>
    init(path: String) throws {
        guard let p = ffmpeg.av_packet_alloc() else { throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory") }
        ptr = p
    }
    deinit { var p: UnsafeMutablePointer<AVPacket>? = ptr; ffmpeg.av_packet_free(&p) }
}

final class Frame {
    let ptr: UnsafeMutablePointer<AVFrame>
    init(path: String) throws {
        guard let f = ffmpeg.av_frame_alloc() else { throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory") }
        ptr = f
    }
    deinit { var f: UnsafeMutablePointer<AVFrame>? = ptr; ffmpeg.av_frame_free(&f) }
}

/// A libswscale context converting one frame geometry and pixel format to RGB24 at the same size.
final class Scaler {
    let ctx: OpaquePointer
    let width: Int32, height: Int32, format: Int32
    private var colour: (range: UInt32, space: UInt32)?

    init(width: Int32, height: Int32, format: Int32, path: String) throws {
        // Bicubic: the flags the ffmpeg CLI's automatic scale filter uses.
        guard let c = ffmpeg.sws_getContext(width, height, AVPixelFormat(format), width, height, AV_PIX_FMT_RGB24,
                                     SWS_BICUBIC, nil, nil, nil) else {
            let name = ffmpeg.av_get_pix_fmt_name(AVPixelFormat(format)).map { String(cString: $0) } ?? "\(format)"
            throw VideoDecodingError.decodeFailed(path: path, detail: "cannot convert pixel format \(name) to RGB")
        }
        ctx = c
        self.width = width
        self.height = height
        self.format = format
    }

    deinit {
        ffmpeg.sws_freeContext(ctx)
        ffmpeg.av_free(scratch)
    }

    /// swscale's SIMD paths convert whole blocks of 8 pixels, past the end of an RGB24 row, and
    /// skip the last block when the row stride has no room for it (leaving those pixels unset).
    /// So it writes into this buffer, whose rows are padded as av_frame_get_buffer pads them
    /// (width rounded up to 64 pixels), and the rows are copied out packed.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchStride = 0

    /// Converts `frame` into `rgb` ((height, width, 3), already sized).
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, into rgb: inout [UInt8]) -> Bool {
        let c = (frame.pointee.color_range.rawValue, frame.pointee.colorspace.rawValue)
        if colour == nil || colour! != c {
            useColourspace(of: frame.pointee)
            colour = c
        }
        let row = Int(width) * 3
        if scratch == nil {
            scratchStride = ((Int(width) + 63) & ~63) * 3
            scratch = ffmpeg.av_malloc(scratchStride * (Int(height) + 2) + 64)
            if scratch == nil { return false }
        }
        if toRGB24(frame.pointee, scratch!.assumingMemoryBound(to: UInt8.self), stride: Int32(scratchStride)) != height {
            return false
        }
        rgb.withUnsafeMutableBytes { out in
            for y in 0..<Int(height) {
                (out.baseAddress! + y * row).copyMemory(from: scratch! + y * scratchStride, byteCount: row)
            }
        }
        return true
    }
}

extension Scaler {
    /// Gives the context the colour matrix and range `f` declares, as FFmpeg's `scale` filter does
    /// by default (`in_color_matrix=auto`, `in_range=auto`). Called again when either changes.
    private func useColourspace(of f: AVFrame) {
        let fullRange = [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P,
                         AV_PIX_FMT_YUVJ411P].contains(AVPixelFormat(f.format))
        let sourceRange: Int32 = f.color_range == AVCOL_RANGE_JPEG || fullRange ? 1 : 0
        let space = f.colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : Int32(f.colorspace.rawValue)
        let coefficients = ffmpeg.sws_getCoefficients(space)
        var inverse: UnsafeMutablePointer<Int32>?, table: UnsafeMutablePointer<Int32>?
        var range: Int32 = 0, destinationRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0,
            saturation: Int32 = 0
        if ffmpeg.sws_getColorspaceDetails(ctx, &inverse, &range, &table, &destinationRange, &brightness, &contrast,
                                           &saturation) < 0 { return }
        _ = ffmpeg.sws_setColorspaceDetails(ctx, coefficients, sourceRange, table, destinationRange, brightness,
                                            contrast, saturation)
    }

    /// Converts one decoded frame to packed RGB24 at `destination` (rows `stride` bytes apart);
    /// the number of rows written. swscale reads four planes.
    private func toRGB24(_ f: AVFrame, _ destination: UnsafeMutablePointer<UInt8>, stride: Int32) -> Int32 {
        let planes: [UnsafePointer<UInt8>?] = [f.data.0, f.data.1, f.data.2, f.data.3].map { $0.map { UnsafePointer($0) } }
        let strides = [f.linesize.0, f.linesize.1, f.linesize.2, f.linesize.3]
        let outPlanes: [UnsafeMutablePointer<UInt8>?] = [destination, nil, nil, nil]
        let outStrides: [Int32] = [stride, 0, 0, 0]
        return ffmpeg.sws_scale(ctx, planes, strides, 0, f.height, outPlanes, outStrides)
    }
}

/// An AVIOContext reading a FileInput (standard input, a FIFO), its sniffed prefix first.
final class CustomIO {
    private(set) var ctx: UnsafeMutablePointer<AVIOContext>
    private let input: FileInput   // called back through the opaque pointer

    init(_ input: FileInput, path: String) throws {
        let size: Int32 = 1 << 16
        guard let buffer = ffmpeg.av_malloc(Int(size)) else {
            throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory")
        }
        let read: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
            opaque, buf, size in
            guard let opaque, let buf else { return movinet_averror(EINVAL) }
            let n = Unmanaged<FileInput>.fromOpaque(opaque).takeUnretainedValue().read(into: buf, count: Int(size))
            if n == 0 { return movinet_averror_eof() }
            if n < 0 { return movinet_averror(EIO) }
            return Int32(n)
        }
        guard let c = ffmpeg.avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), size, 0,
                                         Unmanaged.passUnretained(input).toOpaque(), read, nil, nil) else {
            ffmpeg.av_free(buffer)
            throw VideoDecodingError.decodeFailed(path: path, detail: "out of memory")
        }
        ctx = c
        self.input = input
    }

    deinit {
        // The context's buffer may have been replaced by FFmpeg; free whichever it holds now.
        ffmpeg.av_freep(&ctx.pointee.buffer)
        var c: UnsafeMutablePointer<AVIOContext>? = ctx
        ffmpeg.avio_context_free(&c)
    }
}
