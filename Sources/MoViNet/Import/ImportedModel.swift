// The contract between the weight importers (TFLite, TF tensor bundle) and the engine.
//
// Every importer turns its file into `ImportedModel.tensors`, keyed by the canonical names
// below, in the canonical layouts below, dequantized to float32. The engine's weight mapping
// reads only these names and is strict: a missing, unused or mis-shaped tensor is an error.
//
// Layer prefixes <L>: `stem`, `block{b}_layer{l}` (b = 0…4, l from 0), `head`, `classifier`.
// A convolution unit <U> has `<U>/kernel` and, after it, either batch norm
// `<U>/bn/{gamma,beta,moving_mean,moving_variance}` (checkpoints; folded at load time) or
// `<U>/bias` (TFLite, where batch norm is already folded), or neither.
//
//   stem/conv/kernel                 [kt, kh, kw, 3, out]   (stream Conv2D [kh,kw,3,out] gets kt = 1)
//   <L>/expansion/kernel             [in, e]                (1×1 conv)
//   <L>/feature/kernel               [kt, kh, kw, e]        depthwise; base: the full 3D kernel;
//                                                           (2+1)D: the spatial part, kt = 1
//   <L>/feature_temporal/kernel      [kt, e]                (2+1)D temporal depthwise part (kt > 1 only)
//   <L>/se/reduce/kernel, /bias      [se_in, hidden], [hidden]   se_in = e (3d) or 2e (2plus3d)
//   <L>/se/expand/kernel, /bias      [hidden, e], [e]
//   <L>/projection/kernel            [e, out]
//   <L>/skip/kernel                  [in, out]              (strided layers: avg-pool then this 1×1)
//   <L>/rezero/scale                 []                     (scalar; a 1-element tensor is accepted)
//   head/project/kernel              [in, P]
//   classifier/head/kernel, /bias    [P, hidden], [hidden]  (hidden = 2048 for the official models)
//   classifier/logits/kernel, /bias  [hidden, classes], [classes]
//
// Layouts are Keras's (cross-correlation taps in natural order; temporal tap kt−1 = current frame).

public enum ModelFormat: String, Sendable {
    case tflite
    case checkpoint
    case savedModel = "savedmodel"
}

public struct ImportedModel: Sendable {
    /// The path the model was read from, for messages.
    public var source: String
    public var format: ModelFormat
    /// Canonical name → dequantized float32 tensor (see the table above).
    public var tensors: [String: Tensor]
    /// What the artifact itself says about its operators, where it says anything (a TFLite graph
    /// does); nil leaves the choice to the engine (from the tensors' shapes and the format).
    public var flavour: Flavour?
    /// A fixed spatial input size if the artifact has one (TFLite files are exported for one size).
    public var inputSize: Int?
    /// The int8 execution plan of a TFLite file whose activations are quantized (nil otherwise).
    public var quantized: QuantizedProgram?
    /// Why a file with int8 activations has no int8 plan (an operator the plan cannot execute).
    public var quantizedUnavailable: String?

    public init(source: String, format: ModelFormat, tensors: [String: Tensor],
                flavour: Flavour? = nil, inputSize: Int? = nil, quantized: QuantizedProgram? = nil,
                quantizedUnavailable: String? = nil) {
        self.source = source
        self.format = format
        self.tensors = tensors
        self.flavour = flavour
        self.inputSize = inputSize
        self.quantized = quantized
        self.quantizedUnavailable = quantizedUnavailable
    }
}

/// A model file that cannot be used, with the file and the reason.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
