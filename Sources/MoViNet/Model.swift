// The public engine API: a loaded network (architecture + prepared weights, immutable). The
// runner that executes it (activation buffers + stream state) is in Runner.swift.

public enum ModelKind: String, Sendable, Codable {
    case base     // whole clip in, one logit vector out
    case stream   // frame by frame with carried state
}

public struct ModelInfo: Sendable {
    public var id: String             // "a0", "a1", "a2" (or "custom" for a table matching none)
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
    public let architecture: Architecture
    let weights: NetworkWeights
    /// The int8 plan when the file quantizes its activations (the TF Hub int8 TFLite files): what
    /// `Precision.auto` runs for it.
    public let quantized: QuantizedProgram?
    /// Why a file with int8 activations cannot run in int8 (nil when it can, or has none).
    public let quantizedUnavailable: String?

    /// Builds the network from imported tensors; strict (ModelError names any missing, unused or
    /// mis-shaped tensor).
    public init(_ imported: ImportedModel) throws {
        let arch = try Architecture.infer(from: imported)
        architecture = arch
        weights = try NetworkWeights(imported, arch)
        quantized = imported.quantized
        quantizedUnavailable = imported.quantizedUnavailable
        info = ModelInfo(id: arch.spec.id, kind: arch.flavour.causal ? .stream : .base, flavour: arch.flavour,
                         numClasses: arch.numClasses, inputSize: imported.inputSize ?? arch.spec.defaultInputSize,
                         parameterCount: imported.tensors.values.reduce(0) { $0 + $1.count })
    }

    public convenience init(path: String) throws {
        try self.init(ModelLoader.load(path: path))
    }

    /// Multiply-accumulates for one frame at height × width (stream) or per frame of a clip (base).
    public func macsPerFrame(height: Int, width: Int) -> Int {
        architecture.macsPerFrame(height: height, width: width)
    }
}
