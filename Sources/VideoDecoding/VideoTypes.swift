// The values the decoder hands out: what a source is (VideoInfo) and one decoded frame (VideoFrame).

import CFFmpeg
import CGIFLib

public enum VideoDecodingInfo {
    /// FFmpeg's version (`av_version_info`, e.g. "5.1.6-0+deb12u1"), nil when its libraries cannot
    /// be loaded; asking loads them.
    public static var ffmpegVersion: String? {
        guard case .success(let library) = FFmpegLibrary.shared else { return nil }
        return library.av_version_info().map { String(cString: $0) }
    }
    public static var giflibVersion: String { "\(GIFLIB_MAJOR).\(GIFLIB_MINOR).\(GIFLIB_RELEASE)" }
}

/// What a source is, as far as the container says before decoding.
public struct VideoInfo: Sendable {
    public var path: String
    public var container: String          // "gif", "mov,mp4,m4a,3gp,3g2,mj2", …
    public var codec: String              // "gif", "h264", …
    /// Size of the frames handed out (after ``orientation``; 0 until known for some streams).
    public var width: Int
    public var height: Int
    public var frameRate: Double?         // nominal frames per second, if known
    public var duration: Double?          // seconds, if known
    public var frameCountHint: Int?       // frames the container announces, if known
    /// The stream's display matrix as ffprobe prints it (`rotation`: degrees counter-clockwise,
    /// e.g. -90 for a phone video stored sideways); nil when the stream has none.
    public var rotation: Double? = nil
    /// The turn applied to every frame (``DecodingOptions/autorotate``), `.upright` when none.
    public var orientation: Orientation = .upright
}

/// How a source is read beyond its own bytes: whether frames are turned upright, and which span
/// of time is decoded.
public struct DecodingOptions: Sendable, Equatable {
    /// Apply the stream's display matrix (90°/180°/270° turns and mirrorings) as FFmpeg and video
    /// players do, so that a phone video stored sideways is seen upright.
    public var autorotate: Bool
    /// Seconds from the start of the video where decoding starts (FFmpeg seeks to the key frame
    /// before it and drops the frames before `start`).
    public var start: Double
    /// Seconds decoded from `start`; nil: to the end.
    public var duration: Double?
    /// The FFmpeg demuxer or capture device to read the input with (`ffmpeg -f`: `v4l2`, `lavfi`,
    /// `mpegts`, …); nil: recognised by content. With a format the input is handed to FFmpeg as it
    /// is (a device path, a `lavfi` graph, a URL), except `pipe:` and `pipe:N`.
    public var inputFormat: String?
    /// Options of the demuxer and protocol, as `ffmpeg` takes them before `-i`
    /// (`rtsp_transport=tcp`, `video_size=640x480`, `listen=1`, …). They override the low-latency
    /// probing options of live inputs (`probesize`, `analyzeduration`, `fpsprobesize`). An option
    /// the input does not use is an error.
    public var inputOptions: [String: String]
    /// Seconds without data after which a live input ends with an error; nil: 10 s for network
    /// streams and none for pipes; 0: wait for ever.
    public var stallTimeout: Double?
    /// Threads of the video decoder (FFmpeg's `threads`); 0: as many as cores, like the ffmpeg
    /// CLI. Inputs decoded side by side (`--jobs`) do better with their share of the cores.
    public var decoderThreads: Int

    /// The defaults: frames turned upright, the whole video, the format recognised by content.
    public init(autorotate: Bool = true, start: Double = 0, duration: Double? = nil, inputFormat: String? = nil,
                inputOptions: [String: String] = [:], stallTimeout: Double? = nil, decoderThreads: Int = 0) {
        self.decoderThreads = max(0, decoderThreads)
        self.autorotate = autorotate
        self.start = start
        self.duration = duration
        self.inputFormat = inputFormat
        self.inputOptions = inputOptions
        self.stallTimeout = stallTimeout
    }

    /// Where the span ends, in seconds from the start of the video (infinity without a duration).
    public var end: Double { duration.map { start + $0 } ?? .infinity }
}

/// One decoded frame: packed RGB24, row-major (height, width, 3), before any resizing.
public struct VideoFrame: Sendable {
    public var index: Int                 // 0-based index among all decoded frames
    public var timestamp: Double          // seconds from the start of the stream
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]               // (height, width, 3)
    /// How long the frame is shown, in seconds, when the source says so (GIF delay, packet
    /// duration); the sampler uses the last frame's to place the end of the stream.
    public var duration: Double?

    public init(index: Int, timestamp: Double, width: Int, height: Int, rgb: [UInt8], duration: Double? = nil) {
        self.index = index
        self.timestamp = timestamp
        self.width = width
        self.height = height
        self.rgb = rgb
        self.duration = duration
    }
}

/// Bounds on what the decoder agrees to allocate; an input beyond them is rejected with `tooLarge`.
public enum DecodingLimits {
    /// Largest width or height accepted, in pixels.
    public static let maxSide = 16384
    /// Largest frame area accepted, in pixels (8K UHD is 33 Mpx): one RGB24 frame stays under 200 MB.
    public static let maxArea = 1 << 26
    /// Most frames decoded from one source (a day of 60 fps video is 5.2 M).
    public static let maxFrames = 10_000_000

    static func checkSize(width: Int, height: Int, path: String) throws {
        if width <= 0 || height <= 0 {
            throw VideoDecodingError.decodeFailed(path: path, detail: "invalid frame size \(width)×\(height)")
        }
        if width > maxSide || height > maxSide {
            throw VideoDecodingError.tooLarge(
                path: path, detail: "frame size \(width)×\(height) exceeds \(maxSide) px a side")
        }
        if width * height > maxArea {
            throw VideoDecodingError.tooLarge(
                path: path, detail: "frame size \(width)×\(height) exceeds \(maxArea) pixels")
        }
    }
}
