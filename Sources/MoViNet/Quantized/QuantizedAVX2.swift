// The AVX2 int8 kernels (x86-64): vpmaddwd through Clang's builtins, since Swift SIMD cannot express it —
// the 1×1 conv on input-channel pairs, and the depthwise convs on tap pairs ((x − zp) of two taps
// interleaved as int16), 16 multiply-accumulates per instruction instead of vpmulld's 8.
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

#if arch(x86_64)
/// 8 int8 values at `p` sign-extended to 8 int16, from an 8-byte load: a 16-byte load reads 8
/// bytes past them, into the next GEMM row that another thread is writing (ThreadSanitizer flagged
/// it in `--jobs`/`--threads 2` runs) or past the end of the buffer.
@inline(__always) func widen8(_ p: UnsafePointer<Int8>) -> __m128i {
    _mm_cvtepi8_epi16(widen8Bytes(p))
}

/// 8 int8 values at `p` in the low half of an `__m128i`, from an 8-byte load (see `widen8`).
@inline(__always) func widen8Bytes(_ p: UnsafePointer<Int8>) -> __m128i {
    _mm_cvtsi64_si128(Int64(bitPattern: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)))
}

/// Σ over a tap pair of (x − zp) · w for 8 channels, added to `acc`: x0, x1 point at the two taps'
/// 8 int8 values. Accumulators stay `__m256i` (a SIMD8<Int32> accumulator converted each step is
/// kept in memory by the compiler).
@inline(__always) func tapPairDot(_ acc: __m256i, _ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>, _ zp: __m128i,
                                  _ w: UnsafeRawPointer) -> __m256i {
    let a = _mm_sub_epi16(widen8(x0), zp)
    let b = _mm_sub_epi16(widen8(x1), zp)
    let x = _mm256_set_m128i(_mm_unpackhi_epi16(a, b), _mm_unpacklo_epi16(a, b))
    return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w.loadUnaligned(as: __m256i.self)))
}

/// Depthwise spatial conv on an input padded with its zero point (ph, pw, c), output rows `oys`;
/// c a multiple of 8. `offsets[t]` is tap t's element offset in the padded input.
func quantizedDepthwisePaired(_ x: UnsafePointer<Int8>, pw: Int, _ y: UnsafeMutablePointer<Int8>, rows oys: Range<Int>,
                              _ m: QuantizedDepthwise, offsets: UnsafePointer<Int>, pairWeights: UnsafePointer<Int16>,
                              bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = _mm_set1_epi16(Int16(m.inZeroPoint))
    let c = m.c, taps = m.kh * m.kw, pairs = (taps + 1) / 2
    for oy in oys {
        for ox in 0..<m.ow {
            let base = x + ((oy * m.stride) * pw + ox * m.stride) * c
            let dst = y + (oy * m.ow + ox) * c
            var cb = 0
            // Hot loop: 8 channels, two taps per vpmaddwd.
            while cb < c {
                var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: __m256i.self)
                let wb = UnsafeRawPointer(pairWeights + (cb / 8) * pairs * 16)
                let px = base + cb
                for j in 0..<pairs {
                    acc = tapPairDot(acc, px + offsets[2 * j], px + offsets[min(2 * j + 1, taps - 1)], xzp, wb + j * 32)
                }
                let v = unsafeBitCast(acc, to: SIMD8<Int32>.self)
                storeInt8x8(requantize(v, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
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
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp, xzp = _mm_set1_epi16(Int16(m.inZeroPoint))
    let c = m.c, frame = m.pixels * c, pairs = (m.kt + 1) / 2
    for p in ps {
        let px = x + p * c
        var cb = 0
        while cb < c {
            var acc = UnsafeRawPointer(bias + cb).loadUnaligned(as: __m256i.self)
            let wb = UnsafeRawPointer(pairWeights + (cb / 8) * pairs * 16)
            for j in 0..<pairs {
                acc = tapPairDot(acc, px + 2 * j * frame + cb, px + min(2 * j + 1, m.kt - 1) * frame + cb, xzp, wb + j * 32)
            }
            let v = unsafeBitCast(acc, to: SIMD8<Int32>.self)
            storeInt8x8(requantize(v, UnsafeRawPointer(scale + cb).loadUnaligned(as: SIMD8<Float>.self), lo, hi, zp),
                        y + p * c + cb)
            cb += 8
        }
    }
}

/// The AVX2 1×1 conv: as `quantizedPointwise`, with `__m256i` accumulators (4 pixels × 16 outputs).
func quantizedPointwiseAVX2(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows: Range<Int>,
                            _ m: QuantizedPointwise, weights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>,
                            scale: UnsafePointer<Float>) {
    let k = m.k, n = m.n, kPairs = m.kPairs
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp
    if rows.count == 1 {
        quantizedVectorAVX2(x, y, row: rows.lowerBound, m, weights: weights, bias: bias, scale: scale)
        return
    }
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
                let wb = UnsafeRawPointer(weights + nb * kPairs * 16)
                var c0 = UnsafeRawPointer(bias + nb * 8).loadUnaligned(as: __m256i.self)
                var c1 = c0, c2 = c0, c3 = c0
                if two {
                    var d0 = UnsafeRawPointer(bias + nb * 8 + 8).loadUnaligned(as: __m256i.self)
                    var d1 = d0, d2 = d0, d3 = d0
                    let wd = wb + kPairs * 32
                    // Hot loop: 4 pixels × 16 outputs, 8 vpmaddwd per input-channel pair.
                    for j in 0..<kPairs {
                        let wv = wb.loadUnaligned(fromByteOffset: j * 32, as: __m256i.self)
                        let wx = wd.loadUnaligned(fromByteOffset: j * 32, as: __m256i.self)
                        let x0 = _mm256_set1_epi32(a0[j]), x1 = _mm256_set1_epi32(a1[j])
                        let x2 = _mm256_set1_epi32(a2[j]), x3 = _mm256_set1_epi32(a3[j])
                        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, wv)); d0 = _mm256_add_epi32(d0, _mm256_madd_epi16(x0, wx))
                        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x1, wv)); d1 = _mm256_add_epi32(d1, _mm256_madd_epi16(x1, wx))
                        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(x2, wv)); d2 = _mm256_add_epi32(d2, _mm256_madd_epi16(x2, wx))
                        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(x3, wv)); d3 = _mm256_add_epi32(d3, _mm256_madd_epi16(x3, wx))
                    }
                    storeTile(y, n: n, row: p, count: count, column: nb * 8 + 8, d0, d1, d2, d3, scale, lo, hi, zp)
                } else {
                    for j in 0..<kPairs {
                        let wv = wb.loadUnaligned(fromByteOffset: j * 32, as: __m256i.self)
                        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_set1_epi32(a0[j]), wv))
                        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_set1_epi32(a1[j]), wv))
                        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_set1_epi32(a2[j]), wv))
                        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_set1_epi32(a3[j]), wv))
                    }
                }
                storeTile(y, n: n, row: p, count: count, column: nb * 8, c0, c1, c2, c3, scale, lo, hi, zp)
                nb += two ? 2 : 1
            }
            p += 4
        }
    }
}

/// One row of the 1×1 conv (the classifier's and squeeze-excitation's matrix-vector products):
/// 32 outputs at a time, so the 4-row tile does not compute three copies of the row.
func quantizedVectorAVX2(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, row: Int,
                         _ m: QuantizedPointwise, weights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>,
                         scale: UnsafePointer<Float>) {
    let k = m.k, n = m.n, kPairs = m.kPairs
    let lo = m.range.lo, hi = m.range.hi, zp = m.range.zp
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * kPairs + 8) { wide in
        let w16 = UnsafeMutableRawPointer(wide.baseAddress!).assumingMemoryBound(to: Int16.self)
        widenRows(x, k: k, kPairs: kPairs, from: row, count: 1, into: w16)
        let a = wide.baseAddress!
        var nb = 0
        while nb < m.nBlocks {
            let blocks = min(4, m.nBlocks - nb)
            let wb = UnsafeRawPointer(weights + nb * kPairs * 16)
            let block = kPairs * 32   // bytes of one block's weights
            func start(_ i: Int) -> __m256i {
                UnsafeRawPointer(bias + (nb + min(i, blocks - 1)) * 8).loadUnaligned(as: __m256i.self)
            }
            var c0 = start(0), c1 = start(1), c2 = start(2), c3 = start(3)
            if blocks == 4 {
                for j in 0..<kPairs {
                    let xj = _mm256_set1_epi32(a[j])
                    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: j * 32, as: __m256i.self)))
                    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: block + j * 32, as: __m256i.self)))
                    c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: 2 * block + j * 32, as: __m256i.self)))
                    c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: 3 * block + j * 32, as: __m256i.self)))
                }
            } else {
                for j in 0..<kPairs {
                    let xj = _mm256_set1_epi32(a[j])
                    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: j * 32, as: __m256i.self)))
                    if blocks > 1 {
                        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: block + j * 32, as: __m256i.self)))
                    }
                    if blocks > 2 {
                        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(xj, wb.loadUnaligned(fromByteOffset: 2 * block + j * 32, as: __m256i.self)))
                    }
                }
            }
            let out = y + row * n
            func store(_ acc: __m256i, block i: Int) {
                let column = (nb + i) * 8
                let s = UnsafeRawPointer(scale + column).loadUnaligned(as: SIMD8<Float>.self)
                let v = requantize(unsafeBitCast(acc, to: SIMD8<Int32>.self), s, lo, hi, zp)
                let width = min(8, n - column)
                if width == 8 { storeInt8x8(v, out + column) } else {
                    for c in 0..<width { out[column + c] = Int8(truncatingIfNeeded: v[c]) }
                }
            }
            store(c0, block: 0)
            if blocks > 1 { store(c1, block: 1) }
            if blocks > 2 { store(c2, block: 2) }
            if blocks > 3 { store(c3, block: 3) }
            nb += blocks
        }
    }
}

/// (kh·kw·cin) patches of a zero-point-padded input, output rows `oys`, as rows of the GEMM input:
/// the padded taps hold the zero point, which the GEMM's folded bias cancels exactly.
func im2col(_ x: UnsafePointer<Int8>, pw: Int, _ m: QuantizedConv, rows oys: Range<Int>, _ out: UnsafeMutablePointer<Int8>) {
    let run = m.kw * m.cin, k = m.kh * run
    for oy in oys {
        for ox in 0..<m.ow {
            let dst = out + (oy * m.ow + ox) * k
            for ky in 0..<m.kh {
                let src = UnsafeRawPointer(x + ((oy * m.stride + ky) * pw + ox * m.stride) * m.cin)
                let out = UnsafeMutableRawPointer(dst + ky * run)
                // 8 bytes at a time, then the rest (the stem's runs are 9 bytes: a byte loop was
                // 6% of an int8 frame); never past the run, which another thread may be writing.
                var i = 0
                while i + 8 <= run {
                    out.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < run {
                    out.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                    i += 1
                }
            }
        }
    }
}

/// Requantizes and stores up to four rows of 8 outputs at `column`.
@inline(__always) func storeTile(_ y: UnsafeMutablePointer<Int8>, n: Int, row: Int, count: Int, column: Int,
                                 _ r0: __m256i, _ r1: __m256i, _ r2: __m256i, _ r3: __m256i, _ scale: UnsafePointer<Float>,
                                 _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ zp: SIMD8<Int32>) {
    let s = UnsafeRawPointer(scale + column).loadUnaligned(as: SIMD8<Float>.self)
    let width = min(8, n - column)
    for r in 0..<count {
        let acc = unsafeBitCast(r == 0 ? r0 : r == 1 ? r1 : r == 2 ? r2 : r3, to: SIMD8<Int32>.self)
        let v = requantize(acc, s, lo, hi, zp)
        let dst = y + (row + r) * n + column
        if width == 8 { storeInt8x8(v, dst) } else { for i in 0..<width { dst[i] = Int8(truncatingIfNeeded: v[i]) } }
    }
}
#endif

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
