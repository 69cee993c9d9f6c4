// The AVX2 depthwise kernels: taps taken in pairs, (x − zp) of two taps interleaved as int16 and
// multiplied with vpmaddwd (16 multiply-accumulates per instruction instead of vpmulld's 8).
// Same integer sums as the portable kernels in QuantizedKernels.swift, so the same outputs.

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Depthwise weights for tap pairs: (cPadded / 8, tapPairs, 8 channels, 2 taps) int16, a missing
/// last tap of an odd count with weight 0.
func pairedTapWeights(_ w: [Int32], taps: Int, cPadded cp: Int) -> [Int16] {
    let pairs = (taps + 1) / 2
    var out = [Int16](repeating: 0, count: (cp / 8) * pairs * 16)
    for b in 0..<(cp / 8) {
        for j in 0..<pairs {
            for c in 0..<8 {
                for k in 0..<2 where 2 * j + k < taps {
                    out[(b * pairs + j) * 16 + c * 2 + k] = Int16(w[(2 * j + k) * cp + b * 8 + c])
                }
            }
        }
    }
    return out
}

/// Σ over a tap pair of (x − zp) · w for 8 channels: x0, x1 point at the two taps' 8 int8 values.
@inline(__always) func tapPairDot(_ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>, _ zp: SIMD8<Int16>,
                                  _ w: UnsafeRawPointer) -> SIMD8<Int32> {
    let a = SIMD8<Int16>(truncatingIfNeeded: UnsafeRawPointer(x0).loadUnaligned(as: SIMD8<Int8>.self)) &- zp
    let b = SIMD8<Int16>(truncatingIfNeeded: UnsafeRawPointer(x1).loadUnaligned(as: SIMD8<Int8>.self)) &- zp
    #if arch(x86_64)
    let ai = unsafeBitCast(a, to: __m128i.self), bi = unsafeBitCast(b, to: __m128i.self)
    let x = _mm256_set_m128i(_mm_unpackhi_epi16(ai, bi), _mm_unpacklo_epi16(ai, bi))
    let r = _mm256_madd_epi16(x, w.loadUnaligned(as: __m256i.self))
    return unsafeBitCast(r, to: SIMD8<Int32>.self)
    #else
    let wv = w.loadUnaligned(as: SIMD16<Int16>.self)
    return SIMD8<Int32>(truncatingIfNeeded: a) &* SIMD8<Int32>(truncatingIfNeeded: wv.evenHalf)
        &+ SIMD8<Int32>(truncatingIfNeeded: b) &* SIMD8<Int32>(truncatingIfNeeded: wv.oddHalf)
    #endif
}

/// Depthwise spatial conv on an input padded with its zero point (ph, pw, c), output rows `oys`;
/// c a multiple of 8. `offsets[t]` is tap t's element offset in the padded input.
func quantizedDepthwisePaired(_ x: UnsafePointer<Int8>, pw: Int, _ y: UnsafeMutablePointer<Int8>, rows oys: Range<Int>,
                              _ m: QuantizedDepthwise, offsets: UnsafePointer<Int>, pairWeights: UnsafePointer<Int16>,
                              bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = SIMD8<Int16>(repeating: Int16(m.inZeroPoint))
    let c = m.c, taps = m.kh * m.kw, pairs = (taps + 1) / 2
    for oy in oys {
        for ox in 0..<m.ow {
            let base = x + ((oy * m.stride) * pw + ox * m.stride) * c
            let dst = y + (oy * m.ow + ox) * c
            var cb = 0
            // Hot loop: 8 channels, two taps per vpmaddwd.
            while cb < c {
                var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: SIMD8<Int32>.self)
                let wb = UnsafeRawPointer(pairWeights + (cb / 8) * pairs * 16)
                for j in 0..<pairs {
                    let t0 = 2 * j, t1 = min(2 * j + 1, taps - 1)
                    acc &+= tapPairDot(base + offsets[t0] + cb, base + offsets[t1] + cb, xzp, wb + j * 32)
                }
                storeInt8x8(requantize(acc, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
                            dst + cb)
                cb += 8
            }
        }
    }
}

/// Depthwise temporal conv (kt, P, C) → (P, C) with frame pairs, pixels `ps`; C a multiple of 8.
func quantizedTemporalPaired(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, pixels ps: Range<Int>,
                             _ m: QuantizedTemporal, pairWeights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>,
                             scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = SIMD8<Int16>(repeating: Int16(m.inZeroPoint))
    let c = m.c, frame = m.pixels * c, pairs = (m.kt + 1) / 2
    for p in ps {
        let px = x + p * c
        var cb = 0
        while cb < c {
            var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: SIMD8<Int32>.self)
            let wb = UnsafeRawPointer(pairWeights + (cb / 8) * pairs * 16)
            for j in 0..<pairs {
                let t0 = 2 * j, t1 = min(2 * j + 1, m.kt - 1)
                acc &+= tapPairDot(px + t0 * frame + cb, px + t1 * frame + cb, xzp, wb + j * 32)
            }
            storeInt8x8(requantize(acc, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
                        y + p * c + cb)
            cb += 8
        }
    }
}

/// Copies (h, w, c) int8 into the middle of a (ph, pw, c) buffer whose border holds `zeroPoint`.
func padWithZeroPoint(_ x: UnsafePointer<Int8>, h: Int, w: Int, c: Int, _ out: UnsafeMutablePointer<Int8>,
                      ph: Int, pw: Int, top: Int, left: Int, zeroPoint: Int8) {
    let rowBytes = pw * c
    for r in 0..<ph {
        let dst = out + r * rowBytes
        let sr = r - top
        if sr < 0 || sr >= h {
            dst.update(repeating: zeroPoint, count: rowBytes)
            continue
        }
        if left > 0 { dst.update(repeating: zeroPoint, count: left * c) }
        (dst + left * c).update(from: x + sr * w * c, count: w * c)
        let right = pw - left - w
        if right > 0 { (dst + (left + w) * c).update(repeating: zeroPoint, count: right * c) }
    }
}
