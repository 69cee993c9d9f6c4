// Graph queries over a parsed TFLite subgraph: producers, consumers, constants (through DEQUANTIZE).

struct TFLiteGraph {
    let model: TFLiteModel
    var tensors: [TFLiteTensor] { model.subgraph.tensors }
    var ops: [TFLiteOperator] { model.subgraph.operators }
    /// Tensor index → the operator writing it.
    let producer: [Int: Int]
    /// Tensor index → operators reading it, in graph order.
    let consumers: [Int: [Int]]

    init(_ model: TFLiteModel) {
        self.model = model
        var producer: [Int: Int] = [:]
        var consumers: [Int: [Int]] = [:]
        for op in model.subgraph.operators {
            for o in op.outputs where o >= 0 { producer[o] = op.index }
            for i in op.inputs where i >= 0 { consumers[i, default: []].append(op.index) }
        }
        self.producer = producer
        self.consumers = consumers
    }

    /// A constant operand: its values and shape, and the tensors it was read from (the stored
    /// tensor and, for float16/int8 weights feeding a DEQUANTIZE op, that op's output).
    struct Constant {
        var values: [Float]
        var shape: [Int]
        var sources: [Int]
    }

    /// A constant whose values are checked now and computed on first read (the float kernels).
    struct DeferredConstant {
        var values: @Sendable () -> [Float]
        var shape: [Int]
        var sources: [Int]
    }

    /// What `constant` returns, with the values left to `DeferredConstant.values`.
    func deferredConstant(_ index: Int) throws -> DeferredConstant? {
        guard index >= 0 else { return nil }
        let model = model
        if try model.dequantized(index, values: false) != nil {
            // Checked just now: computing them cannot throw.
            return DeferredConstant(values: { try! model.dequantized(index)! }, shape: tensors[index].shape, sources: [index])
        }
        if let p = producer[index], ops[p].op == .dequantize, let source = ops[p].inputs.first,
           source >= 0, try model.dequantized(source, values: false) != nil {
            guard tensors[source].elementCount == tensors[index].elementCount else {
                throw FlatBufferError(message: "\(describe(ops[p])) turns \(tensors[source].elementCount) values of tensor \(source) \(tensors[source].shape) into tensor \(index) of shape \(tensors[index].shape)")
            }
            return DeferredConstant(values: { try! model.dequantized(source)! }, shape: tensors[index].shape,
                                    sources: [source, index])
        }
        return nil
    }

    func constant(_ index: Int) throws -> Constant? {
        guard index >= 0 else { return nil }
        if let values = try model.dequantized(index) {
            return Constant(values: values, shape: tensors[index].shape, sources: [index])
        }
        if let p = producer[index], ops[p].op == .dequantize, let source = ops[p].inputs.first,
           source >= 0, let values = try model.dequantized(source) {
            // The DEQUANTIZE output's shape is what the consumer reads: it must hold the values.
            guard values.count == tensors[index].elementCount else {
                throw FlatBufferError(message: "\(describe(ops[p])) turns \(values.count) values of tensor \(source) \(tensors[source].shape) into tensor \(index) of shape \(tensors[index].shape)")
            }
            return Constant(values: values, shape: tensors[index].shape, sources: [source, index])
        }
        return nil
    }

    /// A constant whose elements are all equal (a scalar, or a scalar broadcast by the converter).
    func uniformConstant(_ index: Int) throws -> (value: Float, sources: [Int])? {
        guard let c = try constant(index), let first = c.values.first else { return nil }
        guard c.values.allSatisfy({ $0 == first }) else { return nil }
        return (first, c.sources)
    }

    func name(_ tensor: Int) -> String { tensor >= 0 ? tensors[tensor].name : "" }

    /// "operator 14 (CONV_2D → 'movinet_classifier/…')", for messages.
    func describe(_ op: TFLiteOperator) -> String {
        let kind = op.op.map { "\($0)" } ?? (op.customCode.map { "custom '\($0)'" } ?? "code \(op.opcode)")
        let out = op.outputs.first.map { name($0).split(separator: ";").first.map(String.init) ?? "" } ?? ""
        return "operator \(op.index) (\(kind) → '\(out)')"
    }
}
