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

    /// The SE gate after a `se_expand` conv, and the constant to subtract from its bias (the
    /// converter folds the `+ 3` of relu6(x + 3)·0.16667 into the bias).
    func gate(after opIndex: Int) throws -> (gate: Gate, biasShift: Float, constants: [Int]) {
        let op = ops[opIndex]
        guard let out = op.outputs.first else { throw FlatBufferError(message: "\(describe(op)) has no output") }
        let next = (consumers[out] ?? []).map { ops[$0] }
        func relu6Mul(_ mulOp: TFLiteOperator, input: Int) throws -> (Float, [Int])? {
            guard mulOp.op == .mul, mulOp.fusedActivation == .none, mulOp.inputs.count == 2 else { return nil }
            let other = mulOp.inputs[0] == input ? mulOp.inputs[1] : mulOp.inputs[0]
            // 0.16667 (current Model Garden) or 1/6; float16 files store it rounded to
            // 0.16662598 (half an ulp of float16 there is 6.1e-5).
            guard let c = try uniformConstant(other), abs(c.value - 0.16667) < 1e-4 else { return nil }
            return (c.value, c.sources)
        }
        if op.fusedActivation == .relu6, next.count == 1, let (_, sources) = try relu6Mul(next[0], input: out) {
            return (.hardSigmoidRelu6, 3, sources)
        }
        if op.fusedActivation == .none, next.count == 1 {
            let n = next[0]
            if n.op == .logistic { return (.sigmoid, 0, []) }
            // Unfolded: ADD 3 (fused RELU6) then MUL 0.16667.
            if n.op == .add, n.fusedActivation == .relu6, n.inputs.count == 2, let addOut = n.outputs.first {
                let other = n.inputs[0] == out ? n.inputs[1] : n.inputs[0]
                if let three = try uniformConstant(other), three.value == 3,
                   let after = consumers[addOut], after.count == 1,
                   let (_, sources) = try relu6Mul(ops[after[0]], input: addOut) {
                    return (.hardSigmoidRelu6, 0, three.sources + sources)
                }
            }
        }
        throw FlatBufferError(message: "\(describe(op)): unrecognised squeeze-excitation gate (expected relu6(x+3)·0.16667 or sigmoid)")
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
                if g.biasShift != 0, let b = m.tensors[u.key + "/bias"] {
                    m.tensors[u.key + "/bias"] = Tensor(shape: b.shape, data: b.data.map { $0 - g.biasShift })
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
