// Typed decoder errors; each names the file it is about and reads as one line.

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
    /// A video (not a GIF) and FFmpeg's libraries cannot be loaded; `reason` is the loader's message.
    case ffmpegUnavailable(path: String, reason: String)

    public var path: String {
        switch self {
        case .notFound(let p), .isDirectory(let p), .permissionDenied(let p), .empty(let p), .notMedia(let p),
             .noVideoStream(let p), .noFrames(let p): return p
        case .tooLarge(let p, _), .decodeFailed(let p, _), .ffmpegUnavailable(let p, _): return p
        }
    }

    /// The problem without the path, for callers that print the path themselves.
    public var problem: String {
        switch self {
        case .notFound: return "no such file"
        case .isDirectory: return "is a directory"
        case .permissionDenied: return "permission denied"
        case .empty: return "empty file"
        case .notMedia: return "not a video or GIF file"
        case .noVideoStream: return "no video stream"
        case .noFrames: return "no decodable frames"
        case .tooLarge(_, let d), .decodeFailed(_, let d): return d
        case .ffmpegUnavailable(_, let reason): return "cannot decode video: FFmpeg is not available (\(reason))"
        }
    }

    public var description: String { "\(path): \(problem)" }
}
