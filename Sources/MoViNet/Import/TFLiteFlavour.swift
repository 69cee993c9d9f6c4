// Reads the MoViNet flavour (activations, SE type and gate, causality, input size) off a TFLite graph.

extension TFLiteGraph {
    /// The activation applied to a conv's output: fused into the op, or the op(s) consuming it.
    func activation(after opIndex: Int) throws -> Activation {
        let op = ops[opIndex]
        switch op.fusedActivation {
        case .relu6: return .relu6
        case .none: break
        default:
            throw FlatBufferError(message: "\(describe(op)) has an unsupported fused activation \(op.fusedActivation)")
        }
        guard let out = op.outputs.first else { return .identity }
        let next = (consumers[out] ?? []).map { ops[$0] }
        if next.count == 1, next[0].op == .hardSwish { return .hardSwish }
        if next.count == 1, next[0].op == .relu6 { return .relu6 }
        // swish: LOGISTIC(x) and MUL(x, LOGISTIC(x)).
        if next.count == 2, let sigmoid = next.first(where: { $0.op == .logistic }),
           let mul = next.first(where: { $0.op == .mul }), let s = sigmoid.outputs.first,
           Set(mul.inputs) == Set([out, s]) {
            return .swish
        }
        if next.contains(where: { [.hardSwish, .relu6, .logistic, .relu].contains($0.op) }) {
            throw FlatBufferError(message: "\(describe(op)): unrecognised activation pattern")
        }
        return .identity
    }

    /// How the converter rewrote an SE expand conv: canonical kernel = stored · kernelScale,
    /// canonical bias = stored · kernelScale − biasShift.
    struct GateFold {
        var gate: Gate
        var kernelScale: Float = 1
        var biasShift: Float = 0
        /// The file's gate output over the engine's (relu6(x+3)·m with the stored m instead of
        /// 0.16667: float16 files keep m = 0.16662598). The SE output only feeds the linear
        /// projection conv, so the importer folds this factor into the projection kernel.
        var outputScale: Float = 1
    }

    /// The SE gate after a `se_expand` conv. The converter folds the gate's affine part into the
    /// conv: relu6(x + 3)·0.16667 becomes bias + 3, a fused RELU6 and a MUL; clamp(0.2x + 0.5, 0, 1)
    /// becomes kernel·0.2, bias·0.2 + 0.5, then MINIMUM 1 and RELU (or MAXIMUM 0).
    func gate(after opIndex: Int) throws -> GateFold {
        let op = ops[opIndex]
        guard let out = op.outputs.first else { throw FlatBufferError(message: "\(describe(op)) has no output") }
        func single(_ t: Int) -> TFLiteOperator? {
            guard let c = consumers[t], c.count == 1 else { return nil }
            return ops[c[0]]
        }
        /// The other operand of a binary op, if it is a uniform constant.
        func constantOperand(_ o: TFLiteOperator, _ input: Int) throws -> Float? {
            guard o.inputs.count == 2, o.fusedActivation == .none || o.op == .add else { return nil }
            return try uniformConstant(o.inputs[0] == input ? o.inputs[1] : o.inputs[0])?.value
        }
        /// The multiplier m of relu6(x+3)·m: 0.16667 (current Model Garden) or 1/6; float16
        /// files store it rounded to 0.16662598 (half an ulp of float16 there is 6.1e-5).
        func sixth(_ o: TFLiteOperator, _ input: Int) throws -> Float? {
            guard o.op == .mul, let c = try constantOperand(o, input), abs(c - 0.16667) < 1e-4 else { return nil }
            return c
        }
        /// clamp(·, 0, 1) as MINIMUM 1 then RELU / MAXIMUM 0, or the reverse order.
        func isUnitClamp(_ first: TFLiteOperator, _ input: Int) throws -> Bool {
            guard let mid = first.outputs.first, let second = single(mid) else { return false }
            func isMin(_ o: TFLiteOperator, _ i: Int) throws -> Bool {
                guard o.op == .minimum else { return false }
                return try constantOperand(o, i) == 1
            }
            func isMax(_ o: TFLiteOperator, _ i: Int) throws -> Bool {
                if o.op == .relu { return true }
                guard o.op == .maximum else { return false }
                return try constantOperand(o, i) == 0
            }
            let minFirst = try isMin(first, input)
            let maxSecond = try isMax(second, mid)
            let maxFirst = try isMax(first, input)
            let minSecond = try isMin(second, mid)
            return (minFirst && maxSecond) || (maxFirst && minSecond)
        }

        guard let next = single(out) else {
            throw FlatBufferError(message: "\(describe(op)): unrecognised squeeze-excitation gate (its output has several users)")
        }
        switch op.fusedActivation {
        case .relu6:
            if let m = try sixth(next, out) {
                return GateFold(gate: .hardSigmoidRelu6, biasShift: 3, outputScale: m / 0.16667)
            }
        case .none:
            if next.op == .logistic { return GateFold(gate: .sigmoid) }
            if try isUnitClamp(next, out) {
                // Folded affine: stored = 0.2·canonical (+ 0.5 in the bias).
                return GateFold(gate: .hardSigmoidLinear, kernelScale: 5, biasShift: 2.5)
            }
            if next.op == .add, next.fusedActivation == .relu6, try constantOperand(next, out) == 3,
               let addOut = next.outputs.first, let mul = single(addOut), let m = try sixth(mul, addOut) {
                return GateFold(gate: .hardSigmoidRelu6, outputScale: m / 0.16667)
            }
            if next.op == .mul, try constantOperand(next, out).map({ abs($0 - 0.2) < 1e-6 }) == true,
               let mulOut = next.outputs.first, let add = single(mulOut), add.op == .add,
               try constantOperand(add, mulOut) == 0.5, let addOut = add.outputs.first,
               let clamp = single(addOut), try isUnitClamp(clamp, addOut) {
                return GateFold(gate: .hardSigmoidLinear)
            }
        default:
            break
        }
        throw FlatBufferError(message: "\(describe(op)): unrecognised squeeze-excitation gate (expected relu6(x+3)·0.16667, clamp(0.2x+0.5, 0, 1) or sigmoid)")
    }

    /// The flavour of the mapped graph, and the SE bias corrections it implies.
    func inferFlavour(_ m: inout TFLiteMapping) throws -> Flavour {
        func act(_ u: TFLiteUnit) throws -> Activation { try activation(after: m.unitOps[u]!) }
        let units = m.unitOps.keys.sorted { $0.key < $1.key }

        var main: Activation?
        for u in units where ["conv", "expansion", "feature", "feature_temporal", "project", "se/reduce"].contains(u.unit) {
            let a = try act(u)
            if let seen = main, seen != a {
                throw FlatBufferError(message: "mixed activations: '\(u)' uses \(a.rawValue), others \(seen.rawValue)")
            }
            main = a
        }
        for u in units where ["projection", "skip", "logits"].contains(u.unit) {
            let a = try act(u)
            guard a == .identity else {
                throw FlatBufferError(message: "'\(u)' is followed by \(a.rawValue); MoViNet has no activation there")
            }
        }
        guard let mainActivation = main, mainActivation != .identity else {
            throw FlatBufferError(message: "no activation found after the stem and expansion convs")
        }
        let classifier = try act(TFLiteUnit(layer: "classifier", unit: "head"))

        // Squeeze-excitation: every block layer has it, or none does.
        let layers = Set(units.filter { TFLiteUnit.isBlockLayer($0.layer) }.map(\.layer))
        let withSE = units.filter { $0.unit == "se/expand" }
        var se = SEType.none
        var gate = Gate.hardSigmoidRelu6  // irrelevant without SE
        if !withSE.isEmpty {
            guard Set(withSE.map(\.layer)) == layers else {
                throw FlatBufferError(message: "squeeze-excitation in only some block layers (\(withSE.count) of \(layers.count))")
            }
            var gates = Set<Gate>()
            for u in withSE {
                let g = try self.gate(after: m.unitOps[u]!)
                gates.insert(g.gate)
                if g.kernelScale != 1, let k = m.tensors[u.key + "/kernel"] {
                    let scale = g.kernelScale
                    m.tensors[u.key + "/kernel"] = k.mapped { $0 * scale }
                }
                if g.kernelScale != 1 || g.biasShift != 0, let b = m.tensors[u.key + "/bias"] {
                    m.tensors[u.key + "/bias"] = Tensor(shape: b.shape, data: b.data.map { $0 * g.kernelScale - g.biasShift })
                }
                if g.outputScale != 1, let p = m.tensors["\(u.layer)/projection/kernel"] {
                    let scale = g.outputScale
                    m.tensors["\(u.layer)/projection/kernel"] = p.mapped { $0 * scale }
                }
                let reduceIn = m.tensors["\(u.layer)/se/reduce/kernel"]?.shape.first ?? 0
                let e = m.tensors["\(u.layer)/expansion/kernel"]?.shape.last ?? -1
                let type: SEType = reduceIn == 2 * e ? .se2plus3d : reduceIn == e ? .se3d : .none
                guard type != .none else {
                    throw FlatBufferError(message: "'\(u.layer)' SE reduce takes \(reduceIn) channels for an expansion of \(e)")
                }
                if se != .none && se != type {
                    throw FlatBufferError(message: "mixed squeeze-excitation types")
                }
                se = type
            }
            guard gates.count == 1 else { throw FlatBufferError(message: "mixed squeeze-excitation gates") }
            gate = gates.first!
        }
        return Flavour(conv: .conv2plus1d, se: se, activation: mainActivation, gate: gate,
                       classifierActivation: classifier, causal: true)
    }
}
