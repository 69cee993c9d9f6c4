// The flavour record: which operator variants a MoViNet artifact uses (spec §0, §3.5–§3.9).

public enum ConvType: String, Sendable, Codable {
    /// Base models: full 3D depthwise convolutions, symmetric temporal padding.
    case conv3d = "3d"
    /// Stream inference format: per-frame 2D spatial conv, then a causal temporal depthwise conv.
    case conv2plus1d = "2plus1d"
    /// Stream training format: the same maths stored as 5-D Conv3D kernels (converted at load time).
    case conv3d2plus1d = "3d_2plus1d"
}

public enum SEType: String, Sendable, Codable {
    /// Base: gate from the mean over the whole clip.
    case se3d = "3d"
    /// Stream: gate from concat(running mean so far, current-frame mean), hidden width doubled.
    case se2plus3d = "2plus3d"
    /// No squeeze-excitation (the TF Hub int8 TFLite export).
    case none
}

public enum Activation: String, Sendable, Codable {
    case swish            // x * sigmoid(x)
    case hardSwish = "hard_swish"  // x * relu6(x + 3) / 6
    case relu6
    case identity
}

public enum Gate: String, Sendable, Codable {
    case sigmoid
    /// Current Model Garden: relu6(x + 3) * 0.16667 (the literal, not 1/6).
    case hardSigmoidRelu6 = "hard_sigmoid_relu6"
    /// Classic Keras: clamp(0.2 x + 0.5, 0, 1).
    case hardSigmoidLinear = "hard_sigmoid_linear"
}

public struct Flavour: Sendable, Codable, Equatable {
    public var conv: ConvType
    public var se: SEType
    public var activation: Activation
    public var gate: Gate
    public var classifierActivation: Activation
    public var causal: Bool

    public init(conv: ConvType, se: SEType, activation: Activation, gate: Gate,
                classifierActivation: Activation, causal: Bool) {
        self.conv = conv
        self.se = se
        self.activation = activation
        self.gate = gate
        self.classifierActivation = classifierActivation
        self.causal = causal
    }

    /// Official base models (Model Garden checkpoints, TF Hub base SavedModels).
    public static let base = Flavour(conv: .conv3d, se: .se3d, activation: .swish, gate: .sigmoid,
                                     classifierActivation: .swish, causal: false)
    /// Official stream models exported with current Model Garden code.
    public static let stream = Flavour(conv: .conv2plus1d, se: .se2plus3d, activation: .hardSwish,
                                       gate: .hardSigmoidRelu6, classifierActivation: .swish, causal: true)
}

extension Flavour {
    /// The TF Hub int8 TFLite stream export: (2+1)D, no squeeze-excitation, relu6 everywhere
    /// (the classifier too, as the TFLite importer reads the graph). The importer states the
    /// flavour it finds; this value is for random-weight tests and benchmarks.
    public static let int8Stream = Flavour(conv: .conv2plus1d, se: .none, activation: .relu6, gate: .sigmoid,
                                           classifierActivation: .relu6, causal: true)
}
