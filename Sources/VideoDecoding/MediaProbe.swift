// Whether a regular file is a video by its content, as FFmpeg's probe decides it
// (av_probe_input_format3 over a growing prefix, with a score threshold), for folder scans.

import CFFmpeg

/// Content sniffing for folder scans: every container and raw stream FFmpeg's probe recognises
/// (MP4/MOV, Matroska/WebM, AVI, MPEG-TS/M2TS, MXF, Y4M, DV, raw H.264/HEVC, IVF, APNG, GIF, PNG,
/// JPEG, …) that holds a video stream. Only regular files are read — the caller stats first — so a
/// FIFO or device in a folder is never opened.
public enum MediaProbe {
    /// The verdict on one file.
    public enum Verdict: Sendable, Equatable {
        /// A video (or image) FFmpeg or giflib opens; `format` is FFmpeg's demuxer name.
        case video(format: String)
        /// Not something to classify; `reason` says why in a few words.
        case notVideo(reason: String)
    }

    /// The probe score a format must exceed, as FFmpeg requires before its last probing round
    /// (`AVPROBE_SCORE_RETRY`, a quarter of the maximum): a guess from a few weak signals is not
    /// enough to pick a file out of a folder.
    public static let scoreThreshold = Int32(AVPROBE_SCORE_MAX / 4)
    /// The prefixes probed, in bytes. FFmpeg's own probing starts at 2 KB and doubles up to 1 MB;
    /// a scan does three rounds up to 256 KB, because a file that is not media (the costly case:
    /// every demuxer's probe reads the whole prefix) then costs three probes, not ten — about
    /// 20 ms for a 200 KB file of noise instead of 45. Every format in MediaProbeTests is
    /// recognised in the first round.
    static let probeSizes = [2048, 32768, 262_144]

    /// Probes the regular file at `path` (a lossless name, see ``FileNames``).
    public static func probe(_ path: String) -> Verdict {
        // O_NONBLOCK: should the file have been replaced by a FIFO since the caller's stat, opening
        // it must not wait for a writer.
        let fd = FileNames.open(path, O_RDONLY | O_NONBLOCK)
        if fd < 0 { return .notVideo(reason: "cannot be read (\(errnoText()))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG { return .notVideo(reason: "not a regular file") }
        if st.st_size == 0 { return .notVideo(reason: "empty") }
        var buffer = [UInt8]()
        if case .failure(let error) = FFmpegLibrary.shared {
            // giflib still decodes GIFs, which are known by their magic.
            if !readMore(fd, into: &buffer, upTo: 6) { return .notVideo(reason: "cannot be read (\(errnoText()))") }
            if VideoSource.isGIF(buffer) { return .video(format: "gif") }
            return .notVideo(reason: "FFmpeg is not available (\(error.reason))")
        }
        ffmpeg.av_log_set_level(AV_LOG_QUIET)
        for want in probeSizes {
            if !readMore(fd, into: &buffer, upTo: want) { return .notVideo(reason: "cannot be read (\(errnoText()))") }
            if let format = probeBuffer(buffer) { return hasVideo(path, format: format) }
            if buffer.count < want { break }   // the whole file was probed
        }
        return .notVideo(reason: "not a video")
    }

    /// Reads until `buffer` holds `count` bytes or the file ends; false on a read error.
    private static func readMore(_ fd: Int32, into buffer: inout [UInt8], upTo count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while buffer.count < count {
            let n = chunk.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, min($0.count, count - buffer.count)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return false }
            if n == 0 { return true }
            buffer.append(contentsOf: chunk[..<n])
        }
        return true
    }

    /// The input format FFmpeg recognises in `bytes` with a score above the threshold (by content
    /// only: no file name is given, so no extension is trusted).
    static func probeBuffer(_ bytes: [UInt8]) -> UnsafePointer<AVInputFormat>? {
        var padded = bytes
        padded.append(contentsOf: [UInt8](repeating: 0, count: Int(AVPROBE_PADDING_SIZE)))
        var score: Int32 = 0
        let format: UnsafePointer<AVInputFormat>? = padded.withUnsafeMutableBufferPointer { b in
            "".withCString { name in
                var pd = AVProbeData(filename: name, buf: b.baseAddress, buf_size: Int32(bytes.count), mime_type: nil)
                return ffmpeg.av_probe_input_format3(&pd, 1, &score)
            }
        }
        guard let format, score > scoreThreshold else { return nil }
        return format
    }

    /// Opens the file with the probed format and looks at its streams: audio-only files, subtitles
    /// and a song's cover picture are not videos. A format whose streams appear only while reading
    /// (MPEG-TS, raw streams) counts as video when it shows no stream yet.
    private static func hasVideo(_ path: String, format: UnsafePointer<AVInputFormat>) -> Verdict {
        let name = String(cString: format.pointee.name)
        if name == "gif" { return .video(format: name) }
        var ctx: UnsafeMutablePointer<AVFormatContext>? = ffmpeg.avformat_alloc_context()
        guard ctx != nil else { return .notVideo(reason: "out of memory") }
        let r = FileNames.withCPath("file:" + path) { ffmpeg.avformat_open_input(&ctx, $0, format, nil) }
        guard r >= 0, let c = ctx else { return .notVideo(reason: "damaged \(name) file (\(avErrorText(r)))") }
        defer { var p: UnsafeMutablePointer<AVFormatContext>? = c; ffmpeg.avformat_close_input(&p) }
        var kinds = Set<String>()
        for i in 0..<Int(c.pointee.nb_streams) {
            guard let s = c.pointee.streams[i] else { continue }
            let type = s.pointee.codecpar.pointee.codec_type
            if type == AVMEDIA_TYPE_VIDEO && (s.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) == 0 {
                return .video(format: name)
            }
            kinds.insert(type == AVMEDIA_TYPE_AUDIO ? "audio" : type == AVMEDIA_TYPE_SUBTITLE ? "subtitles"
                         : type == AVMEDIA_TYPE_VIDEO ? "a cover picture" : "data")
        }
        if kinds.isEmpty || (c.pointee.ctx_flags & Int32(AVFMTCTX_NOHEADER)) != 0 && !kinds.contains("audio") {
            return .video(format: name)
        }
        return .notVideo(reason: "no video stream (\(kinds.sorted().joined(separator: ", ")) only)")
    }
}
