// Maps the weights of a MoViNet stream TFLite graph to the canonical names and Keras layouts.
//
// How a MoViNet stream model appears in a TFLite graph (seen in the TF Hub int8 A0 file and in
// files converted here from the official Model Garden code, float32/float16/int8-weight):
//
// * Weights carry no reliable names (float files call them `arith.constant123`; in quantized
//   files deduplicated constants carry several layers' names), so every weight is identified by
//   the operator that consumes it, and that operator by its OUTPUT tensor's name: the first
//   `;`-separated component that names a MoViNet unit, e.g.
//   `movinet_classifier/movinet/block1_layer0/bneck/feature/conv2d_temporal/…`.
// * Batch norm is folded: every conv is CONV_2D / DEPTHWISE_CONV_2D with a bias (→ `<U>/bias`).
// * Per frame, the 5-D activations are reshaped to 4-D around each conv. 1×1 convs and the stem
//   are CONV_2D `[out, kh, kw, in]`; the classifier's two 1×1×1 convs are CONV_2D on a 1×1 map
//   (FULLY_CONNECTED `[out, in]` is accepted too).
// * (2+1)D feature conv: a spatial DEPTHWISE_CONV_2D `[1, kh, kw, e]` (name `…/feature/conv2d/…`),
//   then for kt > 1 a CONCATENATION of the `stream_buffer` state (kt−1 frames) with the current
//   frame, a RESHAPE to `[1, kt, H·W, e]` and a temporal DEPTHWISE_CONV_2D `[1, kt, 1, e]` VALID
//   (`…/feature/conv2d_temporal/…`); a STRIDED_SLICE keeps the last kt−1 frames as the new state.
//   Tap kt−1 multiplies the current frame, as in the canonical `[kt, e]` layout.
// * ReZero: a MUL of the projection output by a constant (`…/rezero/…`): a scalar in float files,
//   the scalar broadcast to the full activation shape in the int8 file (all elements equal).
// * Skip path of strided layers: AVERAGE_POOL_2D 3×3/2 SAME, then a 1×1 CONV_2D (`…/skip/skip_project/…`).
// * SE (official flavour only): MEAN over H,W; ADD of the `pool_buffer` state (running sum);
//   DIV by the frame count + 1; CONCATENATION (running mean, frame mean); `se_reduce` CONV_2D +
//   activation; `se_expand` CONV_2D whose hard-sigmoid `relu6(x + 3)·0.16667` the converter
//   folds into the conv: bias + 3 and a fused RELU6, then a MUL by 0.16667 (so 3 is subtracted
//   from the stored bias here). The classic-Keras gate clamp(0.2x + 0.5, 0, 1) is folded the same
//   way (kernel·0.2, bias·0.2 + 0.5, then MINIMUM 1 and RELU). Both are undone in TFLiteFlavour.swift.
//   The TF Hub int8 file has no SE; its pool states pass through.
// * Head: CONV_2D `head/project` + activation, SUM over (T,H,W) times 1/(H·W) (a constant), ADD
//   of the `head_pool_buffer` state, DIV by the frame count + 1 (int32 ADD + CAST).
// * Activations: RELU6 is fused into the conv (int8 file); hard-swish is a HARD_SWISH op; swish
//   is LOGISTIC then MUL(x, sigmoid(x)) (the official classifier).
// * The int8 file also quantizes activations (QUANTIZE/DEQUANTIZE around the states); those
//   ops are rounding only, so a float engine ignores them.

/// A canonical unit, e.g. layer `block1_layer0`, unit `feature_temporal`.
struct TFLiteUnit: Hashable, CustomStringConvertible {
    var layer: String
    var unit: String

    var key: String { "\(layer)/\(unit)" }
    var description: String { key }

    var isDepthwise: Bool { unit == "feature" || unit == "feature_temporal" }

    /// Parses one `;`-separated component of a TFLite tensor name. Substrings throughout: an
    /// int8 file's names run to dozens of components and every operator's name is parsed at load.
    static func parse(_ component: Substring) -> TFLiteUnit? {
        let parts = component.split(separator: "/")
        for i in parts.indices {
            let part = parts[i]
            let rest = parts[(i + 1)...]
            if part == "classifier_head" {
                if rest.first == "head" { return TFLiteUnit(layer: "classifier", unit: "head") }
                if rest.first == "classifier" { return TFLiteUnit(layer: "classifier", unit: "logits") }
                return nil
            }
            if part == "stem" { return TFLiteUnit(layer: "stem", unit: "conv") }
            if part == "head" && rest.first == "project" { return TFLiteUnit(layer: "head", unit: "project") }
            // `block{b}_layer{l}`, or `b{b}/l{l}` as 2021 Model Garden code named the layers.
            var layer: String?
            if isBlockLayer(part) {
                layer = String(part)
            } else if let next = rest.first, let b = Int(part.dropFirst()), let l = Int(next.dropFirst()),
                      b >= 0, l >= 0, part.hasPrefix("b"), next.hasPrefix("l") {
                layer = "block\(b)_layer\(l)"
            }
            if let layer {
                let unit: String
                if rest.contains("skip") {
                    guard rest.contains("skip_project") else { return nil }
                    unit = "skip"
                } else if rest.contains("expansion") {
                    unit = "expansion"
                } else if rest.contains("feature") {
                    unit = rest.contains("conv2d_temporal") ? "feature_temporal" : "feature"
                } else if rest.contains("se_reduce") {
                    unit = "se/reduce"
                } else if rest.contains("se_expand") {
                    unit = "se/expand"
                } else if rest.contains("projection") {
                    unit = "projection"
                } else if rest.contains("rezero") {
                    unit = "rezero"
                } else {
                    return nil
                }
                return TFLiteUnit(layer: layer, unit: unit)
            }
        }
        return nil
    }

    /// `block{b}_layer{l}`, with ASCII digits.
    static func isBlockLayer<S: StringProtocol>(_ s: S) -> Bool {
        var rest = s.utf8[...]
        func take(_ literal: StaticString) -> Bool {
            let prefix = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            guard rest.starts(with: prefix) else { return false }
            rest = rest.dropFirst(prefix.count)
            return true
        }
        func takeDigits() -> Bool {
            let digits = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            rest = rest.dropFirst(digits.count)
            return !digits.isEmpty
        }
        return take("block") && takeDigits() && take("_layer") && takeDigits() && rest.isEmpty
    }

    /// All units named in a tensor name, in order.
    static func all(in name: String) -> [TFLiteUnit] {
        name.split(separator: ";").compactMap(parse)
    }

    /// The first unit named in a tensor name, parsing no further than it.
    static func first(in name: String) -> TFLiteUnit? {
        for component in name.split(separator: ";") {
            if let unit = parse(component) { return unit }
        }
        return nil
    }
}

/// The result of mapping: canonical tensors plus which operator computes each unit.
struct TFLiteMapping {
    var tensors: [String: Tensor] = [:]
    var unitOps: [TFLiteUnit: Int] = [:]
    /// Constant tensors accounted for (mapped weights).
    var used: Set<Int> = []
}

extension TFLiteGraph {
    /// Maps every conv / depthwise / fully-connected weight and every ReZero scale.
    func mapWeights() throws -> TFLiteMapping {
        var m = TFLiteMapping()
        for op in ops {
            switch op.op {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                try mapConv(op, into: &m)
            case .mul:
                try mapRezero(op, into: &m)
            default:
                break
            }
        }
        return m
    }

    private func mapConv(_ op: TFLiteOperator, into m: inout TFLiteMapping) throws {
        guard op.inputs.count >= 2, let out = op.outputs.first else {
            throw FlatBufferError(message: "\(describe(op)) has \(op.inputs.count) inputs")
        }
        // The kernel's values are computed when the float engine first reads them (an int8 run
        // of an int8 file never does); its checks run now.
        guard let weight = try deferredConstant(op.inputs[1]) else {
            throw FlatBufferError(message: "\(describe(op)) has a non-constant weight '\(name(op.inputs[1]))'")
        }
        let depthwise = op.op == .depthwiseConv2D
        let candidates = TFLiteUnit.all(in: name(out)) + TFLiteUnit.all(in: name(op.inputs[1]))
        guard let unit = candidates.first(where: { $0.unit != "rezero" && $0.isDepthwise == depthwise }) else {
            throw FlatBufferError(message: "\(describe(op)) does not belong to a MoViNet layer (stem, block{b}_layer{l}, head, classifier_head)")
        }
        guard m.unitOps[unit] == nil else {
            throw FlatBufferError(message: "\(describe(op)) and operator \(m.unitOps[unit]!) both map to '\(unit)'")
        }
        try checkGeometry(op, unit)
        m.unitOps[unit] = op.index
        m.used.formUnion(weight.sources)
        m.tensors[unit.key + "/kernel"] = try canonicalKernel(weight, unit: unit, op: op)

        if op.inputs.count > 2, op.inputs[2] >= 0 {
            guard let bias = try constant(op.inputs[2]) else {
                throw FlatBufferError(message: "\(describe(op)) has a non-constant bias '\(name(op.inputs[2]))'")
            }
            let channels = m.tensors[unit.key + "/kernel"]!.shape.last!
            guard bias.values.count == channels else {
                throw FlatBufferError(message: "\(describe(op)) has \(bias.values.count) biases for \(channels) channels")
            }
            m.used.formUnion(bias.sources)
            m.tensors[unit.key + "/bias"] = Tensor(shape: [channels], data: bias.values)
        }
    }

    /// Strides, padding and dilation the MoViNet operators use (the canonical tensors do not
    /// carry them, so anything else would silently change the maths).
    private func checkGeometry(_ op: TFLiteOperator, _ unit: TFLiteUnit) throws {
        if let d = op.dilation, d != (1, 1) {
            throw FlatBufferError(message: "\(describe(op)): unsupported dilation \(d)")
        }
        guard op.op != .fullyConnected else { return }
        let stride = op.strides ?? (1, 1)
        let same = op.padding == 0
        let ok: Bool
        switch unit.unit {
        case "conv": ok = stride == (2, 2) && same
        case "feature": ok = (stride == (1, 1) || stride == (2, 2)) && same
        case "feature_temporal": ok = stride == (1, 1) && op.padding == 1
        default: ok = stride == (1, 1)
        }
        guard ok else {
            throw FlatBufferError(message: "\(describe(op)): unsupported stride \(stride) / padding \(same ? "SAME" : "VALID") for '\(unit)'")
        }
    }

    /// TFLite layouts → the canonical Keras layouts of ImportedModel.swift.
    private func canonicalKernel(_ w: DeferredConstant, unit: TFLiteUnit, op: TFLiteOperator) throws -> Tensor {
        let s = w.shape, values = w.values
        func bad(_ expected: String) -> FlatBufferError {
            FlatBufferError(message: "\(describe(op)): '\(unit)' weight has shape \(s), expected \(expected)")
        }
        switch (op.op, unit.unit) {
        case (.depthwiseConv2D, "feature"):
            // [1, kh, kw, e] → [1, kh, kw, e] (kt = 1): the same order.
            guard s.count == 4, s[0] == 1 else { throw bad("[1, kh, kw, e]") }
            return Tensor(shape: s, deferred: values)
        case (.depthwiseConv2D, "feature_temporal"):
            // [1, kt, 1, e] (time is the height axis) → [kt, e].
            guard s.count == 4, s[0] == 1, s[2] == 1 else { throw bad("[1, kt, 1, e]") }
            return Tensor(shape: [s[1], s[3]], deferred: values)
        case (.conv2D, "conv") where unit.layer == "stem":
            // [out, kh, kw, in] → [1, kh, kw, in, out].
            guard s.count == 4 else { throw bad("[out, kh, kw, in]") }
            let (o, kh, kw, i) = (s[0], s[1], s[2], s[3])
            return Tensor(shape: [1, kh, kw, i, o], deferred: { Self.transposed(values(), rows: o, cols: kh * kw * i) })
        case (.conv2D, _):
            // 1×1 conv [out, 1, 1, in] → [in, out].
            guard s.count == 4, s[1] == 1, s[2] == 1 else { throw bad("a 1×1 kernel [out, 1, 1, in]") }
            let (rows, cols) = (s[0], s[3])
            return Tensor(shape: [cols, rows], deferred: { Self.transposed(values(), rows: rows, cols: cols) })
        case (.fullyConnected, _):
            guard s.count == 2 else { throw bad("[out, in]") }
            let (rows, cols) = (s[0], s[1])
            return Tensor(shape: [cols, rows], deferred: { Self.transposed(values(), rows: rows, cols: cols) })
        default:
            throw bad("a kernel of a conv unit")
        }
    }

    /// [rows, cols] row-major → [cols, rows].
    private static func transposed(_ v: [Float], rows: Int, cols: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: v.count) { out, count in
            v.withUnsafeBufferPointer { src in
                // In 16×16 tiles, so that both sides stay in cache.
                for r0 in stride(from: 0, to: rows, by: 16) {
                    for c0 in stride(from: 0, to: cols, by: 16) {
                        for r in r0..<min(rows, r0 + 16) {
                            for c in c0..<min(cols, c0 + 16) { out[c * rows + r] = src[r * cols + c] }
                        }
                    }
                }
            }
            count = v.count
        }
    }

    /// `<L>/rezero/scale` from a MUL by a uniform constant named `…/rezero/…`.
    private func mapRezero(_ op: TFLiteOperator, into m: inout TFLiteMapping) throws {
        guard let out = op.outputs.first,
              let unit = TFLiteUnit.first(in: name(out)), unit.unit == "rezero" else { return }
        let constants = try op.inputs.compactMap { try constant($0) }
        guard constants.count == 1, let c = constants.first, let value = c.values.first else {
            throw FlatBufferError(message: "\(describe(op)): expected one constant ReZero scale operand")
        }
        guard c.values.allSatisfy({ $0 == value }) else {
            throw FlatBufferError(message: "\(describe(op)): the ReZero scale is not a scalar (\(c.shape) with differing values)")
        }
        guard m.tensors[unit.key + "/scale"] == nil else {
            throw FlatBufferError(message: "\(describe(op)): a second ReZero scale for \(unit.layer)")
        }
        m.used.formUnion(c.sources)
        m.tensors[unit.key + "/scale"] = Tensor(shape: [], data: [value])
    }
}
