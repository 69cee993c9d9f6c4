// FFmpeg opened at run time, on first use (dlopen/dlsym), instead of linked: its four libraries
// pull in ~140 shared objects, and loading them cost every run ~43 ms, GIFs and `--version` too.

import CFFmpeg

/// Why FFmpeg could not be loaded, in the dynamic loader's words
/// (`libavformat.so.59: cannot open shared object file: No such file or directory`).
struct FFmpegUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// The FFmpeg functions VideoDecoding calls, resolved once from the libraries. Call sites read
/// `ffmpeg.avformat_open_input(…)`: the C headers (CFFmpeg) give the types, structs and constants,
/// this table the code. CFFmpeg links nothing, so a direct call into FFmpeg fails to link.
final class FFmpegLibrary: Sendable {
    // libavutil
    let av_malloc: @convention(c) (Int) -> UnsafeMutableRawPointer?
    let av_free: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let av_freep: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let av_log_set_level: @convention(c) (Int32) -> Void
    // av_log_set_callback and av_log_default_callback, cast to their types where they are used
    // (OpenLog): stored with their va_list function types, they crash Swift 6.3 when a test
    // module deserialises this class.
    typealias UntypedFunction = @convention(c) () -> Void
    let av_log_set_callback: UntypedFunction
    let av_log_default_callback: UntypedFunction
    let av_strerror: @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
    let av_version_info: @convention(c) () -> UnsafePointer<CChar>?
    let av_rescale_q: @convention(c) (Int64, AVRational, AVRational) -> Int64
    let av_display_rotation_get: @convention(c) (UnsafePointer<Int32>?) -> Double
    let av_pix_fmt_desc_get: @convention(c) (AVPixelFormat) -> UnsafePointer<AVPixFmtDescriptor>?
    let av_get_pix_fmt_name: @convention(c) (AVPixelFormat) -> UnsafePointer<CChar>?
    let av_image_fill_max_pixsteps: @convention(c) (
        UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafePointer<AVPixFmtDescriptor>?) -> Void
    let av_frame_alloc: @convention(c) () -> UnsafeMutablePointer<AVFrame>?
    let av_frame_free: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVFrame>?>?) -> Void
    let av_frame_unref: @convention(c) (UnsafeMutablePointer<AVFrame>?) -> Void
    let av_frame_move_ref: @convention(c) (UnsafeMutablePointer<AVFrame>?, UnsafeMutablePointer<AVFrame>?) -> Void
    let av_frame_get_buffer: @convention(c) (UnsafeMutablePointer<AVFrame>?, Int32) -> Int32
    let av_frame_copy_props: @convention(c) (UnsafeMutablePointer<AVFrame>?, UnsafePointer<AVFrame>?) -> Int32
    let av_dict_set: @convention(c) (
        UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32) -> Int32
    let av_dict_get: @convention(c) (
        OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<AVDictionaryEntry>?, Int32
    ) -> UnsafeMutablePointer<AVDictionaryEntry>?
    let av_dict_free: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Void

    // libavcodec
    let avcodec_alloc_context3: @convention(c) (UnsafePointer<AVCodec>?) -> UnsafeMutablePointer<AVCodecContext>?
    let avcodec_free_context: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVCodecContext>?>?) -> Void
    let avcodec_parameters_to_context: @convention(c) (
        UnsafeMutablePointer<AVCodecContext>?, UnsafePointer<AVCodecParameters>?) -> Int32
    let avcodec_open2: @convention(c) (
        UnsafeMutablePointer<AVCodecContext>?, UnsafePointer<AVCodec>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let avcodec_send_packet: @convention(c) (UnsafeMutablePointer<AVCodecContext>?, UnsafePointer<AVPacket>?) -> Int32
    let avcodec_receive_frame: @convention(c) (UnsafeMutablePointer<AVCodecContext>?, UnsafeMutablePointer<AVFrame>?) -> Int32
    let avcodec_get_name: @convention(c) (AVCodecID) -> UnsafePointer<CChar>?
    let av_packet_alloc: @convention(c) () -> UnsafeMutablePointer<AVPacket>?
    let av_packet_free: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVPacket>?>?) -> Void
    let av_packet_unref: @convention(c) (UnsafeMutablePointer<AVPacket>?) -> Void

    // libavformat
    let avformat_alloc_context: @convention(c) () -> UnsafeMutablePointer<AVFormatContext>?
    let avformat_open_input: @convention(c) (
        UnsafeMutablePointer<UnsafeMutablePointer<AVFormatContext>?>?, UnsafePointer<CChar>?,
        UnsafePointer<AVInputFormat>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let avformat_close_input: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVFormatContext>?>?) -> Void
    let avformat_find_stream_info: @convention(c) (
        UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let av_find_best_stream: @convention(c) (
        UnsafeMutablePointer<AVFormatContext>?, AVMediaType, Int32, Int32,
        UnsafeMutablePointer<UnsafePointer<AVCodec>?>?, Int32) -> Int32
    let avformat_seek_file: @convention(c) (UnsafeMutablePointer<AVFormatContext>?, Int32, Int64, Int64, Int64, Int32) -> Int32
    let av_read_frame: @convention(c) (UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<AVPacket>?) -> Int32
    let av_probe_input_format3: @convention(c) (
        UnsafePointer<AVProbeData>?, Int32, UnsafeMutablePointer<Int32>?) -> UnsafePointer<AVInputFormat>?
    let av_find_input_format: @convention(c) (UnsafePointer<CChar>?) -> UnsafePointer<AVInputFormat>?
    let av_stream_get_side_data: @convention(c) (
        UnsafePointer<AVStream>?, AVPacketSideDataType, UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<UInt8>?
    let avio_open2: @convention(c) (
        UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?, UnsafePointer<CChar>?, Int32,
        UnsafePointer<AVIOInterruptCB>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let avio_closep: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?) -> Int32
    let avio_read: @convention(c) (UnsafeMutablePointer<AVIOContext>?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32
    let avio_size: @convention(c) (UnsafeMutablePointer<AVIOContext>?) -> Int64
    typealias ReadPacket = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32
    typealias Seek = @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64
    let avio_alloc_context: @convention(c) (
        UnsafeMutablePointer<UInt8>?, Int32, Int32, UnsafeMutableRawPointer?, ReadPacket?, ReadPacket?, Seek?
    ) -> UnsafeMutablePointer<AVIOContext>?
    let avio_context_free: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?) -> Void

    // libswscale (SwsContext is opaque)
    let sws_getContext: @convention(c) (
        Int32, Int32, AVPixelFormat, Int32, Int32, AVPixelFormat, Int32,
        UnsafeMutablePointer<SwsFilter>?, UnsafeMutablePointer<SwsFilter>?, UnsafePointer<Double>?) -> OpaquePointer?
    let sws_freeContext: @convention(c) (OpaquePointer?) -> Void
    let sws_scale: @convention(c) (
        OpaquePointer?, UnsafePointer<UnsafePointer<UInt8>?>?, UnsafePointer<Int32>?, Int32, Int32,
        UnsafePointer<UnsafeMutablePointer<UInt8>?>?, UnsafePointer<Int32>?) -> Int32
    let sws_getCoefficients: @convention(c) (Int32) -> UnsafePointer<Int32>?
    let sws_getColorspaceDetails: @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?, UnsafeMutablePointer<Int32>?,
        UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?, UnsafeMutablePointer<Int32>?,
        UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32
    let sws_setColorspaceDetails: @convention(c) (
        OpaquePointer?, UnsafePointer<Int32>?, Int32, UnsafePointer<Int32>?, Int32, Int32, Int32, Int32) -> Int32

    /// The libraries by soname: the major versions of the headers we were compiled against, since
    /// FFmpeg changes its ABI (struct layouts included) only with a major version.
    static var sonames: [String] {
        let libraries = [("avutil", LIBAVUTIL_VERSION_MAJOR), ("avcodec", LIBAVCODEC_VERSION_MAJOR),
                         ("avformat", LIBAVFORMAT_VERSION_MAJOR), ("swscale", LIBSWSCALE_VERSION_MAJOR)]
        #if os(macOS)
        return libraries.map { "lib\($0).\($1).dylib" }
        #else
        return libraries.map { "lib\($0).so.\($1)" }
        #endif
    }

    /// The process's copy, loaded on first use (a static let is initialised once, thread-safely).
    static let shared = Result { () throws(FFmpegUnavailable) in try FFmpegLibrary(sonames: sonames) }

    /// Loads FFmpeg for decoding `path`, or throws the one-line error that says it is missing.
    static func require(path: String) throws(VideoDecodingError) {
        if case .failure(let error) = shared {
            throw VideoDecodingError.ffmpegUnavailable(path: path, reason: error.reason)
        }
    }

    /// Opens `sonames` (kept open for the life of the process) and resolves every function.
    init(sonames: [String]) throws(FFmpegUnavailable) {
        var handles: [UnsafeMutableRawPointer] = []
        for name in sonames { handles.append(try Self.open(name)) }
        func resolve<Function>(_ name: String) throws(FFmpegUnavailable) -> Function {
            for handle in handles {
                if let symbol = dlsym(handle, name) { return unsafeBitCast(symbol, to: Function.self) }
            }
            throw FFmpegUnavailable(reason: "\(name) not found in \(sonames.joined(separator: ", "))")
        }
        av_malloc = try resolve("av_malloc")
        av_free = try resolve("av_free")
        av_freep = try resolve("av_freep")
        av_log_set_level = try resolve("av_log_set_level")
        av_log_set_callback = try resolve("av_log_set_callback")
        av_log_default_callback = try resolve("av_log_default_callback")
        av_strerror = try resolve("av_strerror")
        av_version_info = try resolve("av_version_info")
        av_rescale_q = try resolve("av_rescale_q")
        av_display_rotation_get = try resolve("av_display_rotation_get")
        av_pix_fmt_desc_get = try resolve("av_pix_fmt_desc_get")
        av_get_pix_fmt_name = try resolve("av_get_pix_fmt_name")
        av_image_fill_max_pixsteps = try resolve("av_image_fill_max_pixsteps")
        av_frame_alloc = try resolve("av_frame_alloc")
        av_frame_free = try resolve("av_frame_free")
        av_frame_unref = try resolve("av_frame_unref")
        av_frame_move_ref = try resolve("av_frame_move_ref")
        av_frame_get_buffer = try resolve("av_frame_get_buffer")
        av_frame_copy_props = try resolve("av_frame_copy_props")
        av_dict_set = try resolve("av_dict_set")
        av_dict_get = try resolve("av_dict_get")
        av_dict_free = try resolve("av_dict_free")
        avcodec_alloc_context3 = try resolve("avcodec_alloc_context3")
        avcodec_free_context = try resolve("avcodec_free_context")
        avcodec_parameters_to_context = try resolve("avcodec_parameters_to_context")
        avcodec_open2 = try resolve("avcodec_open2")
        avcodec_send_packet = try resolve("avcodec_send_packet")
        avcodec_receive_frame = try resolve("avcodec_receive_frame")
        avcodec_get_name = try resolve("avcodec_get_name")
        av_packet_alloc = try resolve("av_packet_alloc")
        av_packet_free = try resolve("av_packet_free")
        av_packet_unref = try resolve("av_packet_unref")
        avformat_alloc_context = try resolve("avformat_alloc_context")
        avformat_open_input = try resolve("avformat_open_input")
        avformat_close_input = try resolve("avformat_close_input")
        avformat_find_stream_info = try resolve("avformat_find_stream_info")
        av_find_best_stream = try resolve("av_find_best_stream")
        avformat_seek_file = try resolve("avformat_seek_file")
        av_read_frame = try resolve("av_read_frame")
        av_probe_input_format3 = try resolve("av_probe_input_format3")
        av_find_input_format = try resolve("av_find_input_format")
        av_stream_get_side_data = try resolve("av_stream_get_side_data")
        avio_open2 = try resolve("avio_open2")
        avio_closep = try resolve("avio_closep")
        avio_read = try resolve("avio_read")
        avio_size = try resolve("avio_size")
        avio_alloc_context = try resolve("avio_alloc_context")
        avio_context_free = try resolve("avio_context_free")
        sws_getContext = try resolve("sws_getContext")
        sws_freeContext = try resolve("sws_freeContext")
        sws_scale = try resolve("sws_scale")
        sws_getCoefficients = try resolve("sws_getCoefficients")
        sws_getColorspaceDetails = try resolve("sws_getColorspaceDetails")
        sws_setColorspaceDetails = try resolve("sws_setColorspaceDetails")
    }

    /// dlopen by soname; on macOS also in Homebrew's library folders, which dyld does not search.
    /// The error is the loader's message for the soname itself.
    private static func open(_ name: String) throws(FFmpegUnavailable) -> UnsafeMutableRawPointer {
        if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return handle }
        let reason = dlerror().map { String(cString: $0) } ?? "\(name): cannot be opened"
        #if os(macOS)
        for folder in ["/opt/homebrew/lib/", "/usr/local/lib/"] {
            if let handle = dlopen(folder + name, RTLD_NOW | RTLD_LOCAL) { return handle }
        }
        #endif
        throw FFmpegUnavailable(reason: reason)
    }
}

/// FFmpeg's functions, for code that runs after ``FFmpegLibrary/require(path:)`` succeeded (the
/// decoders' initialisers call it first; internal helpers used by tests load it here on first use).
var ffmpeg: FFmpegLibrary {
    switch FFmpegLibrary.shared {
    case .success(let library): return library
    case .failure(let error): preconditionFailure("FFmpeg used without FFmpegLibrary.require: \(error)")
    }
}
