// The public engine API: a loaded network (architecture + prepared weights, immutable). The
// runner that executes it (activation buffers + stream state) is in Runner.swift.

import Foundation

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
    /// Class names carried by the model file itself (TFLite metadata), if any; see
    /// `ImportedModel.labels`.
    public let embeddedLabels: [String]?
    /// Why the file's own label list could not be read, if it names one that is damaged.
    public let embeddedLabelsProblem: String?
    /// The float32 weights: prepared at load, or for a file with an int8 plan on the first float
    /// runner (an int8 run never reads them, and preparing them took a fifth of a short GIF's run).
    private let weights: PreparedWeights
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
        weights = imported.quantized == nil ? .ready(try NetworkWeights(imported, arch))
                                            : .deferred(DeferredWeights(imported, arch))
        embeddedLabels = imported.labels
        embeddedLabelsProblem = imported.labelsProblem
        quantized = imported.quantized
        quantizedUnavailable = imported.quantizedUnavailable
        info = ModelInfo(id: arch.spec.id, kind: arch.flavour.causal ? .stream : .base, flavour: arch.flavour,
                         numClasses: arch.numClasses, inputSize: imported.inputSize ?? arch.spec.defaultInputSize,
                         parameterCount: imported.tensors.values.reduce(0) { $0 + $1.count })
    }

    /// The float32 weights, prepared now if they were deferred; throws the ``ModelError`` that
    /// preparing them raised (the same on every call).
    func floatWeights() throws -> NetworkWeights {
        switch weights {
        case .ready(let w): return w
        case .deferred(let d): return try d.get()
        }
    }

    /// Prepares what runners in `precision` read (an int8 file's float weights are otherwise
    /// prepared by its first float runner), so that a file whose float weights are unusable
    /// fails here rather than at its first input.
    public func prepare(_ precision: Precision) throws {
        if try resolve(precision) == .float { _ = try floatWeights() }
    }

    public convenience init(path: String) throws {
        try self.init(ModelLoader.load(path: path))
    }

    /// Multiply-accumulates for one frame at height × width (stream) or per frame of a clip (base).
    public func macsPerFrame(height: Int, width: Int) -> Int {
        architecture.macsPerFrame(height: height, width: width)
    }
}

private enum PreparedWeights: Sendable {
    case ready(NetworkWeights)
    case deferred(DeferredWeights)
}

/// Float weights prepared once, on first use, from the imported tensors (which it then drops).
private final class DeferredWeights: @unchecked Sendable {
    private let lock = NSLock()
    private let arch: Architecture
    private var imported: ImportedModel?
    private var result: Result<NetworkWeights, Error>?

    init(_ imported: ImportedModel, _ arch: Architecture) {
        self.imported = imported
        self.arch = arch
    }

    func get() throws -> NetworkWeights {
        lock.lock()
        defer { lock.unlock() }
        if result == nil, let imported {
            result = Result { try NetworkWeights(imported, arch) }
            self.imported = nil
        }
        return try result!.get()
    }
}
