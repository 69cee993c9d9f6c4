// The AVX-512 VNNI int8 GEMM: the 1×1 conv (and the im2col conv) with vpdpbusd, 64 multiply-
// accumulates per instruction (4 input channels × 16 outputs) against vpmaddwd's 16.
//
// This module alone is compiled for x86-64-v4 + VNNI (Package.swift); nothing here runs unless
// CPUFeatures (in MoViNet) found AVX-512 F/BW/VL/VNNI and the OS saves the zmm state. Its entry
// points are `@inline(never)` and take only pointers and scalars, so no AVX-512 code is inlined
// or specialized into the x86-64-v3 modules (scripts/check-dispatch disassembles the binary to
// check that).
//
// vpdpbusd multiplies unsigned by signed bytes: the int8 activations are offset by +128 into
// uint8 (x ^ 0x80), and the packed bias has 128 · Σ_c w[o][c] taken off, so every int32 sum is
// the one the AVX2 and portable kernels compute, and so is every output.

#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The sizes and requantization of one GEMM (see MoViNet's `QuantizedPointwise`).
public struct VNNIGemmShape {
    public var k: Int, n: Int
    /// rint(clamp(acc · scale, lo, hi)) + zeroPoint; lo, hi are the output range minus the zero point.
    public var lo: Float, hi: Float, zeroPoint: Int32
    public init(k: Int, n: Int, lo: Float, hi: Float, zeroPoint: Int32) {
        self.k = k
        self.n = n
        self.lo = lo
        self.hi = hi
        self.zeroPoint = zeroPoint
    }
}

/// y[p, o] = requantize(bias[o] + Σ_c x[p, c] · w[o][c]) for p in rows; x: (P, k) int8 rows,
/// y: (P, n) int8. `weights`: blocks of 16 outputs, in a block input quad q of output o at
/// (q · 64 + o · 4), the quad's four inputs side by side, k padded to a multiple of 4 and n to
/// one of 16 with zero weights; `bias` (padded to 16) with 128 · Σ_c w[o][c] taken off (the input
/// zero point already folded in); `scale` padded to 16.
@inline(never)
public func vnniGemm(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows: Range<Int>, _ g: VNNIGemmShape,
                     weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let quads = (g.k + 3) / 4
    let rq = Requantize(g)
    // The tile's rows as uint8 quads (8 rows · quads int32), built once per tile and read by
    // every block of outputs.
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8 * quads) { tile in
        let t = tile.baseAddress!
        if rows.count == 1 {
            offsetRows(x, k: g.k, quads: quads, from: rows.lowerBound, count: 1, into: t)
            vectorRow(t, y + rows.lowerBound * g.n, quads: quads, g, rq, weights: weights, bias: bias, scale: scale)
            return
        }
        var p = rows.lowerBound
        while p < rows.upperBound {
            let count = min(8, rows.upperBound - p)
            offsetRows(x, k: g.k, quads: quads, from: p, count: count, into: t)
            tile8(t, y, row: p, count: count, quads: quads, g, rq, weights: weights, bias: bias, scale: scale)
            p += 8
        }
    }
}

/// Rows p ..< p + count of x as uint8 (x + 128) in 4-byte quads, the padding quads' extra bytes
/// 0; rows past `count` (up to 8) repeat the last.
@inline(__always) private func offsetRows(_ x: UnsafePointer<Int8>, k: Int, quads: Int, from p: Int, count: Int,
                                          into t: UnsafeMutablePointer<UInt32>) {
    let bytes = UnsafeMutableRawPointer(t).assumingMemoryBound(to: UInt8.self)
    let flip = _mm512_set1_epi8(-128)
    for r in 0..<8 {
        let src = UnsafeRawPointer(x + (p + min(r, count - 1)) * k)
        let dst = bytes + r * quads * 4
        var c = 0
        while c + 64 <= k {
            let v = _mm512_loadu_si512(src + c)
            _mm512_storeu_si512(dst + c, _mm512_xor_si512(v, flip))
            c += 64
        }
        if c < k {
            // A masked load reads only the row's own bytes (the next row may belong to a thread
            // that is writing it, in the im2col conv).
            let mask = __mmask64(UInt64.max >> UInt64(64 - (k - c)))
            let v = _mm512_maskz_loadu_epi8(mask, src + c)
            _mm512_mask_storeu_epi8(dst + c, mask, _mm512_xor_si512(v, flip))
        }
        for c in k..<(quads * 4) { dst[c] = 0 }
    }
}

/// The requantization constants broadcast to 16 lanes.
struct Requantize {
    let lo: __m512, hi: __m512, zp: __m512i, magic: __m512, magicBits: __m512i
    init(_ g: VNNIGemmShape) {
        lo = _mm512_set1_ps(g.lo)
        hi = _mm512_set1_ps(g.hi)
        zp = _mm512_set1_epi32(g.zeroPoint)
        magic = _mm512_set1_ps(12_582_912)   // 1.5 · 2²³: round to nearest even (XNNPACK's magic bias)
        magicBits = _mm512_set1_epi32(0x4B40_0000)
    }

    /// rint(clamp(acc · scale, lo, hi)) + zp, as int8 in 16 bytes — the AVX2 kernels' `requantize`
    /// lane for lane (the same float multiply, compares and magic-bias rounding).
    @inline(__always) func apply(_ acc: __m512i, _ scale: __m512) -> __m128i {
        // max then min: where they differ from the compares-and-blends (f equal to a bound) the
        // value is the same, and ±0 round alike.
        let f = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale), lo), hi)
        let r = _mm512_sub_epi32(_mm512_castps_si512(_mm512_add_ps(f, magic)), magicBits)
        return _mm512_cvtepi32_epi8(_mm512_add_epi32(r, zp))
    }
}

/// Accumulator r of eight (registers, not an array: an array would be allocated per block).
@inline(__always) private func pick(_ r: Int, _ a0: __m512i, _ a1: __m512i, _ a2: __m512i, _ a3: __m512i, _ a4: __m512i,
                                    _ a5: __m512i, _ a6: __m512i, _ a7: __m512i) -> __m512i {
    switch r {
    case 0: a0
    case 1: a1
    case 2: a2
    case 3: a3
    case 4: a4
    case 5: a5
    case 6: a6
    default: a7
    }
}

/// Stores 16 outputs at `column` of a row of n, fewer at the end of the row.
@inline(__always) func store(_ v: __m128i, _ dst: UnsafeMutablePointer<Int8>, column: Int, n: Int) {
    let width = n - column
    if width >= 16 {
        UnsafeMutableRawPointer(dst + column).storeBytes(of: v, as: __m128i.self)
    } else {
        _mm_mask_storeu_epi8(UnsafeMutableRawPointer(dst + column), __mmask16(UInt16((1 << width) - 1)), v)
    }
}

/// Up to 8 rows × all outputs, 32 at a time (16 accumulators).
@inline(__always) private func tile8(_ t: UnsafePointer<UInt32>, _ y: UnsafeMutablePointer<Int8>, row p: Int, count: Int,
                                     quads: Int, _ g: VNNIGemmShape, _ rq: Requantize, weights: UnsafePointer<Int8>,
                                     bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let blocks = (g.n + 15) / 16, n = g.n
    let blockBytes = quads * 64
    let r0 = t, r1 = t + quads, r2 = t + 2 * quads, r3 = t + 3 * quads
    let r4 = t + 4 * quads, r5 = t + 5 * quads, r6 = t + 6 * quads, r7 = t + 7 * quads
    var b = 0
    while b < blocks {
        let two = b + 1 < blocks
        let wa = UnsafeRawPointer(weights + b * blockBytes)
        let wb = two ? wa + blockBytes : wa
        let ba = _mm512_loadu_si512(bias + b * 16)
        let bb = two ? _mm512_loadu_si512(bias + b * 16 + 16) : ba
        var a0 = ba, a1 = ba, a2 = ba, a3 = ba, a4 = ba, a5 = ba, a6 = ba, a7 = ba
        var c0 = bb, c1 = bb, c2 = bb, c3 = bb, c4 = bb, c5 = bb, c6 = bb, c7 = bb
        // Hot loop: 8 rows × 32 outputs, 16 vpdpbusd per input quad.
        for q in 0..<quads {
            let va = _mm512_loadu_si512(wa + q * 64), vb = _mm512_loadu_si512(wb + q * 64)
            var x = _mm512_set1_epi32(Int32(bitPattern: r0[q]))
            a0 = _mm512_dpbusd_epi32(a0, x, va); c0 = _mm512_dpbusd_epi32(c0, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r1[q]))
            a1 = _mm512_dpbusd_epi32(a1, x, va); c1 = _mm512_dpbusd_epi32(c1, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r2[q]))
            a2 = _mm512_dpbusd_epi32(a2, x, va); c2 = _mm512_dpbusd_epi32(c2, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r3[q]))
            a3 = _mm512_dpbusd_epi32(a3, x, va); c3 = _mm512_dpbusd_epi32(c3, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r4[q]))
            a4 = _mm512_dpbusd_epi32(a4, x, va); c4 = _mm512_dpbusd_epi32(c4, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r5[q]))
            a5 = _mm512_dpbusd_epi32(a5, x, va); c5 = _mm512_dpbusd_epi32(c5, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r6[q]))
            a6 = _mm512_dpbusd_epi32(a6, x, va); c6 = _mm512_dpbusd_epi32(c6, x, vb)
            x = _mm512_set1_epi32(Int32(bitPattern: r7[q]))
            a7 = _mm512_dpbusd_epi32(a7, x, va); c7 = _mm512_dpbusd_epi32(c7, x, vb)
        }
        let sa = _mm512_loadu_ps(scale + b * 16)
        let sb = two ? _mm512_loadu_ps(scale + b * 16 + 16) : sa
        for r in 0..<count {
            let dst = y + (p + r) * n
            store(rq.apply(pick(r, a0, a1, a2, a3, a4, a5, a6, a7), sa), dst, column: b * 16, n: n)
            if two { store(rq.apply(pick(r, c0, c1, c2, c3, c4, c5, c6, c7), sb), dst, column: b * 16 + 16, n: n) }
        }
        b += two ? 2 : 1
    }
}

/// One row × all outputs, 64 at a time (the squeeze-excitation and classifier matrix-vector products).
@inline(__always) private func vectorRow(_ t: UnsafePointer<UInt32>, _ dst: UnsafeMutablePointer<Int8>, quads: Int,
                                         _ g: VNNIGemmShape, _ rq: Requantize, weights: UnsafePointer<Int8>,
                                         bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let blocks = (g.n + 15) / 16
    let blockBytes = quads * 64
    var b = 0
    while b < blocks {
        let m = min(4, blocks - b)
        let w0 = UnsafeRawPointer(weights + b * blockBytes)
        let w1 = w0 + min(1, m - 1) * blockBytes, w2 = w0 + min(2, m - 1) * blockBytes, w3 = w0 + min(3, m - 1) * blockBytes
        var a0 = _mm512_loadu_si512(bias + b * 16)
        var a1 = _mm512_loadu_si512(bias + (b + min(1, m - 1)) * 16)
        var a2 = _mm512_loadu_si512(bias + (b + min(2, m - 1)) * 16)
        var a3 = _mm512_loadu_si512(bias + (b + min(3, m - 1)) * 16)
        for q in 0..<quads {
            let x = _mm512_set1_epi32(Int32(bitPattern: t[q]))
            a0 = _mm512_dpbusd_epi32(a0, x, _mm512_loadu_si512(w0 + q * 64))
            a1 = _mm512_dpbusd_epi32(a1, x, _mm512_loadu_si512(w1 + q * 64))
            a2 = _mm512_dpbusd_epi32(a2, x, _mm512_loadu_si512(w2 + q * 64))
            a3 = _mm512_dpbusd_epi32(a3, x, _mm512_loadu_si512(w3 + q * 64))
        }
        for i in 0..<m {
            let column = (b + i) * 16
            store(rq.apply(pick(i, a0, a1, a2, a3, a3, a3, a3, a3), _mm512_loadu_ps(scale + column)), dst, column: column, n: g.n)
        }
        b += m
    }
}
#endif

#if arch(x86_64)
/// (kh·kw·cin) patches of a zero-point-padded input (·, pw, cin) for output rows `oys` of a
/// (·, ow) output, as rows of the GEMM input: each kernel row's run of kw·cin bytes moved with
/// masked 64-byte loads and stores (the stem's runs are 9 bytes), never past a run.
@inline(never)
public func vnniIm2col(_ x: UnsafePointer<Int8>, pw: Int, cin: Int, kh: Int, kw: Int, stride: Int, ow: Int,
                       rows oys: Range<Int>, _ out: UnsafeMutablePointer<Int8>) {
    let run = kw &* cin, k = kh &* run
    let tail = run % 64
    let mask = __mmask64(tail == 0 ? 0 : UInt64.max >> UInt64(64 &- tail))
    for oy in oys {
        for ox in 0..<ow {
            let dst = UnsafeMutableRawPointer(out + (oy &* ow &+ ox) &* k)
            for ky in 0..<kh {
                let src = UnsafeRawPointer(x + ((oy &* stride &+ ky) &* pw &+ ox &* stride) &* cin)
                let to = dst + ky &* run
                var i = 0
                while i &+ 64 <= run {
                    _mm512_storeu_si512(to + i, _mm512_loadu_si512(src + i))
                    i &+= 64
                }
                if tail != 0 { _mm512_mask_storeu_epi8(to + i, mask, _mm512_maskz_loadu_epi8(mask, src + i)) }
            }
        }
    }
}
#endif
