// Pointwise (1×1) convolution as a register-blocked GEMM: C = f(A·B + bias) (+ R). The loops
// where most of the time of a MoViNet frame goes.

/// A (K, N) weight matrix packed for `pointwise`: column panels of 16 (the last may be 8) stored
/// (K, panelWidth) each; N is padded to a multiple of 8 with zero columns.
public final class PackedMatrix: @unchecked Sendable {
    public let k: Int         // rows (input channels actually used)
    public let n: Int         // real columns
    public let nPadded: Int   // roundUp8(n)
    let data: FloatBuffer     // panels, panel starting at column j0 begins at j0·k
    let bias: FloatBuffer     // (nPadded)

    /// `weights` is (k, n) row-major (Keras [in, out]); `bias` (n).
    public init(k: Int, n: Int, weights: [Float], bias: [Float]) {
        precondition(weights.count == k * n && bias.count == n)
        self.k = k
        self.n = n
        nPadded = roundUp8(n)
        data = FloatBuffer(count: k * nPadded)
        self.bias = FloatBuffer(count: nPadded)
        for j in 0..<n { self.bias.pointer[j] = bias[j] }
        var j0 = 0
        while j0 < nPadded {
            let w = nPadded - j0 >= 16 ? 16 : 8
            let panel = data.pointer + j0 * k
            for r in 0..<k {
                for c in 0..<w where j0 + c < n { panel[r * w + c] = weights[r * n + j0 + c] }
            }
            j0 += w
        }
    }
}

/// C[p, 0..<nPadded] = f(Σ_k A[p, k] · B[k, n] + bias[n]) (+ R[p, n]) for p in 0..<rows.
/// A: (rows, lda) using its first `b.k` columns; C and R: (rows, ldc); R may alias C.
func pointwise(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ b: PackedMatrix,
               _ c: UnsafeMutablePointer<Float>, ldc: Int, residual: UnsafePointer<Float>? = nil,
               _ f: ElementFunction, _ parallel: Parallel) {
    let work = rows * b.k * b.nPadded
    if rows < 5 * parallel.threads {
        // Few rows (classifier, SE): split the columns instead, 16 at a time (memory-bound matrix-vector).
        parallel.run((b.nPadded + 15) / 16, work: work) { panels in
            let cols = (panels.lowerBound * 16)..<min(b.nPadded, panels.upperBound * 16)
            gemm(f, a, lda, 0..<rows, cols, b, c, ldc, residual)
        }
    } else {
        parallel.run(rows, granule: 5, work: work) { range in
            gemm(f, a, lda, range, 0..<b.nPadded, b, c, ldc, residual)
        }
    }
}

@inline(__always)
private func gemm(_ f: ElementFunction, _ a: UnsafePointer<Float>, _ lda: Int, _ rows: Range<Int>, _ cols: Range<Int>,
                  _ b: PackedMatrix, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ residual: UnsafePointer<Float>?) {
    switch f {
    case .identity: gemmRows(IdentityAct.self, a, lda, rows, cols, b, c, ldc, residual)
    case .relu6: gemmRows(ReLU6Act.self, a, lda, rows, cols, b, c, ldc, residual)
    case .hardSwish: gemmRows(HardSwishAct.self, a, lda, rows, cols, b, c, ldc, residual)
    case .swish: gemmRows(SwishAct.self, a, lda, rows, cols, b, c, ldc, residual)
    case .sigmoid: gemmRows(SigmoidAct.self, a, lda, rows, cols, b, c, ldc, residual)
    case .hardSigmoidRelu6: gemmRows(HardSigmoidRelu6Act.self, a, lda, rows, cols, b, c, ldc, residual)
    case .hardSigmoidLinear: gemmRows(HardSigmoidLinearAct.self, a, lda, rows, cols, b, c, ldc, residual)
    }
}

@inline(__always) private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
private func finish16<F: ActivationFunction>(_: F.Type, _ acc: SIMD16<Float>, _ bias: SIMD16<Float>,
                                              _ c: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>?, _ o: Int) {
    var v = F.apply(acc + bias)
    if let r { v += load16(r + o) }
    store16(v, c + o)
}

@inline(__always)
private func finish8<F: ActivationFunction>(_: F.Type, _ acc: SIMD8<Float>, _ bias: SIMD8<Float>,
                                             _ c: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>?, _ o: Int) {
    var v = F.apply(acc + bias)
    if let r { v += load8(r + o) }
    store8(v, c + o)
}

/// Rows `range`, columns `cols` (multiples of 16 except at nPadded) of C.
private func gemmRows<F: ActivationFunction>(
    _ f: F.Type, _ a: UnsafePointer<Float>, _ lda: Int, _ range: Range<Int>, _ cols: Range<Int>, _ b: PackedMatrix,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ residual: UnsafePointer<Float>?
) {
    let k = b.k
    let chunk = 48   // rows per cache block: A block (48 × k) stays in L2 while every panel passes
    var r0 = range.lowerBound
    while r0 < range.upperBound {
        let r1 = min(range.upperBound, r0 + chunk)
        var j0 = cols.lowerBound
        while j0 < cols.upperBound {
            let wide = b.nPadded - j0 >= 16
            let panel = UnsafePointer(b.data.pointer + j0 * k)
            let bias = UnsafePointer(b.bias.pointer + j0)
            var r = r0
            if wide {
                let bv = load16(bias)
                // HOT LOOP (about half of an A0 stream frame): 5 rows × 16 columns = 10 ymm accumulators, k FMAs each. (6 rows would
                // need all 16 ymm registers; LLVM then spills one accumulator inside the loop and the
                // store-to-load chain halves the speed.)
                while r + 5 <= r1 {
                    let a0 = a + r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda
                    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
                    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>()
                    var bp = panel
                    for kk in 0..<k {
                        let w = load16(bp)
                        c0 = c0.addingProduct(SIMD16(repeating: a0[kk]), w)
                        c1 = c1.addingProduct(SIMD16(repeating: a1[kk]), w)
                        c2 = c2.addingProduct(SIMD16(repeating: a2[kk]), w)
                        c3 = c3.addingProduct(SIMD16(repeating: a3[kk]), w)
                        c4 = c4.addingProduct(SIMD16(repeating: a4[kk]), w)
                        bp += 16
                    }
                    let o = r * ldc + j0
                    finish16(f, c0, bv, c, residual, o)
                    finish16(f, c1, bv, c, residual, o + ldc)
                    finish16(f, c2, bv, c, residual, o + 2 * ldc)
                    finish16(f, c3, bv, c, residual, o + 3 * ldc)
                    finish16(f, c4, bv, c, residual, o + 4 * ldc)
                    r += 5
                }
                while r < r1 {
                    let a0 = a + r * lda
                    var c0 = SIMD16<Float>()
                    var bp = panel
                    for kk in 0..<k {
                        c0 = c0.addingProduct(SIMD16(repeating: a0[kk]), load16(bp))
                        bp += 16
                    }
                    let o = r * ldc + j0
                    finish16(f, c0, bv, c, residual, o)
                    r += 1
                }
                j0 += 16
            } else {
                let bv = load8(bias)
                while r + 6 <= r1 {
                    let a0 = a + r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
                    var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>()
                    var c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
                    var bp = panel
                    for kk in 0..<k {
                        let w = load8(bp)
                        c0 = c0.addingProduct(SIMD8(repeating: a0[kk]), w)
                        c1 = c1.addingProduct(SIMD8(repeating: a1[kk]), w)
                        c2 = c2.addingProduct(SIMD8(repeating: a2[kk]), w)
                        c3 = c3.addingProduct(SIMD8(repeating: a3[kk]), w)
                        c4 = c4.addingProduct(SIMD8(repeating: a4[kk]), w)
                        c5 = c5.addingProduct(SIMD8(repeating: a5[kk]), w)
                        bp += 8
                    }
                    let o = r * ldc + j0
                    finish8(f, c0, bv, c, residual, o)
                    finish8(f, c1, bv, c, residual, o + ldc)
                    finish8(f, c2, bv, c, residual, o + 2 * ldc)
                    finish8(f, c3, bv, c, residual, o + 3 * ldc)
                    finish8(f, c4, bv, c, residual, o + 4 * ldc)
                    finish8(f, c5, bv, c, residual, o + 5 * ldc)
                    r += 6
                }
                while r < r1 {
                    let a0 = a + r * lda
                    var c0 = SIMD8<Float>()
                    var bp = panel
                    for kk in 0..<k {
                        c0 = c0.addingProduct(SIMD8(repeating: a0[kk]), load8(bp))
                        bp += 8
                    }
                    let o = r * ldc + j0
                    finish8(f, c0, bv, c, residual, o)
                    r += 1
                }
                j0 += 8
            }
        }
        r0 = r1
    }
}
