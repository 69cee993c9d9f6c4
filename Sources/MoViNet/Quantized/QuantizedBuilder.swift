// Builds a QuantizedProgram from a TFLite graph with int8 activations, operator by operator,
// deriving every requantization constant the way XNNPACK (and, for AVERAGE_POOL_2D, TFLite) does.

extension QuantizedProgram {
    /// Whether the graph computes in int8: some convolution takes an int8 activation.
    static func quantizesActivations(_ model: TFLiteModel) -> Bool {
        let sg = model.subgraph
        return sg.operators.contains { op in
            (op.op == .conv2D || op.op == .depthwiseConv2D) && op.inputs.first.map { $0 >= 0 && sg.tensors[$0].type == .int8 } == true
        }
    }

    /// The plan of `model`'s first subgraph; throws naming the operator it cannot execute in int8.
    convenience init(model: TFLiteModel) throws {
        var b = Builder(model: model)
        try b.build()
        self.init(inputSize: b.inputSize, numClasses: b.numClasses, slots: b.slots, steps: b.steps, image: b.imageSlot,
                  logits: b.logitsSlot, carries: b.carries, macsPerFrame: b.macs)
    }
}

private struct Builder {
    let model: TFLiteModel
    var tensors: [TFLiteTensor] { model.subgraph.tensors }
    var slots: [QuantizedSlot] = []
    var slotOf: [Int: Int] = [:]
    var steps: [QuantizedStep] = []
    var carries: [QuantizedCarry] = []
    var dropped: Set<Int> = []          // operator indices not executed
    var consumers: [Int: [Int]] = [:]   // tensor → operators reading it
    /// int8 carries: the state a frame computes (a slice) → the tensor the next frame reads.
    var carryTarget: [Int: Int] = [:]
    /// Carry sources written straight into their target's slot (no copy between frames).
    var inPlace: Set<Int> = []
    var imageSlot = -1, logitsSlot = -1, inputSize = 0, numClasses = 0, macs = 0

    init(model: TFLiteModel) { self.model = model }

    func fail(_ op: TFLiteOperator, _ why: String) -> FlatBufferError {
        FlatBufferError(message: "int8 execution: operator \(op.index) (\(op.op.map { "\($0)" } ?? "code \(op.opcode)")): \(why)")
    }

    func quantization(_ t: Int) -> AffineQuantization? {
        guard let q = tensors[t].quantization, !q.scale.isEmpty else { return nil }
        return AffineQuantization(scale: q.scale, zeroPoint: Int32(q.zeroPoint.first ?? 0))
    }

    func element(_ t: Int) -> QuantizedElement? {
        switch tensors[t].type {
        case .int8: .int8
        case .float32: .float32
        case .int32: .int32
        default: nil
        }
    }

    mutating func newSlot(_ t: Int) throws -> Int {
        guard let e = element(t) else {
            throw FlatBufferError(message: "int8 execution: tensor \(t) '\(tensors[t].name)' has type \(tensors[t].type)")
        }
        slots.append(QuantizedSlot(element: e, count: tensors[t].elementCount, constant: nil))
        slotOf[t] = slots.count - 1
        return slots.count - 1
    }

    /// The slot of an operand: computed before, a graph input, or a constant (copied once).
    mutating func slot(_ t: Int) throws -> Int {
        if let s = slotOf[t] { return s }
        guard let bytes = try model.constantBytes(t) else {
            throw FlatBufferError(message: "int8 execution: tensor \(t) '\(tensors[t].name)' is used before it is computed")
        }
        let s = try newSlot(t)
        slots[s].constant = Array(bytes)
        return s
    }

    func int8Constant(_ t: Int) throws -> [Int8] {
        guard let bytes = try model.constantBytes(t), tensors[t].type == .int8 else {
            throw FlatBufferError(message: "int8 execution: tensor '\(tensors[t].name)' is not a constant int8 weight")
        }
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Int8.self)) }
    }

    func int32Constant(_ t: Int) throws -> [Int32] {
        guard let bytes = try model.constantBytes(t), tensors[t].type == .int32 else {
            throw FlatBufferError(message: "int8 execution: tensor '\(tensors[t].name)' is not a constant int32 tensor")
        }
        // Little-endian, as the flatbuffer stores it and as x86-64 and arm64 hold it.
        return bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        }
    }

    /// The int8 output range of a fused activation (XNNPACK: the float bounds quantized and clamped).
    func range(_ op: TFLiteOperator, _ q: AffineQuantization) throws -> OutputRange {
        func quantized(_ x: Float) -> Int32 {
            Int32(max(-128, min(127, (x / q.scale[0]).rounded(.toNearestOrEven) + Float(q.zeroPoint))))
        }
        switch op.fusedActivation {
        case .none: return OutputRange(zeroPoint: q.zeroPoint, min: -128, max: 127)
        case .relu: return OutputRange(zeroPoint: q.zeroPoint, min: quantized(0), max: 127)
        case .relu6: return OutputRange(zeroPoint: q.zeroPoint, min: quantized(0), max: quantized(6))
        case .reluN1To1: return OutputRange(zeroPoint: q.zeroPoint, min: quantized(-1), max: quantized(1))
        default: throw fail(op, "unsupported fused activation \(op.fusedActivation)")
        }
    }

    mutating func build() throws {
        let sg = model.subgraph
        guard let image = model.signatureInputs["image"], let logits = model.signatureOutputs["logits"] else {
            throw FlatBufferError(message: "int8 execution: the graph has no 'image' input or 'logits' output signature")
        }
        let s = tensors[image].shape
        guard s.count == 5, s[2] == s[3], tensors[image].type == .float32 else {
            throw FlatBufferError(message: "int8 execution: the 'image' input is \(s) \(tensors[image].type)")
        }
        inputSize = s[2]
        numClasses = tensors[logits].elementCount
        var producer: [Int: Int] = [:]
        for op in sg.operators {
            for i in op.inputs where i >= 0 { consumers[i, default: []].append(op.index) }
            for o in op.outputs { producer[o] = op.index }
        }

        // States: int8 carries where the DEQUANTIZE → QUANTIZE round trip is exact, else as the graph says.
        var floatCarries: [(String, Int, Int)] = []
        var int8Carries: [(String, Int, Int)] = []   // (name, int8 source tensor, int8 destination tensor)
        for (name, input) in model.signatureInputs.sorted(by: { $0.key < $1.key }) where name != "image" {
            guard let output = model.signatureOutputs[name] else {
                throw FlatBufferError(message: "int8 execution: state input '\(name)' has no output of the same name")
            }
            if output == input { continue }   // passed through unchanged
            if let users = consumers[input], users.count == 1, sg.operators[users[0]].op == .quantize,
               let dq = producer[output], sg.operators[dq].op == .dequantize, consumers[output] == nil,
               let q = sg.operators[users[0]].outputs.first, let z = sg.operators[dq].inputs.first,
               let qq = quantization(q), qq == quantization(z), tensors[q].elementCount == tensors[z].elementCount {
                dropped.insert(users[0])
                dropped.insert(dq)
                int8Carries.append((name, z, q))
                carryTarget[z] = q
                _ = try newSlot(q)
            } else {
                floatCarries.append((name, output, input))
                _ = try newSlot(input)
            }
        }
        imageSlot = try newSlot(image)

        for op in sg.operators where !dropped.contains(op.index) {
            try step(op)
        }
        guard let l = slotOf[logits], slots[l].element == .float32 else {
            throw FlatBufferError(message: "int8 execution: the logits are not computed as float32")
        }
        logitsSlot = l
        for (name, from, to) in int8Carries {
            guard let f = slotOf[from], let t = slotOf[to] else { continue }
            if inPlace.contains(from) {
                let zp = UInt8(bitPattern: Int8(truncatingIfNeeded: quantization(to)!.zeroPoint))
                carries.append(QuantizedCarry(name: name, from: t, to: t, reset: [UInt8](repeating: zp, count: slots[t].count)))
                continue
            }
            let zp = UInt8(bitPattern: Int8(truncatingIfNeeded: quantization(to)!.zeroPoint))
            carries.append(QuantizedCarry(name: name, from: f, to: t, reset: [UInt8](repeating: zp, count: slots[t].count)))
        }
        for (name, from, to) in floatCarries {
            guard let f = slotOf[from], let t = slotOf[to], slots[f].byteCount == slots[t].byteCount else {
                throw FlatBufferError(message: "int8 execution: state '\(name)' is not computed")
            }
            carries.append(QuantizedCarry(name: name, from: f, to: t, reset: [UInt8](repeating: 0, count: slots[t].byteCount)))
        }
    }

    /// SAME padding before the data (TF: the extra pixel goes after).
    func padBefore(_ size: Int, _ out: Int, _ k: Int, _ stride: Int, same: Bool) -> Int {
        same ? max((out - 1) * stride + k - size, 0) / 2 : 0
    }

    mutating func step(_ op: TFLiteOperator) throws {
        guard let kind = op.op else { throw fail(op, "custom operators are not supported") }
        let ins = op.inputs, out = op.outputs.first ?? -1
        guard out >= 0 else { throw fail(op, "no output") }
        let oshape = tensors[out].shape
        switch kind {
        case .reshape:
            let src = try slot(ins[0])
            guard slots[src].count == tensors[out].elementCount else { throw fail(op, "reshape changes the element count") }
            slotOf[out] = src

        case .quantize:
            guard tensors[ins[0]].type == .float32, tensors[out].type == .int8, let q = quantization(out) else {
                throw fail(op, "only float32 → int8 quantization is supported")
            }
            let src = try slot(ins[0])
            steps.append(.quantize(src: src, dst: try newSlot(out), count: tensors[out].elementCount,
                                   inverseScale: 1 / q.scale[0], zeroPoint: q.zeroPoint))

        case .dequantize:
            guard tensors[ins[0]].type == .int8, let q = quantization(ins[0]), slotOf[ins[0]] != nil else {
                throw fail(op, "only computed int8 → float32 dequantization is supported")
            }
            steps.append(.dequantize(src: try slot(ins[0]), dst: try newSlot(out), count: tensors[out].elementCount,
                                     scale: q.scale[0], zeroPoint: q.zeroPoint))

        case .conv2D:
            try conv(op, depthwise: false)
        case .depthwiseConv2D:
            try conv(op, depthwise: true)

        case .add where tensors[out].type == .int32:
            guard tensors[ins[1]].elementCount == 1 || tensors[ins[1]].elementCount == tensors[out].elementCount,
                  tensors[ins[0]].elementCount == tensors[out].elementCount else { throw fail(op, "unsupported broadcast") }
            steps.append(.addInt32(a: try slot(ins[0]), b: try slot(ins[1]), dst: try newSlot(out),
                                   count: tensors[out].elementCount, bCount: tensors[ins[1]].elementCount))

        case .add, .mul:
            guard tensors[out].type == .int8, let qa = quantization(ins[0]), let qb = quantization(ins[1]),
                  let qy = quantization(out) else { throw fail(op, "only int8 operands are supported") }
            let n = tensors[out].elementCount
            guard tensors[ins[0]].elementCount == n, tensors[ins[1]].elementCount == n else {
                throw fail(op, "operands of different shapes (\(tensors[ins[0]].shape), \(tensors[ins[1]].shape))")
            }
            let r = try range(op, qy)
            let a = try slot(ins[0]), bb = try slot(ins[1]), dst = try newSlot(out)
            if kind == .add {
                let aScale = qa.scale[0] / qy.scale[0], bScale = qb.scale[0] / qy.scale[0]
                let largest = max(abs(aScale), abs(bScale))
                guard largest >= 0x1p-10, largest < 0x1p8 else { throw fail(op, "scale ratio out of XNNPACK's range") }
                let exponent = Int32((largest.bitPattern >> 23) & 0xFF) - 127
                let shift = 20 - exponent
                let am = Int32((aScale * Float(sign: .plus, exponent: Int(shift), significand: 1)).rounded(.toNearestOrEven))
                let bm = Int32((bScale * Float(sign: .plus, exponent: Int(shift), significand: 1)).rounded(.toNearestOrEven))
                let bias = (Int32(1) << (shift - 1)) - am * qa.zeroPoint - bm * qb.zeroPoint
                steps.append(.add(a: a, b: bb, dst: dst, count: n,
                                  QuantizedAddParams(aMultiplier: am, bMultiplier: bm, bias: bias, shift: shift, range: r)))
            } else {
                let scale = qa.scale[0] * qb.scale[0] / qy.scale[0]
                steps.append(.mul(a: a, b: bb, dst: dst, count: n,
                                  QuantizedMulParams(aZeroPoint: qa.zeroPoint, bZeroPoint: qb.zeroPoint, scale: scale, range: r)))
            }

        case .averagePool2D:
            let s = tensors[ins[0]].shape
            guard s.count == 4, oshape.count == 4, tensors[out].type == .int8,
                  op.filter.map({ $0 == (3, 3) }) == true, op.strides.map({ $0 == (2, 2) }) == true, op.padding == 0,
                  op.fusedActivation == .none, quantization(ins[0]) == quantization(out)
            else { throw fail(op, "only int8 3×3 / 2 SAME pools with equal input and output quantization are supported") }
            steps.append(.averagePool(src: try slot(ins[0]), dst: try newSlot(out), h: s[1], w: s[2], c: s[3],
                                      oh: oshape[1], ow: oshape[2], padTop: padBefore(s[1], oshape[1], 3, 2, same: true),
                                      padLeft: padBefore(s[2], oshape[2], 3, 2, same: true)))

        case .sum:
            let s = tensors[ins[0]].shape
            guard tensors[out].type == .int8, let qx = quantization(ins[0]), let qy = quantization(out) else {
                throw fail(op, "only int8 sums are supported")
            }
            let axes = try int32Constant(ins[1]).map { Int($0) < 0 ? Int($0) + s.count : Int($0) }.sorted()
            guard let first = axes.first, let last = axes.last, last - first + 1 == axes.count, last < s.count else {
                throw fail(op, "the summed axes \(axes) are not contiguous")
            }
            let outer = s[..<first].reduce(1, *), reduced = s[first...last].reduce(1, *), inner = s[(last + 1)...].reduce(1, *)
            steps.append(.sum(src: try slot(ins[0]), dst: try newSlot(out), outer: outer, reduced: reduced, inner: inner,
                              scale: qx.scale[0] / qy.scale[0], inZeroPoint: qx.zeroPoint, range: try range(op, qy)))

        case .concatenation:
            let q = quantization(out)
            for i in ins where quantization(i) != q || tensors[i].type != tensors[out].type {
                throw fail(op, "inputs with other quantization than the output")
            }
            let rank = oshape.count
            guard let axis = (0..<rank).first(where: { d in
                ins.reduce(0) { $0 + tensors[$1].shape[d] } == oshape[d]
                    && ins.allSatisfy { i in (0..<rank).allSatisfy { $0 == d || tensors[i].shape[$0] == oshape[$0] } }
            }) else { throw fail(op, "cannot tell the concatenation axis") }
            let size = element(out) == .int8 ? 1 : 4
            let outer = oshape[..<axis].reduce(1, *)
            let sizes = ins.map { tensors[$0].shape[axis...].reduce(1, *) * size }
            let srcs = try ins.map { try slot($0) }
            steps.append(.concat(srcs: srcs, dst: try newSlot(out), outer: outer, sizes: sizes))

        case .stridedSlice:
            let s = tensors[ins[0]].shape
            let begin = try int32Constant(ins[1]), strides = try int32Constant(ins[3])
            guard s.count == oshape.count, begin.count == s.count, strides.allSatisfy({ $0 == 1 }) else {
                throw fail(op, "only unit-stride slices are supported")
            }
            let cut = (0..<s.count).filter { s[$0] != oshape[$0] }
            guard cut.count <= 1 else { throw fail(op, "slices along several axes are not supported") }
            let size = element(out) == .int8 ? 1 : 4
            let d = cut.first ?? 0
            var start = Int(begin[d])
            if start < 0 { start += s[d] }
            if cut.isEmpty { start = 0 }
            guard start >= 0, start + oshape[d] <= s[d] else { throw fail(op, "slice out of bounds") }
            let inner = s[(d + 1)...].reduce(1, *) * size
            // A stream buffer's new state goes straight where the next frame reads it, when every
            // reader of that slot has run by now and nothing else reads the slice.
            let dst: Int
            if let target = carryTarget[out], let t = slotOf[target],
               (consumers[target] ?? []).allSatisfy({ $0 < op.index }),
               (consumers[out] ?? []).allSatisfy({ dropped.contains($0) }), slots[t].count == tensors[out].elementCount {
                dst = t
                slotOf[out] = t
                inPlace.insert(out)
            } else {
                dst = try newSlot(out)
            }
            steps.append(.slice(src: try slot(ins[0]), dst: dst, outer: s[..<d].reduce(1, *),
                                total: s[d] * inner, offset: start * inner, length: oshape[d] * inner))

        case .cast:
            guard tensors[ins[0]].type == .int32, tensors[out].type == .float32 else { throw fail(op, "only int32 → float32 casts") }
            steps.append(.castToFloat(src: try slot(ins[0]), dst: try newSlot(out), count: tensors[out].elementCount))

        case .div:
            guard tensors[out].type == .float32, tensors[ins[0]].elementCount == tensors[out].elementCount,
                  tensors[ins[1]].elementCount == 1 || tensors[ins[1]].elementCount == tensors[out].elementCount,
                  op.fusedActivation == .none
            else { throw fail(op, "only float32 division by a scalar or an equal shape") }
            steps.append(.divide(a: try slot(ins[0]), b: try slot(ins[1]), dst: try newSlot(out),
                                 count: tensors[out].elementCount, bCount: tensors[ins[1]].elementCount))

        default:
            throw fail(op, "not supported in int8 execution")
        }
    }

    mutating func conv(_ op: TFLiteOperator, depthwise: Bool) throws {
        let ins = op.inputs, out = op.outputs[0]
        guard ins.count >= 3, ins[2] >= 0, tensors[ins[0]].type == .int8, tensors[out].type == .int8,
              let qx = quantization(ins[0]), let qw = quantization(ins[1]), let qy = quantization(out)
        else { throw fail(op, "needs int8 input, weights, output and an int32 bias") }
        let xs = tensors[ins[0]].shape, ws = tensors[ins[1]].shape, ys = tensors[out].shape
        guard xs.count == 4, ws.count == 4, ys.count == 4, xs[0] == 1 else { throw fail(op, "unexpected shapes") }
        if let d = op.dilation, d != (1, 1) { throw fail(op, "dilation is not supported") }
        let w = try int8Constant(ins[1]), bias = try int32Constant(ins[2])
        let cout = ys[3]
        guard bias.count == cout, qw.scale.count == cout || qw.scale.count == 1, qw.zeroPoint == 0 else {
            throw fail(op, "bias or weight quantization does not match \(cout) channels")
        }
        let wScale = { (o: Int) in qw.scale.count == 1 ? qw.scale[0] : qw.scale[o] }
        let scales = (0..<cout).map { qx.scale[0] * wScale($0) / qy.scale[0] }
        let r = try range(op, qy)
        let stride = op.strides?.h ?? 1
        guard (op.strides?.w ?? 1) == stride else { throw fail(op, "unequal strides") }
        let same = op.padding == 0
        let (h, wd, cin) = (xs[1], xs[2], xs[3])
        let (oh, ow) = (ys[1], ys[2])
        let src = try slot(ins[0])
        if depthwise {
            let (kh, kw) = (ws[1], ws[2])
            guard ws[0] == 1, ws[3] == cout, cin == cout else { throw fail(op, "only depth multiplier 1 is supported") }
            let cp = (cout + 7) & ~7
            func padded<T: FixedWidthInteger>(_ v: [T], rows: Int) -> [T] {
                var o = [T](repeating: 0, count: rows * cp)
                o.withUnsafeMutableBufferPointer { dst in
                    v.withUnsafeBufferPointer { src in
                        for r in 0..<rows {
                            (dst.baseAddress! + r * cp).update(from: src.baseAddress! + r * cout, count: cout)
                        }
                    }
                }
                return o
            }
            let wi = padded(w.map(Int32.init), rows: kh * kw)
            let bi = padded(bias, rows: 1)
            var sc = [Float](repeating: 0, count: cp)
            for c in 0..<cout { sc[c] = scales[c] }
            macs += oh * ow * cout * kh * kw
            if kw == 1, oh == 1, !same, stride == 1, kh == h {
                steps.append(.temporal(src: src, dst: try newSlot(out), QuantizedTemporal(
                    kt: kh, pixels: wd, c: cout, cPadded: cp, inZeroPoint: qx.zeroPoint, weights: wi,
                    pairWeights: pairedTapWeights(wi, taps: kh, cPadded: cp), bias: bi, scale: sc, range: r)))
            } else {
                steps.append(.depthwise(src: src, dst: try newSlot(out), QuantizedDepthwise(
                    h: h, w: wd, c: cout, cPadded: cp, kh: kh, kw: kw, stride: stride, oh: oh, ow: ow,
                    padTop: padBefore(h, oh, kh, stride, same: same), padLeft: padBefore(wd, ow, kw, stride, same: same),
                    inZeroPoint: qx.zeroPoint, weights: wi, pairWeights: pairedTapWeights(wi, taps: kh * kw, cPadded: cp),
                    bias: bi, scale: sc, range: r)))
            }
            return
        }
        let (kh, kw) = (ws[1], ws[2])
        guard ws[0] == cout, ws[3] == cin else { throw fail(op, "weights \(ws) do not match the input \(xs)") }
        macs += oh * ow * cout * kh * kw * cin
        let gemm = QuantizedPointwise.pack(w, bias: bias, scales: scales, k: kh * kw * cin, n: cout, xZeroPoint: qx.zeroPoint, range: r)
        if kh == 1, kw == 1, stride == 1, oh == h, ow == wd {
            steps.append(.pointwise(src: src, dst: try newSlot(out), pixels: oh * ow, gemm))
            return
        }
        let cp = (cout + 7) & ~7
        var wi = [Int32](repeating: 0, count: kh * kw * cin * cp)
        for o in 0..<cout {
            for t in 0..<(kh * kw * cin) { wi[t * cp + o] = Int32(w[o * kh * kw * cin + t]) }
        }
        var bi = [Int32](repeating: 0, count: cp), sc = [Float](repeating: 0, count: cp)
        for o in 0..<cout { bi[o] = bias[o]; sc[o] = scales[o] }
        steps.append(.conv(src: src, dst: try newSlot(out), QuantizedConv(
            h: h, w: wd, cin: cin, cout: cout, coutPadded: cp, kh: kh, kw: kw, stride: stride, oh: oh, ow: ow,
            padTop: padBefore(h, oh, kh, stride, same: same), padLeft: padBefore(wd, ow, kw, stride, same: same),
            inZeroPoint: qx.zeroPoint, weights: wi, bias: bi, scale: sc, range: r, gemm: gemm)))
    }
}

extension QuantizedPointwise {
    /// int8 weights (n, k) row-major packed for the GEMM, with the input zero point folded into the bias.
    static func pack(_ w: [Int8], bias: [Int32], scales: [Float], k: Int, n: Int, xZeroPoint: Int32,
                       range r: OutputRange) -> QuantizedPointwise {
        let kPairs = (k + 1) / 2, nBlocks = (n + 7) / 8
        var packed = [Int16](repeating: 0, count: nBlocks * kPairs * 16)
        var bp = [Int32](repeating: 0, count: nBlocks * 8), sp = [Float](repeating: 0, count: nBlocks * 8)
        // Blocks of 8 outputs; in a block, input pair j of output o at (j · 16 + o · 2), the pair's
        // two inputs side by side.
        w.withUnsafeBufferPointer { src in
            packed.withUnsafeMutableBufferPointer { dst in
                for o in 0..<n {
                    let row = src.baseAddress! + o * k
                    let out = dst.baseAddress! + (o / 8) * kPairs * 16 + (o % 8) * 2
                    var sumW: Int32 = 0
                    for c in 0..<k {
                        sumW += Int32(row[c])
                        out[(c >> 1) * 16 + (c & 1)] = Int16(row[c])
                    }
                    bp[o] = bias[o] - xZeroPoint * sumW
                    sp[o] = scales[o]
                }
            }
        }
        return QuantizedPointwise(k: k, n: n, kPairs: kPairs, nBlocks: nBlocks, weights: packed, bias: bp, scale: sp, range: r)
    }
}
