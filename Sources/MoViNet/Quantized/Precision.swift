// Which arithmetic a model runs in: int8 (the file's own quantized graph) or float32 (its weights
// dequantized into the float engine).

/// The arithmetic a ``MoViNetRunner`` executes a model in.
public enum Precision: String, Sendable, CaseIterable {
    /// int8 for files that quantize their activations (the TF Hub int8 TFLite files), float32 otherwise.
    case auto
    /// The file's int8 graph, in the arithmetic of LiteRT's XNNPACK kernels (logits equal LiteRT's).
    case int8
    /// float32: the weights dequantized, activations never quantized.
    case float
}

extension MoViNetModel {
    /// What `requested` means for this model at frames of `size` × `size` (nil: the model's own
    /// size): `.int8` or `.float`. `.auto` is int8 when the model has an int8 graph for that size.
    /// Throws a ``ModelError`` (empty path) when int8 is requested for a model that has no int8
    /// graph (a float or weight-only-int8 file, a checkpoint), whose int8 graph uses an operator
    /// the int8 path cannot execute, or at another size than the graph's.
    public func resolve(_ requested: Precision, size: Int? = nil) throws -> Precision {
        switch requested {
        case .float: return .float
        case .auto:
            guard let q = quantized else { return .float }
            return size == nil || size == q.inputSize ? .int8 : .float
        case .int8:
            if let q = quantized {
                if let size, size != q.inputSize {
                    throw ModelError("", "--precision int8 runs at the file's \(q.inputSize)×\(q.inputSize) only, not \(size)×\(size); use --precision float for other sizes")
                }
                return .int8
            }
            if let why = quantizedUnavailable {
                throw ModelError("", "--precision int8: this model's int8 graph cannot be executed (\(why)); use --precision float")
            }
            throw ModelError("", "--precision int8: this model has no int8 activations (a float model, or int8 weights only); use --precision float or auto")
        }
    }
}
