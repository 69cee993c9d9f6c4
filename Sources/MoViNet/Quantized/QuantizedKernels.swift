// int8 kernels in XNNPACK's arithmetic (qs8/qc8w "fp32" requantization: acc · scale in float,
// clamped, rounded to nearest even, + zero point), and TFLite's for the int8 average pool.
// The Swift SIMD here lowers to AVX2 on x86-64 (vpmaddwd for the GEMM, vpmovsxbd, vcvtps2dq).

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

extension SIMD8 where Scalar == Float {
    /// min(max(self, lo), hi) lane by lane as vector compares and blends (`clamped` and a generic
    /// version of this run lane by lane).
    @inline(__always) func clamp(_ lo: Self, _ hi: Self) -> Self {
        let a = replacing(with: lo, where: self .< lo)
        return a.replacing(with: hi, where: a .> hi)
    }
}

extension SIMD8 where Scalar == Int32 {
    /// min(max(self, lo), hi) lane by lane as vector compares and blends.
    @inline(__always) func clamp(_ lo: Self, _ hi: Self) -> Self {
        let a = replacing(with: lo, where: self .< lo)
        return a.replacing(with: hi, where: a .> hi)
    }
}

@inline(__always) func loadInt8x8(_ p: UnsafePointer<Int8>) -> SIMD8<Int32> {
    SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int8>.self))
}

@inline(__always) func storeInt8x8(_ v: SIMD8<Int32>, _ p: UnsafeMutablePointer<Int8>) {
    UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: v), as: SIMD8<Int8>.self)
}

/// Round to nearest even for |x| < 2²²: adding 1.5·2²³ leaves the rounded integer in the low
/// mantissa bits (XNNPACK's "magic bias"; the generic SIMD float → int conversion is per lane).
@inline(__always) func roundToInt(_ x: SIMD8<Float>) -> SIMD8<Int32> {
    unsafeBitCast(x + SIMD8<Float>(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
}

/// rint(clamp(acc · scale, min − zp, max − zp)) + zp: XNNPACK's fp32 requantization.
@inline(__always) func requantize(_ acc: SIMD8<Int32>, _ scale: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>,
                                  _ zp: SIMD8<Int32>) -> SIMD8<Int32> {
    let f = (SIMD8<Float>(acc) * scale).clamp(lo, hi)
    return roundToInt(f) &+ zp
}

extension OutputRange {
    var lo: SIMD8<Float> { SIMD8(repeating: Float(min - zeroPoint)) }
    var hi: SIMD8<Float> { SIMD8(repeating: Float(max - zeroPoint)) }
    var zp: SIMD8<Int32> { SIMD8(repeating: zeroPoint) }

    @inline(__always) func scalar(_ acc: Int32, _ scale: Float) -> Int8 {
        let f = Swift.min(Swift.max(Float(acc) * scale, Float(min - zeroPoint)), Float(max - zeroPoint))
        return Int8(truncatingIfNeeded: Int32(f.rounded(.toNearestOrEven)) + zeroPoint)
    }
}

// MARK: - 1×1 convolution (the GEMM)

/// The int16 pair product of the portable GEMM (the AVX2 GEMM in QuantizedDepthwiseAVX2.swift
/// uses vpmaddwd, which Swift SIMD cannot express: widening, multiplying and adding the halves
/// lowers to vpmulld + vphaddd).
protocol PairProduct {
    /// Per int32 lane i: x.lo · w[2i] + x.hi · w[2i+1], where `pair` holds two int16 (lo, hi).
    static func dot(_ pair: Int32, _ w: SIMD16<Int16>) -> SIMD8<Int32>
}

/// The same product in plain Swift SIMD: even and odd int16 lanes sign-extended by shifts.
enum PortablePairs: PairProduct {
    @inline(__always) static func dot(_ pair: Int32, _ w: SIMD16<Int16>) -> SIMD8<Int32> {
        let wb = unsafeBitCast(w, to: SIMD8<Int32>.self)
        let lo = (wb &<< 16) &>> 16, hi = wb &>> 16
        let xl = (pair &<< 16) &>> 16, xh = pair &>> 16
        return lo &* SIMD8(repeating: xl) &+ hi &* SIMD8(repeating: xh)
    }
}

/// Four pixels of x (P, k) widened to int16 rows of 2·kPairs (k padded to even with a zero; a
/// short block repeats its last pixel).
@inline(__always) func widenRows(_ x: UnsafePointer<Int8>, k: Int, kPairs: Int, from p: Int, count: Int,
                                 into w16: UnsafeMutablePointer<Int16>) {
    for r in 0..<4 {
        let src = x + (p + min(r, count - 1)) * k
        let dst = w16 + r * 2 * kPairs
        var c = 0
        while c + 8 <= k {
            #if arch(x86_64)
            let v = widen8(src + c)
            UnsafeMutableRawPointer(dst + c).storeBytes(of: v, as: __m128i.self)
            #else
            UnsafeMutableRawPointer(dst + c).storeBytes(
                of: SIMD8<Int16>(truncatingIfNeeded: UnsafeRawPointer(src + c).loadUnaligned(as: SIMD8<Int8>.self)),
                as: SIMD8<Int16>.self)
            #endif
            c += 8
        }
        while c < k { dst[c] = Int16(src[c]); c += 1 }
        if k & 1 == 1 { dst[k] = 0 }
    }
}

/// y[p, n] = requantize(bias[n] + Σ_k x[p, k] · w[k, n]) for p in `rows`. x: (P, k) int8, y: (P, n) int8.
/// Four pixels × 16 outputs per inner loop on input-channel pairs widened to int16.
func quantizedPointwise<P: PairProduct>(_: P.Type, _ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>,
                                        rows: Range<Int>, _ m: QuantizedPointwise, weights: UnsafePointer<Int16>,
                                        bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let k = m.k, n = m.n, kPairs = m.kPairs
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * kPairs + 8) { wide in
        let w16 = UnsafeMutableRawPointer(wide.baseAddress!).assumingMemoryBound(to: Int16.self)
        var p = rows.lowerBound
        while p < rows.upperBound {
            let count = min(4, rows.upperBound - p)
            widenRows(x, k: k, kPairs: kPairs, from: p, count: count, into: w16)
            let a0 = wide.baseAddress!, a1 = a0 + kPairs, a2 = a1 + kPairs, a3 = a2 + kPairs
            var nb = 0
            while nb < m.nBlocks {
                let two = nb + 1 < m.nBlocks
                var c0 = UnsafeRawPointer(bias + nb * 8).loadUnaligned(as: SIMD8<Int32>.self)
                var c1 = c0, c2 = c0, c3 = c0
                var d0 = two ? UnsafeRawPointer(bias + nb * 8 + 8).loadUnaligned(as: SIMD8<Int32>.self) : c0
                var d1 = d0, d2 = d0, d3 = d0
                let wb = UnsafeRawPointer(weights + nb * kPairs * 16)
                if two {
                    let wd = wb + kPairs * 32
                    // Hot loop: 4 pixels × 16 outputs, 8 vpmaddwd per input-channel pair.
                    for j in 0..<kPairs {
                        let wv = wb.loadUnaligned(fromByteOffset: j * 32, as: SIMD16<Int16>.self)
                        let wx = wd.loadUnaligned(fromByteOffset: j * 32, as: SIMD16<Int16>.self)
                        let x0 = a0[j], x1 = a1[j], x2 = a2[j], x3 = a3[j]
                        c0 &+= P.dot(x0, wv); d0 &+= P.dot(x0, wx)
                        c1 &+= P.dot(x1, wv); d1 &+= P.dot(x1, wx)
                        c2 &+= P.dot(x2, wv); d2 &+= P.dot(x2, wx)
                        c3 &+= P.dot(x3, wv); d3 &+= P.dot(x3, wx)
                    }
                } else {
                    for j in 0..<kPairs {
                        let wv = wb.loadUnaligned(fromByteOffset: j * 32, as: SIMD16<Int16>.self)
                        c0 &+= P.dot(a0[j], wv)
                        c1 &+= P.dot(a1[j], wv)
                        c2 &+= P.dot(a2[j], wv)
                        c3 &+= P.dot(a3[j], wv)
                    }
                }
                for half in 0..<(two ? 2 : 1) {
                    let o = nb * 8 + half * 8
                    let s = UnsafeRawPointer(scale + o).loadUnaligned(as: SIMD8<Float>.self)
                    let width = min(8, n - o)
                    for r in 0..<count {
                        let acc = half == 0 ? (r == 0 ? c0 : r == 1 ? c1 : r == 2 ? c2 : c3)
                                            : (r == 0 ? d0 : r == 1 ? d1 : r == 2 ? d2 : d3)
                        let v = requantize(acc, s, lo, hi, zp)
                        let dst = y + (p + r) * n + o
                        if width == 8 { storeInt8x8(v, dst) } else { for i in 0..<width { dst[i] = Int8(truncatingIfNeeded: v[i]) } }
                    }
                }
                nb += two ? 2 : 1
            }
            p += 4
        }
    }
}

// MARK: - General convolution (the stem)

/// (H, W, Cin) → rows `oys` of (OH, OW, Cout); padded pixels are the input zero point (add 0).
func quantizedConv(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows oys: Range<Int>, _ m: QuantizedConv,
                   weights: UnsafePointer<Int32>, bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp
    let cp = m.coutPadded
    for oy in oys {
        for ox in 0..<m.ow {
            let iy0 = oy * m.stride - m.padTop, ix0 = ox * m.stride - m.padLeft
            var ob = 0
            while ob < cp {
                var acc = UnsafeRawPointer(bias + ob).loadUnaligned(as: SIMD8<Int32>.self)
                for ky in 0..<m.kh {
                    let iy = iy0 + ky
                    guard iy >= 0, iy < m.h else { continue }
                    for kx in 0..<m.kw {
                        let ix = ix0 + kx
                        guard ix >= 0, ix < m.w else { continue }
                        let px = x + (iy * m.w + ix) * m.cin
                        let wt = weights + ((ky * m.kw + kx) * m.cin) * cp + ob
                        for c in 0..<m.cin {
                            let xv = SIMD8<Int32>(repeating: Int32(px[c]) - m.inZeroPoint)
                            acc &+= xv &* UnsafeRawPointer(wt + c * cp).loadUnaligned(as: SIMD8<Int32>.self)
                        }
                    }
                }
                let v = requantize(acc, UnsafeRawPointer(scale + ob).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp)
                let dst = y + (oy * m.ow + ox) * m.cout + ob
                let width = min(8, m.cout - ob)
                if width == 8 { storeInt8x8(v, dst) } else { for i in 0..<width { dst[i] = Int8(truncatingIfNeeded: v[i]) } }
                ob += 8
            }
        }
    }
}

// MARK: - Depthwise convolutions

/// Depthwise spatial conv, output rows `oys`: acc = bias + Σ_taps (x − zp) · w, per channel.
func quantizedDepthwise(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows oys: Range<Int>,
                        _ m: QuantizedDepthwise, weights: UnsafePointer<Int32>, bias: UnsafePointer<Int32>,
                        scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = SIMD8<Int32>(repeating: m.inZeroPoint)
    let c = m.c, cp = m.cPadded
    let full = c & ~7
    for oy in oys {
        let iy0 = oy * m.stride - m.padTop
        let ky0 = max(0, -iy0), ky1 = min(m.kh, m.h - iy0)
        for ox in 0..<m.ow {
            let ix0 = ox * m.stride - m.padLeft
            let kx0 = max(0, -ix0), kx1 = min(m.kw, m.w - ix0)
            let dst = y + (oy * m.ow + ox) * c
            var cb = 0
            // Hot loop: 8 channels at a time over the valid taps.
            while cb < full {
                var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: SIMD8<Int32>.self)
                for ky in ky0..<ky1 {
                    let row = x + ((iy0 + ky) * m.w + ix0) * c + cb
                    let wrow = weights + (ky * m.kw) * cp + cb
                    for kx in kx0..<kx1 {
                        acc &+= (loadInt8x8(row + kx * c) &- xzp)
                            &* UnsafeRawPointer(wrow + kx * cp).loadUnaligned(as: SIMD8<Int32>.self)
                    }
                }
                storeInt8x8(requantize(acc, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
                            dst + cb)
                cb += 8
            }
            while cb < c {
                var acc = bias[cb]
                for ky in ky0..<ky1 {
                    for kx in kx0..<kx1 {
                        acc += (Int32(x[((iy0 + ky) * m.w + ix0 + kx) * c + cb]) - m.inZeroPoint) * weights[(ky * m.kw + kx) * cp + cb]
                    }
                }
                dst[cb] = m.range.scalar(acc, scale[cb])
                cb += 1
            }
        }
    }
}

/// Depthwise temporal conv over kt frames (kt, P, C) → (P, C), pixels `ps`.
func quantizedTemporal(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, pixels ps: Range<Int>,
                       _ m: QuantizedTemporal, weights: UnsafePointer<Int32>, bias: UnsafePointer<Int32>,
                       scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = SIMD8<Int32>(repeating: m.inZeroPoint)
    let c = m.c, cp = m.cPadded, frame = m.pixels * c
    let full = c & ~7
    for p in ps {
        var cb = 0
        while cb < full {
            var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: SIMD8<Int32>.self)
            for t in 0..<m.kt {
                acc &+= (loadInt8x8(x + t * frame + p * c + cb) &- xzp)
                    &* UnsafeRawPointer(weights + t * cp + cb).loadUnaligned(as: SIMD8<Int32>.self)
            }
            storeInt8x8(requantize(acc, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
                        y + p * c + cb)
            cb += 8
        }
        while cb < c {
            var acc = bias[cb]
            for t in 0..<m.kt { acc += (Int32(x[t * frame + p * c + cb]) - m.inZeroPoint) * weights[t * cp + cb] }
            y[p * c + cb] = m.range.scalar(acc, scale[cb])
            cb += 1
        }
    }
}

// MARK: - Elementwise

/// XNNPACK qs8 ADD: ((bias + a·am + b·bm) >> shift) + zp, clamped.
func quantizedAdd(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, count: Int,
                  _ q: QuantizedAddParams) {
    let am = SIMD8<Int32>(repeating: q.aMultiplier), bm = SIMD8<Int32>(repeating: q.bMultiplier)
    let bias = SIMD8<Int32>(repeating: q.bias), zp = SIMD8<Int32>(repeating: q.range.zeroPoint)
    let lo = SIMD8<Int32>(repeating: q.range.min), hi = SIMD8<Int32>(repeating: q.range.max)
    var i = 0
    while i + 8 <= count {
        let acc = bias &+ loadInt8x8(a + i) &* am &+ loadInt8x8(b + i) &* bm
        storeInt8x8(((acc &>> q.shift) &+ zp).clamp(lo, hi), y + i)
        i += 8
    }
    while i < count {
        let acc = q.bias &+ Int32(a[i]) &* q.aMultiplier &+ Int32(b[i]) &* q.bMultiplier
        y[i] = Int8(Swift.min(Swift.max((acc >> q.shift) + q.range.zeroPoint, q.range.min), q.range.max))
        i += 1
    }
}

/// XNNPACK qs8 MUL (fp32): rint((a − za)(b − zb) · scale) + zp, clamped.
func quantizedMul(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, count: Int,
                  _ q: QuantizedMulParams) {
    let za = SIMD8<Int32>(repeating: q.aZeroPoint), zb = SIMD8<Int32>(repeating: q.bZeroPoint)
    let s = SIMD8<Float>(repeating: q.scale), lo = q.range.lo, hi = q.range.hi, zp = q.range.zp
    var i = 0
    while i + 8 <= count {
        storeInt8x8(requantize((loadInt8x8(a + i) &- za) &* (loadInt8x8(b + i) &- zb), s, lo, hi, zp), y + i)
        i += 8
    }
    while i < count {
        y[i] = q.range.scalar((Int32(a[i]) - q.aZeroPoint) * (Int32(b[i]) - q.bZeroPoint), q.scale)
        i += 1
    }
}

/// float → int8: clamp(rint(x · inverseScale)) + zp.
func quantizeFloats(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Int8>, count: Int, inverseScale: Float,
                    zeroPoint: Int32) {
    let s = SIMD8<Float>(repeating: inverseScale), zp = SIMD8<Int32>(repeating: zeroPoint)
    let lo = SIMD8<Float>(repeating: Float(-128 - zeroPoint)), hi = SIMD8<Float>(repeating: Float(127 - zeroPoint))
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        storeInt8x8(roundToInt((v * s).clamp(lo, hi)) &+ zp, y + i)
        i += 8
    }
    while i < count {
        let f = Swift.min(Swift.max(x[i] * inverseScale, Float(-128 - zeroPoint)), Float(127 - zeroPoint))
        y[i] = Int8(truncatingIfNeeded: Int32(f.rounded(.toNearestOrEven)) + zeroPoint)
        i += 1
    }
}

/// int8 → float: (q − zp) · scale.
func dequantizeInt8(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Float>, count: Int, scale: Float, zeroPoint: Int32) {
    for i in 0..<count { y[i] = Float(Int32(x[i]) - zeroPoint) * scale }
}

// MARK: - Pooling and reductions

/// TFLite's int8 AVERAGE_POOL_2D 3×3 / 2: the raw values summed over the valid cells, divided by
/// their count rounding half away from zero. Eight channels at a time where SIMD can truncate a
/// float (x86-64), the rest of the channels as `quantizedAveragePoolScalar`.
func quantizedAveragePool(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, h: Int, w: Int, c: Int,
                          oh: Int, ow: Int, padTop: Int, padLeft: Int) {
    #if arch(x86_64)
    let vectorChannels = c & ~7
    for oy in 0..<oh {
        let ys = poolCells(oy, pad: padTop, size: h)
        for ox in 0..<ow {
            let xs = poolCells(ox, pad: padLeft, size: w)
            let n = ys.count * xs.count
            let half = _mm256_set1_epi32(Int32(n / 2)), count = _mm256_set1_ps(Float(n))
            let dst = y + (oy * ow + ox) * c
            var ch = 0
            while ch < vectorChannels {
                var s = _mm256_setzero_si256()
                for iy in ys { for ix in xs { s = _mm256_add_epi32(s, _mm256_cvtepi8_epi32(widen8Bytes(x + (iy * w + ix) * c + ch))) } }
                // (s ± n/2) / n truncated (± by the sign of s; 0 ± n/2 truncates to 0 either way):
                // |s| ≤ 9 · 128, so the float quotient is exact where the true one is an integer
                // and at least 1/9 away from one elsewhere. Intrinsics: Swift SIMD's lane
                // selection and int → float conversion run lane by lane here.
                let rounded = _mm256_add_epi32(s, _mm256_sign_epi32(half, s))
                let q = _mm256_cvttps_epi32(_mm256_div_ps(_mm256_cvtepi32_ps(rounded), count))
                storeInt8x8(unsafeBitCast(q, to: SIMD8<Int32>.self), dst + ch)
                ch += 8
            }
        }
    }
    if vectorChannels == c { return }
    quantizedAveragePoolScalar(x, y, h: h, w: w, c: c, oh: oh, ow: ow, padTop: padTop, padLeft: padLeft,
                               channels: vectorChannels..<c)
    #else
    quantizedAveragePoolScalar(x, y, h: h, w: w, c: c, oh: oh, ow: ow, padTop: padTop, padLeft: padLeft, channels: 0..<c)
    #endif
}

/// The valid input cells along one axis of output `o`'s 3-wide window (stride 2, `pad` before).
@inline(__always) private func poolCells(_ o: Int, pad: Int, size: Int) -> Range<Int> {
    let start = o * 2 - pad
    return max(start, 0)..<min(start + 3, size)
}

/// The same, one channel at a time (the reference the vector version is tested against).
func quantizedAveragePoolScalar(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, h: Int, w: Int, c: Int,
                                oh: Int, ow: Int, padTop: Int, padLeft: Int, channels: Range<Int>) {
    for oy in 0..<oh {
        let ys = poolCells(oy, pad: padTop, size: h)
        for ox in 0..<ow {
            let xs = poolCells(ox, pad: padLeft, size: w)
            let n = Int32(ys.count * xs.count)
            let half = n / 2
            let dst = y + (oy * ow + ox) * c
            for ch in channels {
                var s: Int32 = 0
                for iy in ys { for ix in xs { s += Int32(x[(iy * w + ix) * c + ch]) } }
                let v = s > 0 ? (s + half) / n : (s - half) / n
                dst[ch] = Int8(Swift.min(Swift.max(v, -128), 127))
            }
        }
    }
}

/// SUM over the middle axis of (outer, reduced, inner): rint(Σ(q − zp_in) · scale) + zp_out.
func quantizedSum(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, outer: Int, reduced: Int, inner: Int,
                  scale: Float, inZeroPoint: Int32, range: OutputRange) {
    for o in 0..<outer {
        for i in 0..<inner {
            var s: Int32 = 0
            for r in 0..<reduced { s += Int32(x[(o * reduced + r) * inner + i]) - inZeroPoint }
            y[o * inner + i] = range.scalar(s, scale)
        }
    }
}
