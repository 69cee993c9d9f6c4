// How a VideoClassifier samples, preprocesses, computes and ranks: one value shared by every input.

import MoViNet
import VideoDecoding

/// Options of a ``VideoClassifier``; the defaults are MoViNet's training conditions (5 fps, the
/// model's square size) and the CLI's defaults.
public struct ClassifierOptions: Sendable, Equatable {
    /// Frames per second sampled from each input, by timestamps (FFmpeg `fps` filter semantics);
    /// 0 keeps every decoded frame.
    public var fps: Double
    /// Side of the square model input in pixels; nil: the model's own (172 for A0/A1, 224 for A2).
    public var size: Int?
    /// Cut the largest centred square from each frame before resizing.
    public var centerCrop: Bool
    /// Threads used inside one frame; nil: every core.
    public var threads: Int?
    /// How many classes a result ranks.
    public var topK: Int
    /// Ranked classes below this probability are left out.
    public var threshold: Float
    /// Base models: frames per window; longer inputs are cut into windows whose probabilities are
    /// averaged, so memory stays bounded.
    public var window: Int
    /// Turn frames upright by the video's display matrix (phone videos stored sideways), as FFmpeg
    /// and players do.
    public var autorotate: Bool
    /// Seconds into each video where classification starts (seeking there first).
    public var start: Double
    /// Seconds classified from ``start``; nil: to the end.
    public var duration: Double?
    /// The FFmpeg demuxer or capture device inputs are read with (`v4l2`, `lavfi`, `mpegts`, …);
    /// nil: recognised by content. See `DecodingOptions.inputFormat`.
    public var inputFormat: String?
    /// Demuxer and protocol options (`rtsp_transport` → `tcp`, `video_size` → `640x480`, …).
    public var inputOptions: [String: String]
    /// Seconds without data after which a live input ends with an error; nil: 10 s for network
    /// streams, none for pipes; 0: wait for ever.
    public var stallTimeout: Double?
    /// Keep up with a live input: when frames arrive faster than the model runs, classify the
    /// newest sampled frame and skip the ones that waited (``FramePrediction/skipped`` counts
    /// them), instead of making the source wait. Off: every sampled frame is classified.
    public var realtime: Bool
    /// The arithmetic: `.auto` runs files with int8 activations in int8 (LiteRT's logits), others in float32.
    public var precision: Precision
    /// Threads of each input's video decoder; 0: as many as cores (see `DecodingOptions`).
    public var decoderThreads: Int

    /// Options with the given values; every default is the CLI's.
    public init(fps: Double = 5, size: Int? = nil, centerCrop: Bool = false, threads: Int? = nil, topK: Int = 5,
                threshold: Float = 0, window: Int = 50, autorotate: Bool = true, start: Double = 0,
                duration: Double? = nil, inputFormat: String? = nil, inputOptions: [String: String] = [:],
                stallTimeout: Double? = nil, realtime: Bool = false, precision: Precision = .auto,
                decoderThreads: Int = 0) {
        self.decoderThreads = decoderThreads
        self.inputFormat = inputFormat
        self.inputOptions = inputOptions
        self.stallTimeout = stallTimeout
        self.realtime = realtime
        self.precision = precision
        self.fps = fps
        self.size = size
        self.centerCrop = centerCrop
        self.threads = threads
        self.topK = topK
        self.threshold = threshold
        self.window = window
        self.autorotate = autorotate
        self.start = start
        self.duration = duration
    }

    /// What the decoder is asked for: orientation and span.
    public var decoding: DecodingOptions {
        DecodingOptions(autorotate: autorotate, start: start, duration: duration, inputFormat: inputFormat,
                        inputOptions: inputOptions, stallTimeout: stallTimeout, decoderThreads: decoderThreads)
    }

    /// Throws ``MoViNetKitError/invalidRequest(_:)`` for a value out of range.
    public func validate() throws(MoViNetKitError) {
        if !(fps >= 0) || !fps.isFinite { throw .invalidRequest("fps must be 0 or more, got \(fps)") }
        if let size, size < 8 || size > 4096 { throw .invalidRequest("size must be between 8 and 4096, got \(size)") }
        if let threads, threads < 1 { throw .invalidRequest("threads must be at least 1, got \(threads)") }
        if decoderThreads < 0 { throw .invalidRequest("decoder threads must be 0 or more, got \(decoderThreads)") }
        if topK < 1 { throw .invalidRequest("topK must be at least 1, got \(topK)") }
        if !(threshold >= 0 && threshold <= 1) { throw .invalidRequest("threshold must be between 0 and 1") }
        if window < 1 { throw .invalidRequest("window must be at least 1, got \(window)") }
        if !(start >= 0) || !start.isFinite { throw .invalidRequest("start must be 0 or more seconds, got \(start)") }
        if let stallTimeout, !(stallTimeout >= 0) || !stallTimeout.isFinite {
            throw .invalidRequest("stall timeout must be 0 or more seconds, got \(stallTimeout)")
        }
        if let duration, !(duration > 0) || !duration.isFinite {
            throw .invalidRequest("duration must be more than 0 seconds, got \(duration)")
        }
    }
}
