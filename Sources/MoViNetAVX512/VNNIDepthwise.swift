// The AVX-512 VNNI depthwise convs: vpdpbusd sums four taps of 16 channels per instruction,
// each int32 lane one channel, its four bytes four taps.
//
// Spatial (kh×kw, stride 1 or 2): a "quad" buffer holds, for every input row and every column
// a window starts at, the four bytes x[r][x…x+3][c] of each channel side by side (built once per
// frame, row by row); one 64-byte load is then one kernel row's taps kx 4g…4g+3 for 16 channels.
// Temporal (kt×1×1 over frames): the kt frames' bytes are interleaved per pixel on the fly.
// As in the GEMM, bytes go in offset to uint8 (x ^ 0x80) and the packed bias takes
// (128 + input zero point) · Σ w off, so the int32 sums and the outputs are the AVX2 kernels'.

#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The sizes of one depthwise conv on a zero-point-padded input (ph, pw, c).
public struct VNNIDepthwiseShape {
    public var c: Int, kh: Int, kw: Int, stride: Int, oh: Int, ow: Int, paddedW: Int
    /// Quads per kernel row, ⌈kw / 4⌉.
    public var quads: Int { (kw + 3) / 4 }
    /// 16-channel blocks.
    public var blocks: Int { (c + 15) / 16 }
    /// Window start columns kept per row: x = ox · stride + 4g, stored at x / stride.
    public var positions: Int { (ow - 1) + 4 * (quads - 1) / stride + 1 }
    /// Bytes of one quad-buffer row.
    public var rowBytes: Int { positions * blocks * 64 }
    /// Input rows the outputs read.
    public var rows: Int { (oh - 1) * stride + kh }
    public init(c: Int, kh: Int, kw: Int, stride: Int, oh: Int, ow: Int, paddedW: Int) {
        precondition(stride == 1 || stride == 2, "depthwise stride \(stride)")
        self.c = c
        self.kh = kh
        self.kw = kw
        self.stride = stride
        self.oh = oh
        self.ow = ow
        self.paddedW = paddedW
    }
}

/// 16 channels of four 16-byte rows a0…a3 interleaved: byte 4i + j is a_j[i], offset to uint8.
/// Built in registers (four 16-byte stores read back as one 64-byte load would stall on store
/// forwarding).
@inline(__always) private func interleave4(_ a0: __m128i, _ a1: __m128i, _ a2: __m128i, _ a3: __m128i) -> __m512i {
    let flip = _mm_set1_epi8(-128)
    let b0 = _mm_xor_si128(a0, flip), b1 = _mm_xor_si128(a1, flip)
    let b2 = _mm_xor_si128(a2, flip), b3 = _mm_xor_si128(a3, flip)
    let lo01 = _mm_unpacklo_epi8(b0, b1), hi01 = _mm_unpackhi_epi8(b0, b1)
    let lo23 = _mm_unpacklo_epi8(b2, b3), hi23 = _mm_unpackhi_epi8(b2, b3)
    var r = _mm512_broadcast_i32x4(_mm_unpacklo_epi16(lo01, lo23))
    r = _mm512_mask_broadcast_i32x4(r, 0x00F0, _mm_unpackhi_epi16(lo01, lo23))
    r = _mm512_mask_broadcast_i32x4(r, 0x0F00, _mm_unpacklo_epi16(hi01, hi23))
    return _mm512_mask_broadcast_i32x4(r, 0xF000, _mm_unpackhi_epi16(hi01, hi23))
}

/// Quad-buffer rows `rows` of the padded input x (ph, pw, c): row r, position p, block b at
/// (r · positions + p) · blocks · 64 + b · 64. Columns past the padded width read as 0 (their
/// weights are 0). x may be read up to 15 bytes past a pixel's channels (the caller's buffer
/// has room for that after its end).
@inline(never)
public func vnniDepthwiseQuads(_ x: UnsafePointer<Int8>, rows: Range<Int>, _ s: VNNIDepthwiseShape,
                               into quads: UnsafeMutablePointer<Int8>) {
    let c = s.c, blocks = s.blocks, positions = s.positions, pw = s.paddedW, stride = s.stride, rowBytes = s.rowBytes
    let zero = _mm_setzero_si128()
    for r in rows {
        let src = UnsafeRawPointer(x + r &* pw &* c)
        var out = UnsafeMutableRawPointer(quads + r &* rowBytes)
        for p in 0..<positions {
            let x0 = p &* stride
            for b in 0..<blocks {
                let at = b &* 16
                @inline(__always) func column(_ j: Int) -> __m128i {
                    x0 &+ j < pw ? src.loadUnaligned(fromByteOffset: (x0 &+ j) &* c &+ at, as: __m128i.self) : zero
                }
                out.storeBytes(of: interleave4(column(0), column(1), column(2), column(3)), as: __m512i.self)
                out += 64
            }
        }
    }
}

/// Packs (kh, kw, cPadded) int32 depthwise weights as (blocks, kh, quads, 16 channels, 4 taps)
/// int8, and the bias (c values) minus (128 + inZeroPoint) · Σ w, into 16-padded arrays.
public func vnniPackDepthwise(_ w: UnsafePointer<Int32>, cPadded: Int, _ s: VNNIDepthwiseShape, bias: UnsafePointer<Int32>,
                              inZeroPoint: Int32, packed: UnsafeMutablePointer<Int8>, packedBias: UnsafeMutablePointer<Int32>) {
    let blocks = s.blocks, quads = s.quads
    packed.initialize(repeating: 0, count: blocks * s.kh * quads * 64)
    packedBias.initialize(repeating: 0, count: blocks * 16)
    for ch in 0..<s.c {
        var sum: Int32 = 0
        for ky in 0..<s.kh {
            for kx in 0..<s.kw {
                let v = w[(ky * s.kw + kx) * cPadded + ch]
                sum += v
                packed[(((ch / 16) * s.kh + ky) * quads + kx / 4) * 64 + (ch % 16) * 4 + kx % 4] = Int8(truncatingIfNeeded: v)
            }
        }
        packedBias[ch] = bias[ch] &- (128 &+ inZeroPoint) &* sum
    }
}

/// Output rows `rows` of the depthwise conv from the quad buffer: y (oh, ow, c) int8.
@inline(never)
public func vnniDepthwise(_ quads: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows: Range<Int>,
                          _ s: VNNIDepthwiseShape, _ g: VNNIGemmShape, weights: UnsafePointer<Int8>,
                          bias: UnsafePointer<Int32>, scale: UnsafePointer<Float>) {
    let rq = Requantize(g)
    let blocks = s.blocks, nq = s.quads, c = s.c, kh = s.kh, ow = s.ow, rowBytes = s.rowBytes
    let pixel = blocks &* 64                          // bytes between successive outputs' windows
    let quadStep = (4 / s.stride) &* pixel           // bytes between a window's quads
    for oy in rows {
        let rowStart = UnsafeRawPointer(quads) + oy &* s.stride &* rowBytes
        let out = y + oy &* ow &* c
        for b in 0..<blocks {
            let w = UnsafeRawPointer(weights + b &* kh &* nq &* 64)
            let b16 = _mm512_loadu_si512(bias + b &* 16), s16 = _mm512_loadu_ps(scale + b &* 16)
            let column = b &* 16
            var ox = 0
            // Hot loop: four outputs at a time (independent accumulators), kh · ⌈kw/4⌉ vpdpbusd each.
            while ox &+ 4 <= ow {
                var a0 = b16, a1 = b16, a2 = b16, a3 = b16
                var r = rowStart + (ox &* pixel &+ b &* 64)
                var wq = w
                for _ in 0..<kh {
                    var p = r
                    for _ in 0..<nq {
                        let wv = _mm512_loadu_si512(wq)
                        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(p), wv)
                        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(p + pixel), wv)
                        a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(p + 2 &* pixel), wv)
                        a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(p + 3 &* pixel), wv)
                        p += quadStep
                        wq += 64
                    }
                    r += rowBytes
                }
                store(rq.apply(a0, s16), out + ox &* c, column: column, n: c)
                store(rq.apply(a1, s16), out + (ox &+ 1) &* c, column: column, n: c)
                store(rq.apply(a2, s16), out + (ox &+ 2) &* c, column: column, n: c)
                store(rq.apply(a3, s16), out + (ox &+ 3) &* c, column: column, n: c)
                ox &+= 4
            }
            while ox < ow {
                var a0 = b16
                var r = rowStart + (ox &* pixel &+ b &* 64)
                var wq = w
                for _ in 0..<kh {
                    var p = r
                    for _ in 0..<nq {
                        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(p), _mm512_loadu_si512(wq))
                        p += quadStep
                        wq += 64
                    }
                    r += rowBytes
                }
                store(rq.apply(a0, s16), out + ox &* c, column: column, n: c)
                ox &+= 1
            }
        }
    }
}

/// Packs (kt, cPadded) int32 temporal weights as (blocks, ⌈kt/4⌉, 16, 4) int8 with the bias as in
/// ``vnniPackDepthwise``.
public func vnniPackTemporal(_ w: UnsafePointer<Int32>, kt: Int, c: Int, cPadded: Int, bias: UnsafePointer<Int32>,
                             inZeroPoint: Int32, packed: UnsafeMutablePointer<Int8>, packedBias: UnsafeMutablePointer<Int32>) {
    let blocks = (c + 15) / 16, quads = (kt + 3) / 4
    packed.initialize(repeating: 0, count: blocks * quads * 64)
    packedBias.initialize(repeating: 0, count: blocks * 16)
    for ch in 0..<c {
        var sum: Int32 = 0
        for t in 0..<kt {
            let v = w[t * cPadded + ch]
            sum += v
            packed[((ch / 16) * quads + t / 4) * 64 + (ch % 16) * 4 + t % 4] = Int8(truncatingIfNeeded: v)
        }
        packedBias[ch] = bias[ch] &- (128 &+ inZeroPoint) &* sum
    }
}

/// The temporal depthwise conv (kt, P, c) → (P, c) for pixels `pixels`; x may be read up to 15
/// bytes past the last pixel's channels.
@inline(never)
public func vnniTemporal(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, pixels: Range<Int>, kt: Int,
                         frame: Int, _ g: VNNIGemmShape, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>,
                         scale: UnsafePointer<Float>) {
    let rq = Requantize(g)
    let c = g.n, blocks = (c + 15) / 16, nq = (kt + 3) / 4
    let src = UnsafeRawPointer(x)
    for p in pixels {
        let out = y + p &* c
        for b in 0..<blocks {
            let at = p &* c &+ b &* 16
            var acc = _mm512_loadu_si512(bias + b &* 16)
            let w = UnsafeRawPointer(weights + b &* nq &* 64)
            for q in 0..<nq {
                // Frames past kt repeat the last (weight 0), so nothing past the input is read.
                @inline(__always) func tap(_ j: Int) -> __m128i {
                    src.loadUnaligned(fromByteOffset: min(4 &* q &+ j, kt &- 1) &* frame &+ at, as: __m128i.self)
                }
                acc = _mm512_dpbusd_epi32(acc, interleave4(tap(0), tap(1), tap(2), tap(3)), _mm512_loadu_si512(w + q &* 64))
            }
            store(rq.apply(acc, _mm512_loadu_ps(scale + b &* 16)), out, column: b &* 16, n: c)
        }
    }
}
#endif
