// The model-input frames of one input: decoded, sampled to the target rate and preprocessed
// (videos and GIFs), or read as given (.npy arrays).

import Foundation
import VideoDecoding

/// One sampled frame ready for the model.
public struct SampledFrame {
    /// 0-based index among the input's sampled frames.
    public var index: Int
    /// Seconds from the start of the input.
    public var timestamp: Double
    /// (size, size, 3) RGB values in [0, 1], row-major.
    public var pixels: [Float]

    /// A frame of `pixels` at `timestamp`.
    public init(index: Int, timestamp: Double, pixels: [Float]) {
        self.index = index
        self.timestamp = timestamp
        self.pixels = pixels
    }
}

/// The model-input frames of one input, one at a time.
public protocol FrameStream: AnyObject {
    /// The next sampled, preprocessed frame, or nil at the end.
    func next() throws -> SampledFrame?
    /// Non-fatal problems seen so far.
    var warnings: [String] { get }
    /// The side of the square frames in pixels.
    var frameSize: Int { get }
}

/// Frame streams for inputs: `.npy` files are recognised by content, everything else is decoded.
public enum FrameStreams {
    /// Opens `input` (a file, URL, `-`, FIFO or `.npy` array) for a model of `size`×`size` pixels,
    /// sampled at `fps` (0: every frame); `decoding` turns and trims videos.
    public static func open(_ input: String, size: Int, fps: Double, centerCrop: Bool,
                            decoding: DecodingOptions = DecodingOptions()) throws -> FrameStream {
        if !MediaFiles.isURL(input), isNpy(input) { return try NpyFrames(path: input, size: size, fps: fps) }
        return try VideoFrames(path: input, size: size, fps: fps, centerCrop: centerCrop, decoding: decoding)
    }

    /// Whether `path` is a regular file starting with the `.npy` magic. Anything else (a FIFO
    /// above all: its bytes, once read, would be gone) is left to the decoder.
    static func isNpy(_ path: String) -> Bool {
        guard FileStatus.of(path)?.kind == .regular else { return false }
        return NpyReader.hasMagic(prefix: FileNames.prefix(of: path, count: 6))
    }
}

/// Decoder → sampler (`SampledFrames`, FFmpeg `fps` filter semantics) → preprocessing.
/// Timestamps are the sampling grid's (start + k / fps), or the decoded frame's own with `fps` 0:
/// seconds from the start of the video either way.
public final class VideoFrames: FrameStream {
    private let frames: SampledVideo
    public let frameSize: Int
    private let fps: Double
    private let centerCrop: Bool
    private let start: Double
    private var emitted = 0
    /// The last preprocessed frame, reused while the sampler repeats it.
    private var cached: (index: Int, pixels: [Float])?

    /// Opens a video or GIF (file, URL, `-` or FIFO) for `size`×`size` model frames sampled at
    /// `fps`; `decoding` turns frames upright and picks the span.
    public convenience init(path: String, size: Int, fps: Double, centerCrop: Bool,
                decoding: DecodingOptions = DecodingOptions()) throws {
        self.init(try SampledFrames(path: path, fps: fps, options: decoding), size: size, fps: fps,
                  centerCrop: centerCrop, start: decoding.start)
    }

    /// The same over frames already sampled at `fps` from `start` (EarlyFrames.swift).
    init(_ frames: SampledVideo, size: Int, fps: Double, centerCrop: Bool, start: Double) {
        self.frames = frames
        frameSize = size
        self.fps = fps
        self.centerCrop = centerCrop
        self.start = start
    }

    /// What the decoder says about the video (container, codec, size, rotation).
    public var info: VideoInfo { frames.info }

    public var warnings: [String] { frames.warnings }

    public func next() throws -> SampledFrame? {
        guard let frame = try frames.next() else { return nil }
        let pixels: [Float]
        if let cached, cached.index == frame.index {
            pixels = cached.pixels
        } else {
            pixels = Preprocess.modelInput(rgb: frame.rgb, width: frame.width, height: frame.height,
                                           size: frameSize, centerCrop: centerCrop)
            cached = (frame.index, pixels)
        }
        defer { emitted += 1 }
        let timestamp = fps > 0 ? start + Double(emitted) / fps : frame.timestamp
        return SampledFrame(index: emitted, timestamp: timestamp, pixels: pixels)
    }
}

/// Decoded frames at the video's own size, sampled: a ``SampledFrames`` or an ``EarlyFrames`` read.
protocol SampledVideo: AnyObject {
    func next() throws -> VideoFrame?
    var info: VideoInfo { get }
    var warnings: [String] { get }
}

extension SampledFrames: SampledVideo {
    var info: VideoInfo { source.info }
    var warnings: [String] { source.warnings }
}

/// A `.npy` array taken as already sampled: frame k is at k / fps seconds (k / 5 with fps 0).
/// Frames at the model size are fed as given; uint8 frames of another size are resized.
public final class NpyFrames: FrameStream {
    private let reader: NpyReader
    public let frameSize: Int
    private let rate: Double
    private var emitted = 0

    /// Opens a `.npy` array for `size`×`size` model frames, frame k at k / `fps` seconds.
    public init(path: String, size: Int, fps: Double) throws {
        reader = try NpyReader(path: path)
        frameSize = size
        rate = fps > 0 ? fps : 5
        if (reader.height != size || reader.width != size) && reader.dtype == .float32 {
            throw NpyError(path: path, problem:
                "float32 frames are \(reader.width)x\(reader.height) but the model takes \(size)x\(size) (give uint8 frames to have them resized)")
        }
    }

    public var warnings: [String] { [] }

    public func next() throws -> SampledFrame? {
        let pixels: [Float]
        if reader.height == frameSize && reader.width == frameSize {
            guard let f = try reader.nextFrame() else { return nil }
            pixels = f
        } else {
            guard let bytes = try reader.nextFrameBytes() else { return nil }
            pixels = Preprocess.modelInput(rgb: bytes, width: reader.width, height: reader.height, size: frameSize)
        }
        defer { emitted += 1 }
        return SampledFrame(index: emitted, timestamp: Double(emitted) / rate, pixels: pixels)
    }
}
