// FACADE — the public API the CLI codes against; the decoder work replaces these bodies (issue 2).
// Signatures here are the contract: implementations may add API but must keep these.

import CFFmpeg
import CGIFLib

public enum VideoDecodingInfo {
    public static var ffmpegVersion: String { String(cString: av_version_info()) }
    public static var giflibVersion: String { "\(GIFLIB_MAJOR).\(GIFLIB_MINOR).\(GIFLIB_RELEASE)" }
}

/// What a source is, as far as the container says before decoding.
public struct VideoInfo: Sendable {
    public var path: String
    public var container: String          // "gif", "mov,mp4,m4a,3gp,3g2,mj2", …
    public var codec: String              // "gif", "h264", …
    public var width: Int
    public var height: Int
    public var frameRate: Double?         // nominal frames per second, if known
    public var duration: Double?          // seconds, if known
    public var frameCountHint: Int?       // frames the container announces, if known
}

/// One decoded frame: packed RGB24, row-major (height, width, 3), before any resizing.
public struct VideoFrame: Sendable {
    public var index: Int                 // 0-based index among all decoded frames
    public var timestamp: Double          // seconds from the start of the stream
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]               // (height, width, 3)
}

/// A decoded video, yielded one frame at a time. Opens by content: GIF magic → giflib,
/// anything else → FFmpeg (files, `http(s)://` and `file:` URLs, `-` for standard input).
public final class VideoSource {
    public let info: VideoInfo
    /// Non-fatal problems met so far (e.g. "truncated after frame 7"), each one line.
    public private(set) var warnings: [String] = []

    public init(path: String) throws {
        throw VideoDecodingError.notMedia(path: path)
    }

    /// The next decoded frame, or nil at the end.
    public func nextFrame() throws -> VideoFrame? { nil }
}

/// Keeps frames at a target rate by their timestamps (0 keeps every frame). For constant-rate
/// input it picks the same frames as FFmpeg's `fps` filter with its default rounding.
public struct FrameSampler: Sendable {
    public let fps: Double
    public init(fps: Double) { self.fps = fps }
    /// How many copies of this frame the sampled sequence contains (0 = drop it).
    public mutating func take(timestamp: Double) -> Int { 1 }
    /// Frames still owed at the end of the stream (the last frame repeated), given its timestamp.
    public mutating func finish(lastTimestamp: Double?) -> Int { 0 }
}

/// Model-input preprocessing in one place: bilinear resize identical to `tf.image.resize`
/// (half-pixel centres, no antialias), optional centre crop, values / 255.
public enum Preprocess {
    /// Resizes packed RGB24 (height, width, 3) to (size, size, 3) floats in [0, 1].
    /// With `centerCrop` the largest centred square is cut first (aspect ratio kept).
    public static func modelInput(rgb: [UInt8], width: Int, height: Int, size: Int,
                                  centerCrop: Bool = false) -> [Float] {
        [Float](repeating: 0, count: size * size * 3)
    }
}

public enum VideoDecodingError: Error, Sendable, CustomStringConvertible {
    case notFound(path: String)
    case isDirectory(path: String)
    case permissionDenied(path: String)
    case empty(path: String)
    case notMedia(path: String)
    case noVideoStream(path: String)
    case noFrames(path: String)
    case tooLarge(path: String, detail: String)
    case decodeFailed(path: String, detail: String)

    public var path: String {
        switch self {
        case .notFound(let p), .isDirectory(let p), .permissionDenied(let p), .empty(let p), .notMedia(let p),
             .noVideoStream(let p), .noFrames(let p): return p
        case .tooLarge(let p, _), .decodeFailed(let p, _): return p
        }
    }

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such file"
        case .isDirectory(let p): return "\(p): is a directory"
        case .permissionDenied(let p): return "\(p): permission denied"
        case .empty(let p): return "\(p): empty file"
        case .notMedia(let p): return "\(p): not a video or GIF file"
        case .noVideoStream(let p): return "\(p): no video stream"
        case .noFrames(let p): return "\(p): no decodable frames"
        case .tooLarge(let p, let d): return "\(p): \(d)"
        case .decodeFailed(let p, let d): return "\(p): \(d)"
        }
    }
}
