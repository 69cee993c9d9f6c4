// Executes a QuantizedProgram one frame at a time: owns the slots (activations, states, constants).

/// The run state of the int8 path: one allocation per slot, made once; the stream state is carried
/// in the slots between calls. Not thread-safe.
final class QuantizedRunner {
    let program: QuantizedProgram
    let parallel: Parallel
    let kernels: KernelSet
    private let memory: [UnsafeMutableRawPointer]
    /// The zero-point-padded input of the paired depthwise kernel (the largest one).
    private let padded: UnsafeMutablePointer<Int8>
    private let paddedCount: Int
    /// The im2col patches of the AVX2 general conv.
    private let patches: UnsafeMutablePointer<Int8>
    private let patchCount: Int
    /// The frame being stepped: the image QUANTIZE reads it in place.
    private var frame: UnsafePointer<Float>?
    #if arch(x86_64)
    /// Step i packed for the VNNI kernels (the avx512vnni set; nil for steps without them).
    private let vnni: [VNNIStep?]
    /// The quad buffer of the VNNI depthwise convs (the largest one).
    private let quads: UnsafeMutablePointer<Int8>
    #endif

    init(program: QuantizedProgram, threads: Int, kernels: KernelSet = .selected) {
        self.program = program
        self.kernels = kernels
        parallel = Parallel(threads: threads)
        memory = program.slots.map { slot in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(64, slot.byteCount + 32), alignment: 64)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: max(64, slot.byteCount + 32))
            if let c = slot.constant { c.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: c.count) } }
            return p
        }
        var most = 64
        for step in program.steps {
            switch step {
            case let .depthwise(_, _, m): most = max(most, m.paddedH * m.paddedW * m.c)
            case let .conv(_, _, m): most = max(most, m.paddedH * m.paddedW * m.cin)
            default: break
            }
        }
        var patches = 64
        for case let .conv(_, _, m) in program.steps { patches = max(patches, m.oh * m.ow * m.gemm.k) }
        patchCount = patches
        self.patches = .allocate(capacity: patches + 32)
        paddedCount = most
        padded = .allocate(capacity: most + 32)
        #if arch(x86_64)
        vnni = program.steps.map { step in kernels == .avx512vnni ? VNNIStep(step) : nil }
        var quadBytes = 64
        for case .depthwise(let d)? in vnni { quadBytes = max(quadBytes, d.quadBytes) }
        quads = .allocate(capacity: quadBytes)
        #endif
        reset()
    }

    deinit {
        for p in memory { p.deallocate() }
        padded.deallocate()
        patches.deallocate()
        #if arch(x86_64)
        quads.deallocate()
        #endif
    }

    /// Zero states (their quantized value where carried as int8).
    func reset() {
        for c in program.carries {
            c.reset.withUnsafeBytes { memory[c.to].copyMemory(from: $0.baseAddress!, byteCount: c.reset.count) }
        }
    }

    private func i8(_ s: Int) -> UnsafeMutablePointer<Int8> { memory[s].assumingMemoryBound(to: Int8.self) }
    private func f32(_ s: Int) -> UnsafeMutablePointer<Float> { memory[s].assumingMemoryBound(to: Float.self) }
    private func i32(_ s: Int) -> UnsafeMutablePointer<Int32> { memory[s].assumingMemoryBound(to: Int32.self) }

    /// Consumes one frame (S·S·3 floats in [0, 1]) and returns the logits after it.
    func step(_ frame: UnsafePointer<Float>) -> UnsafeBufferPointer<Float> {
        advance(frame, through: program.steps.count)
        return UnsafeBufferPointer(start: f32(program.logits), count: program.numClasses)
    }

    /// Consumes one frame without the steps that only compute its logits (see `logits()`).
    func advance(_ frame: UnsafePointer<Float>) {
        advance(frame, through: program.logitsFrom)
    }

    /// The logits after the frames consumed so far: the classifier steps that `advance` left out,
    /// run on the state the last frame left.
    func logits() -> UnsafeBufferPointer<Float> {
        for i in program.logitsFrom..<program.steps.count { run(i) }
        return UnsafeBufferPointer(start: f32(program.logits), count: program.numClasses)
    }

    private func advance(_ frame: UnsafePointer<Float>, through end: Int) {
        self.frame = frame
        defer { self.frame = nil }
        for i in 0..<end { run(i) }
        for c in program.carries where c.from != c.to {
            memory[c.to].copyMemory(from: memory[c.from], byteCount: program.slots[c.to].byteCount)
        }
    }

    /// The paired-tap depthwise kernels exist on x86-64 only (the avx2 and avx512vnni sets).
    private var avx2Paired: Bool {
        #if arch(x86_64)
        kernels != .portable
        #else
        false
        #endif
    }

    private func run(_ index: Int) {
        #if arch(x86_64)
        if let packed = vnni[index] {
            runVNNI(program.steps[index], packed)
            return
        }
        #endif
        switch program.steps[index] {
        case let .quantize(src, dst, count, inverseScale, zeroPoint):
            let x = src == program.image ? frame! : UnsafePointer(f32(src))
            quantizeFloats(x, i8(dst), count: count, inverseScale: inverseScale, zeroPoint: zeroPoint)
        case let .dequantize(src, dst, count, scale, zeroPoint):
            dequantizeInt8(i8(src), f32(dst), count: count, scale: scale, zeroPoint: zeroPoint)
        case let .pointwise(src, dst, pixels, m):
            let x = i8(src), y = i8(dst)
            m.weights.withUnsafeBufferPointer { w in
                m.bias.withUnsafeBufferPointer { b in
                    m.scale.withUnsafeBufferPointer { s in
                        let avx2 = kernels == .avx2
                        parallel.run(pixels, granule: 4, work: pixels * m.k * m.n) { rows in
                            if avx2 {
                                #if arch(x86_64)
                                quantizedPointwiseAVX2(x, y, rows: rows, m, weights: w.baseAddress!,
                                                       bias: b.baseAddress!, scale: s.baseAddress!)
                                #endif
                            } else {
                                quantizedPointwise(PortablePairs.self, x, y, rows: rows, m, weights: w.baseAddress!,
                                                   bias: b.baseAddress!, scale: s.baseAddress!)
                            }
                        }
                    }
                }
            }
        #if arch(x86_64)
        case let .conv(src, dst, m) where avx2Paired:
            let pw = m.paddedW, pad = padded, cols = patches, y = i8(dst), g = m.gemm
            padConvInput(src, m)
            g.weights.withUnsafeBufferPointer { w in
                g.bias.withUnsafeBufferPointer { b in
                    g.scale.withUnsafeBufferPointer { s in
                        parallel.run(m.oh, work: m.oh * m.ow * g.k * g.n) { rows in
                            im2col(pad, pw: pw, m, rows: rows, cols)
                            quantizedPointwiseAVX2(cols, y, rows: (rows.lowerBound * m.ow)..<(rows.upperBound * m.ow), g,
                                                   weights: w.baseAddress!, bias: b.baseAddress!, scale: s.baseAddress!)
                        }
                    }
                }
            }
        case let .depthwise(src, dst, m) where avx2Paired && m.c % 8 == 0:
            let y = i8(dst), pw = m.paddedW, pad = padded
            padDepthwiseInput(src, m)
            m.tapOffsets.withUnsafeBufferPointer { o in
                m.pairWeights.withUnsafeBufferPointer { w in
                    m.bias.withUnsafeBufferPointer { b in
                        m.scale.withUnsafeBufferPointer { s in
                            parallel.run(m.oh, work: m.oh * m.ow * m.kh * m.kw * m.c) { rows in
                                quantizedDepthwisePaired(pad, pw: pw, y, rows: rows, m, offsets: o.baseAddress!,
                                                         pairWeights: w.baseAddress!, bias: b.baseAddress!, scale: s.baseAddress!)
                            }
                        }
                    }
                }
            }
        case let .temporal(src, dst, m) where avx2Paired && m.c % 8 == 0:
            let x = i8(src), y = i8(dst)
            m.pairWeights.withUnsafeBufferPointer { w in
                m.bias.withUnsafeBufferPointer { b in
                    m.scale.withUnsafeBufferPointer { s in
                        parallel.run(m.pixels, work: m.pixels * m.kt * m.c) { ps in
                            quantizedTemporalPaired(x, y, pixels: ps, m, pairWeights: w.baseAddress!, bias: b.baseAddress!,
                                                    scale: s.baseAddress!)
                        }
                    }
                }
            }
        #endif
        case let .conv(src, dst, m):
            let x = i8(src), y = i8(dst)
            m.weights.withUnsafeBufferPointer { w in
                m.bias.withUnsafeBufferPointer { b in
                    m.scale.withUnsafeBufferPointer { s in
                        parallel.run(m.oh, work: m.oh * m.ow * m.kh * m.kw * m.cin * m.cout) { rows in
                            quantizedConv(x, y, rows: rows, m, weights: w.baseAddress!, bias: b.baseAddress!,
                                          scale: s.baseAddress!)
                        }
                    }
                }
            }
        case let .depthwise(src, dst, m):
            let x = i8(src), y = i8(dst)
            m.weights.withUnsafeBufferPointer { w in
                m.bias.withUnsafeBufferPointer { b in
                    m.scale.withUnsafeBufferPointer { s in
                        parallel.run(m.oh, work: m.oh * m.ow * m.kh * m.kw * m.c) { rows in
                            quantizedDepthwise(x, y, rows: rows, m, weights: w.baseAddress!, bias: b.baseAddress!,
                                               scale: s.baseAddress!)
                        }
                    }
                }
            }
        case let .temporal(src, dst, m):
            let x = i8(src), y = i8(dst)
            m.weights.withUnsafeBufferPointer { w in
                m.bias.withUnsafeBufferPointer { b in
                    m.scale.withUnsafeBufferPointer { s in
                        parallel.run(m.pixels, work: m.pixels * m.kt * m.c) { ps in
                            quantizedTemporal(x, y, pixels: ps, m, weights: w.baseAddress!, bias: b.baseAddress!,
                                              scale: s.baseAddress!)
                        }
                    }
                }
            }
        case let .add(a, b, dst, count, q):
            quantizedAdd(i8(a), i8(b), i8(dst), count: count, q)
        case let .mul(a, b, dst, count, q):
            quantizedMul(i8(a), i8(b), i8(dst), count: count, q)
        case let .averagePool(src, dst, h, w, c, oh, ow, padTop, padLeft):
            quantizedAveragePool(i8(src), i8(dst), h: h, w: w, c: c, oh: oh, ow: ow, padTop: padTop, padLeft: padLeft)
        case let .sum(src, dst, outer, reduced, inner, scale, inZeroPoint, range):
            quantizedSum(i8(src), i8(dst), outer: outer, reduced: reduced, inner: inner, scale: scale,
                         inZeroPoint: inZeroPoint, range: range)
        case let .concat(srcs, dst, outer, sizes):
            let total = sizes.reduce(0, +)
            let y = memory[dst]
            for o in 0..<outer {
                var offset = o * total
                for (s, size) in zip(srcs, sizes) {
                    (y + offset).copyMemory(from: memory[s] + o * size, byteCount: size)
                    offset += size
                }
            }
        case let .slice(src, dst, outer, total, offset, length):
            for o in 0..<outer {
                (memory[dst] + o * length).copyMemory(from: memory[src] + o * total + offset, byteCount: length)
            }
        case let .addInt32(a, b, dst, count, bCount):
            for i in 0..<count { i32(dst)[i] = i32(a)[i] &+ i32(b)[bCount == 1 ? 0 : i] }
        case let .castToFloat(src, dst, count):
            for i in 0..<count { f32(dst)[i] = Float(i32(src)[i]) }
        case let .divide(a, b, dst, count, bCount):
            for i in 0..<count { f32(dst)[i] = f32(a)[i] / f32(b)[bCount == 1 ? 0 : i] }
        }
    }

    private func padConvInput(_ src: Int, _ m: QuantizedConv) {
        padWithZeroPoint(i8(src), h: m.h, w: m.w, c: m.cin, padded, ph: m.paddedH, pw: m.paddedW, top: m.padTop,
                         left: m.padLeft, zeroPoint: Int8(truncatingIfNeeded: m.inZeroPoint))
    }

    private func padDepthwiseInput(_ src: Int, _ m: QuantizedDepthwise) {
        padWithZeroPoint(i8(src), h: m.h, w: m.w, c: m.c, padded, ph: m.paddedH, pw: m.paddedW, top: m.padTop,
                         left: m.padLeft, zeroPoint: Int8(truncatingIfNeeded: m.inZeroPoint))
    }

    #if arch(x86_64)
    /// A step on the VNNI kernels. GEMMs in 8-row tiles, so pieces of 8 rows (the im2col conv: of
    /// output rows, each a row of patches); a depthwise conv builds its quad buffer's rows in one
    /// parallel pass and computes the outputs from it in a second.
    private func runVNNI(_ step: QuantizedStep, _ packed: VNNIStep) {
        switch (step, packed) {
        case let (.pointwise(src, dst, pixels, m), .gemm(gemm)):
            let x = i8(src), y = i8(dst)
            parallel.run(pixels, granule: 8, work: pixels * m.k * m.n) { rows in gemm.run(x, y, rows: rows) }
        case let (.conv(src, dst, m), .gemm(gemm)):
            let pw = m.paddedW, pad = padded, cols = patches, y = i8(dst), g = m.gemm
            padConvInput(src, m)
            parallel.run(m.oh, work: m.oh * m.ow * g.k * g.n) { rows in
                gemm.im2col(pad, pw: pw, m, rows: rows, cols)
                gemm.run(cols, y, rows: (rows.lowerBound * m.ow)..<(rows.upperBound * m.ow))
            }
        case let (.depthwise(src, dst, m), .depthwise(d)):
            let pad = padded, q = quads, y = i8(dst), shape = d.shape
            padDepthwiseInput(src, m)
            parallel.run(shape.rows, work: shape.rows * shape.rowBytes * 4) { rows in
                d.fillQuads(pad, rows: rows, into: q)
            }
            parallel.run(m.oh, work: m.oh * m.ow * m.kh * m.kw * m.c) { rows in d.run(q, y, rows: rows) }
        case let (.temporal(src, dst, m), .temporal(t)):
            let x = i8(src), y = i8(dst)
            parallel.run(m.pixels, work: m.pixels * m.kt * m.c) { ps in t.run(x, y, pixels: ps) }
        default:
            preconditionFailure("no VNNI kernel for this step")
        }
    }
    #endif
}
