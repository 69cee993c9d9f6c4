// FACADE — the public engine API the CLI codes against; the engine work replaces these bodies
// (issue 3). Signatures here are the contract: implementations may add API but must keep these.

public enum ModelKind: String, Sendable, Codable {
    case base     // whole clip in, one logit vector out
    case stream   // frame by frame with carried state
}

public struct ModelInfo: Sendable {
    public var id: String             // "a0", "a1", "a2"
    public var kind: ModelKind
    public var flavour: Flavour
    public var numClasses: Int
    /// The square input size to feed: the artifact's fixed size, else 172 (A0, A1) or 224 (A2).
    public var inputSize: Int
    public var parameterCount: Int

    public init(id: String, kind: ModelKind, flavour: Flavour, numClasses: Int, inputSize: Int,
                parameterCount: Int) {
        self.id = id
        self.kind = kind
        self.flavour = flavour
        self.numClasses = numClasses
        self.inputSize = inputSize
        self.parameterCount = parameterCount
    }
}

/// A loaded network: architecture + prepared weights, immutable, shareable between threads.
public final class MoViNetModel: Sendable {
    public let info: ModelInfo

    /// Builds the network from imported tensors; strict (ModelError names any missing, unused or
    /// mis-shaped tensor).
    public init(_ imported: ImportedModel) throws {
        throw ModelError(imported.source, "the MoViNet engine is not available in this build")
    }

    public convenience init(path: String) throws {
        try self.init(ModelLoader.load(path: path))
    }

    /// Multiply-accumulates for one frame at height × width (stream) or per frame of a clip (base).
    public func macsPerFrame(height: Int, width: Int) -> Int { 0 }
}

/// Runs one video at a time through a model: owns the activation buffers and the stream state.
/// Not thread-safe; use one runner per concurrently processed video.
public final class MoViNetRunner {
    public let model: MoViNetModel
    public let height: Int
    public let width: Int

    public init(model: MoViNetModel, height: Int, width: Int, threads: Int = 1) throws {
        self.model = model
        self.height = height
        self.width = width
    }

    /// Frames consumed since the last reset (stream models).
    public private(set) var framesSeen = 0

    /// Clears the stream state (between videos).
    public func reset() { framesSeen = 0 }

    /// Stream models: consumes one frame (height·width·3 floats, RGB in [0,1], row-major) and
    /// returns the logits after it.
    public func step(_ frame: UnsafeBufferPointer<Float>) -> [Float] {
        [Float](repeating: 0, count: model.info.numClasses)
    }

    /// Base models: classifies a clip of `frames` frames (frames·height·width·3 floats) and
    /// returns its logits. (Stream models run the clip frame by frame and return the last logits.)
    public func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float] {
        [Float](repeating: 0, count: model.info.numClasses)
    }
}
