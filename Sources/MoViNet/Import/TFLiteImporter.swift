// Imports a MoViNet stream model from a TFLite flatbuffer (pure Swift): weights, flavour, input size.

import Foundation

public enum TFLiteImporter {
    /// Reads `path` and returns its weights under the canonical names (see ImportedModel.swift),
    /// with the flavour and input size read off the graph. Throws `ModelError` naming the file
    /// for anything that is not a MoViNet stream TFLite model or is damaged.
    public static func load(path: String) throws -> ImportedModel {
        guard let bytes = FileBytes.read(path) else {
            throw ModelError(path, "cannot read the file")
        }
        return try load(bytes: bytes, path: path)
    }

    /// The same from bytes already in memory; `path` is only used in messages and `source`.
    public static func load(bytes: [UInt8], path: String) throws -> ImportedModel {
        do {
            let model = try TFLiteModel(bytes: bytes)
            return try importGraph(TFLiteGraph(model), path: path)
        } catch let error as FlatBufferError {
            throw ModelError(path, error.message)
        }
    }

    /// Operators whose maths the engine reproduces (or that only move, cast or re-round data).
    static let supportedOps: Set<TFLiteOp> = [
        .add, .averagePool2D, .concatenation, .conv2D, .depthwiseConv2D, .dequantize, .quantize,
        .fullyConnected, .logistic, .mul, .relu6, .reshape, .mean, .sum, .div, .squeeze,
        .stridedSlice, .cast, .hardSwish, .expandDims, .relu, .minimum, .maximum,
    ]

    static func importGraph(_ graph: TFLiteGraph, path: String) throws -> ImportedModel {
        let sg = graph.model.subgraph
        let stateInputs = sg.inputs.filter {
            let n = graph.name($0)
            return n.contains("stream_buffer") || n.contains("pool_buffer") || n.contains("frame_count")
        }
        let named = sg.operators.contains { op in
            op.outputs.contains { TFLiteUnit.first(in: graph.name($0)) != nil }
        }
        guard named else {
            throw FlatBufferError(message: "not a MoViNet model: no operator belongs to a MoViNet layer (stem, block{b}_layer{l}, head, classifier_head)")
        }
        guard !stateInputs.isEmpty else {
            throw FlatBufferError(message: "not a MoViNet stream model: the graph has no stream state inputs (only stream models are supported as TFLite)")
        }
        if graph.model.subgraphCount != 1 {
            throw FlatBufferError(message: "unsupported: \(graph.model.subgraphCount) subgraphs (a MoViNet stream model has one)")
        }
        for op in sg.operators {
            guard let kind = op.op, supportedOps.contains(kind) else {
                throw FlatBufferError(message: "unsupported \(graph.describe(op)): not an operator of a MoViNet stream model")
            }
        }

        // Files that quantize their activations also get the int8 plan that executes them as
        // LiteRT does: built on another thread while this one maps the float weights.
        let int8Plan = QuantizedProgram.quantizesActivations(graph.model)
            ? BackgroundWork { [model = graph.model] in
                do {
                    return (try QuantizedProgram(model: model), nil)
                } catch let error as FlatBufferError {
                    return (nil, error.message)
                }
            } as BackgroundWork<(QuantizedProgram?, String?)>
            : nil
        // Waits for it also when the mapping throws, so that no import outlives its call.
        defer { _ = try? int8Plan?.join() }
        var mapping = try graph.mapWeights()
        try checkComplete(mapping)
        try checkStrides(graph, mapping)
        try checkConstants(graph, mapping)
        let flavour = try graph.inferFlavour(&mapping)
        try foldHeadMeanScale(graph, &mapping)
        let size = try inputSize(graph)
        let (quantized, unavailable) = try int8Plan?.join() ?? (nil, nil)
        var imported = ImportedModel(source: path, format: .tflite, tensors: mapping.tensors, flavour: flavour,
                                     inputSize: size, quantized: quantized, quantizedUnavailable: unavailable)
        // A damaged label list does not make the weights unusable: the caller is told instead.
        do {
            imported.labels = try TFLiteMetadata.labels(graph.model)
        } catch let error as FlatBufferError {
            imported.labelsProblem = error.message
        }
        return imported
    }

    /// The head's spatial mean is SUM over (H, W) times a stored 1/(H·W). Float16 files keep that
    /// constant rounded (1/36 becomes 0.027770996, 2.4e-4 low), which scales every pooled feature;
    /// the pooled features only feed the linear classifier head conv, so the file's factor over
    /// the exact mean is folded into that conv's kernel and the engine keeps its exact mean.
    static func foldHeadMeanScale(_ graph: TFLiteGraph, _ m: inout TFLiteMapping) throws {
        for op in graph.ops where op.op == .sum && graph.name(op.outputs.first ?? -1).contains("head/") {
            guard let input = op.inputs.first, input >= 0, let out = op.outputs.first,
                  let users = graph.consumers[out], users.count == 1 else { continue }
            let mul = graph.ops[users[0]]
            guard mul.op == .mul, mul.inputs.count == 2,
                  let c = try graph.uniformConstant(mul.inputs[0] == out ? mul.inputs[1] : mul.inputs[0])
            else { continue }
            let shape = graph.tensors[input].shape  // (1, T, H, W, C)
            guard shape.count == 5 else { continue }
            let ratio = c.value * Float(shape[2] * shape[3])
            guard abs(ratio - 1) < 1e-2 else {
                throw FlatBufferError(message: "\(graph.describe(mul)): the head's mean over \(shape[2])×\(shape[3]) multiplies by \(c.value), not 1/\(shape[2] * shape[3])")
            }
            if abs(ratio - 1) > 1e-6, let k = m.tensors["classifier/head/kernel"] {
                m.tensors["classifier/head/kernel"] = k.mapped { $0 * ratio }
            }
        }
    }

    /// Every layer has the units MoViNet needs.
    static func checkComplete(_ m: TFLiteMapping) throws {
        let required = ["stem/conv", "head/project", "classifier/head", "classifier/logits"]
        for key in required where m.tensors[key + "/kernel"] == nil {
            throw FlatBufferError(message: "missing tensor '\(key)/kernel'")
        }
        let layers = Set(m.unitOps.keys.map(\.layer).filter(TFLiteUnit.isBlockLayer))
        guard !layers.isEmpty else { throw FlatBufferError(message: "no block layers (block{b}_layer{l})") }
        for layer in layers.sorted() {
            for unit in ["expansion", "feature", "projection"] where m.tensors["\(layer)/\(unit)/kernel"] == nil {
                throw FlatBufferError(message: "missing tensor '\(layer)/\(unit)/kernel'")
            }
            let se = (m.tensors["\(layer)/se/reduce/kernel"] != nil, m.tensors["\(layer)/se/expand/kernel"] != nil)
            if se.0 != se.1 { throw FlatBufferError(message: "'\(layer)' has only half of its squeeze-excitation") }
        }
    }

    /// Spatial downsampling happens exactly in the stem and in the feature convs of layers with a
    /// skip projection, whose skip pool is 3×3 / 2 SAME.
    static func checkStrides(_ graph: TFLiteGraph, _ m: TFLiteMapping) throws {
        for (unit, index) in m.unitOps where unit.unit == "feature" {
            let strided = graph.ops[index].strides.map { $0 == (2, 2) } ?? false
            if strided && m.tensors["\(unit.layer)/skip/kernel"] == nil {
                throw FlatBufferError(message: "\(graph.describe(graph.ops[index])): a strided layer without a skip projection")
            }
        }
        for op in graph.ops where op.op == .averagePool2D {
            guard op.filter.map({ $0 == (3, 3) }) ?? false, op.strides.map({ $0 == (2, 2) }) ?? false,
                  op.padding == 0, op.fusedActivation == .none
            else {
                throw FlatBufferError(message: "unsupported \(graph.describe(op)): MoViNet's skip pool is 3×3 / 2 SAME")
            }
        }
    }

    /// Strictness: every float (or quantized) constant is a mapped weight or a recognised
    /// formula constant (an activation's or a pooling's scalar). Integer constants are shapes,
    /// axes, slice bounds and frame-count increments.
    static func checkConstants(_ graph: TFLiteGraph, _ m: TFLiteMapping) throws {
        var recognised = m.used
        for op in graph.ops where [.add, .mul, .sub, .div, .maximum, .minimum].contains(op.op) {
            let out = graph.name(op.outputs.first ?? -1)
            let formula = ["activation", "average_pool", "Relu6", "Sigmoid", "truediv"].contains { out.contains($0) }
            guard formula else { continue }
            for i in op.inputs {
                if let c = try graph.uniformConstant(i) { recognised.formUnion(c.sources) }
            }
        }
        for (index, t) in graph.tensors.enumerated() where !recognised.contains(index) {
            let integer = (t.type == .int32 || t.type == .int64) && t.quantization == nil
            guard !integer, try graph.model.constantBytes(index) != nil else { continue }
            let users = (graph.consumers[index] ?? []).map { graph.describe(graph.ops[$0]) }
            throw FlatBufferError(message: "unrecognised constant tensor \(index) '\(t.name)' \(t.shape) used by \(users.joined(separator: ", ")): not a weight of a known MoViNet layer")
        }
    }

    /// The frame size of the `image` input [1, 1, H, W, 3] (H = W).
    static func inputSize(_ graph: TFLiteGraph) throws -> Int {
        let index = graph.model.signatureInputs["image"]
            ?? graph.model.subgraph.inputs.first { graph.name($0).hasSuffix("image:0") || graph.name($0) == "image" }
        guard let image = index else { throw FlatBufferError(message: "no 'image' input") }
        let s = graph.tensors[image].shape
        guard s.count == 5, s[0] == 1, s[1] == 1, s[4] == 3, s[2] == s[3], s[2] > 0 else {
            throw FlatBufferError(message: "the 'image' input has shape \(s), expected [1, 1, S, S, 3]")
        }
        guard s[2] <= ImportedModel.maxInputSize else {
            throw FlatBufferError(message: "the 'image' input is \(s[2])×\(s[2]) px, over the \(ImportedModel.maxInputSize) px this engine accepts")
        }
        return s[2]
    }
}
