// What the high-level API returns: ranked labels, the prediction after one sampled frame, and the
// classification of a whole input.

/// A class with its probability, as ranked in a result.
public struct RankedLabel: Sendable, Equatable {
    /// The class index (the logit's position).
    public var index: Int
    /// The class name from the label list (`"class <index>"` when the list has none).
    public var label: String
    /// The softmax probability.
    public var probability: Float

    /// A ranked class.
    public init(index: Int, label: String, probability: Float) {
        self.index = index
        self.label = label
        self.probability = probability
    }
}

/// The prediction of a stream model after one sampled frame.
public struct FramePrediction: Sendable {
    /// 0-based index among the input's sampled frames.
    public var index: Int
    /// Seconds: the sampling grid's time (`index / fps`), or the frame's own timestamp with fps 0.
    public var timestamp: Double
    /// The top-k classes (at least the threshold's probability), most probable first.
    public var top: [RankedLabel]
    /// The softmax probabilities of every class.
    public var probabilities: [Float]
    /// The raw logits of every class.
    public var logits: [Float]
    /// Sampled frames skipped just before this one to keep up with a live input
    /// (``ClassifierOptions/realtime``); always 0 otherwise.
    public var skipped: Int

    /// A prediction with every field given.
    public init(index: Int, timestamp: Double, top: [RankedLabel], probabilities: [Float], logits: [Float],
                skipped: Int = 0) {
        self.index = index
        self.timestamp = timestamp
        self.top = top
        self.probabilities = probabilities
        self.logits = logits
        self.skipped = skipped
    }
}

/// The classification of a whole input.
///
/// Stream models: the prediction after the last sampled frame. Base models: the mean of the
/// windows' probabilities (and of their logits).
public struct Classification: Sendable {
    /// Sampled frames fed to the model.
    public var frames: Int
    /// Base models: how many windows were averaged; nil for stream models.
    public var windows: Int?
    /// The top-k classes (at least the threshold's probability), most probable first.
    public var top: [RankedLabel]
    /// The probabilities of every class.
    public var probabilities: [Float]
    /// The logits of every class (base models: the mean over windows).
    public var logits: [Float]
    /// Non-fatal problems met while decoding (e.g. a truncated file), one line each.
    public var warnings: [String]
    /// Sampled frames skipped to keep up with a live input (``ClassifierOptions/realtime``).
    public var skipped: Int

    /// A classification with every field given.
    public init(frames: Int, windows: Int?, top: [RankedLabel], probabilities: [Float], logits: [Float],
                warnings: [String] = [], skipped: Int = 0) {
        self.frames = frames
        self.windows = windows
        self.top = top
        self.probabilities = probabilities
        self.logits = logits
        self.warnings = warnings
        self.skipped = skipped
    }
}
