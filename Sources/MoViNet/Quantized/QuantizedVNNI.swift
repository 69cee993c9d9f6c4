// The int8 GEMMs and depthwise convs on AVX-512 VNNI (the kernels are in MoViNetAVX512, compiled
// for x86-64-v4): the weights repacked into quads for vpdpbusd, once per runner.

#if arch(x86_64)
import MoViNetAVX512

/// One GEMM's weights, bias and scales in the layout of `vnniGemm`.
struct VNNIPacked {
    let shape: VNNIGemmShape
    private let weights: [Int8]
    private let bias: [Int32]
    private let scale: [Float]

    init(_ m: QuantizedPointwise) {
        let k = m.k, n = m.n, kPairs = m.kPairs, quads = (k + 3) / 4, blocks = (n + 15) / 16
        // Straight from the AVX2 layout (nBlocks, kPairs, 8, 2) int16, read in its order, into
        // vnniGemm's (blocks, quads, 16, 4) int8 — one pass, at every runner's start.
        var packed = [Int8](repeating: 0, count: blocks * quads * 64)
        var packedBias = [Int32](repeating: 0, count: blocks * 16)
        packed.withUnsafeMutableBufferPointer { dst in
            packedBias.withUnsafeMutableBufferPointer { pb in
                m.weights.withUnsafeBufferPointer { src in
                    m.bias.withUnsafeBufferPointer { bias in
                        var sums = [Int32](repeating: 0, count: m.nBlocks * 8)
                        sums.withUnsafeMutableBufferPointer { sum in
                            var i = 0
                            for ob in 0..<m.nBlocks {
                                for j in 0..<kPairs {
                                    for o8 in 0..<8 {
                                        let o = ob &* 8 &+ o8
                                        let blockStart: Int = (o >> 4) &* quads &* 64
                                        let row = dst.baseAddress! + (blockStart &+ (o & 15) &* 4)
                                        for t in 0..<2 {
                                            let v = src[i &+ o8 &* 2 &+ t]
                                            let c = 2 &* j &+ t
                                            sum[o] &+= Int32(v)
                                            let at: Int = (c >> 2) &* 64 &+ (c & 3)
                                            if c < k && o < n { row[at] = Int8(truncatingIfNeeded: v) }
                                        }
                                    }
                                    i &+= 16
                                }
                            }
                            // The bias for uint8 inputs (x + 128): 128 · Σ_c w[o][c] less.
                            for o in 0..<n { pb[o] = bias[o] &- 128 &* sum[o] }
                        }
                    }
                }
            }
        }
        weights = packed
        bias = packedBias
        scale = padded16(m.scale, n)
        shape = VNNIGemmShape(k: k, n: n, m.range)
    }

    /// The conv's patches for output rows `oys`, as `im2col` makes them.
    func im2col(_ x: UnsafePointer<Int8>, pw: Int, _ m: QuantizedConv, rows oys: Range<Int>, _ out: UnsafeMutablePointer<Int8>) {
        vnniIm2col(x, pw: pw, cin: m.cin, kh: m.kh, kw: m.kw, stride: m.stride, ow: m.ow, rows: oys, out)
    }

    /// y[p, ·] for p in `rows` from x's rows (P, k), as `quantizedPointwise` computes them.
    func run(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows: Range<Int>) {
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                scale.withUnsafeBufferPointer { s in
                    vnniGemm(x, y, rows: rows, shape, weights: w.baseAddress!, bias: b.baseAddress!, scale: s.baseAddress!)
                }
            }
        }
    }
}
extension VNNIGemmShape {
    init(k: Int, n: Int, _ range: OutputRange) {
        self.init(k: k, n: n, lo: Float(range.min - range.zeroPoint), hi: Float(range.max - range.zeroPoint),
                  zeroPoint: range.zeroPoint)
    }
}

/// 16-padded copies of per-channel scales.
private func padded16(_ scale: [Float], _ c: Int) -> [Float] {
    (0..<(((c + 15) / 16) * 16)).map { $0 < c ? scale[$0] : 0 }
}

/// A spatial depthwise conv's weights for `vnniDepthwise`, and its quad buffer's size.
struct VNNIDepthwisePacked {
    let shape: VNNIDepthwiseShape
    let requantization: VNNIGemmShape
    private let weights: [Int8]
    private let bias: [Int32]
    private let scale: [Float]
    /// Bytes of the quad buffer (input rows × row bytes).
    var quadBytes: Int { shape.rows * shape.rowBytes }

    init(_ m: QuantizedDepthwise) {
        shape = VNNIDepthwiseShape(c: m.c, kh: m.kh, kw: m.kw, stride: m.stride, oh: m.oh, ow: m.ow, paddedW: m.paddedW)
        requantization = VNNIGemmShape(k: m.kh * m.kw, n: m.c, m.range)
        var packed = [Int8](repeating: 0, count: shape.blocks * m.kh * shape.quads * 64)
        var packedBias = [Int32](repeating: 0, count: shape.blocks * 16)
        let s = shape
        m.weights.withUnsafeBufferPointer { w in
            m.bias.withUnsafeBufferPointer { b in
                packed.withUnsafeMutableBufferPointer { p in
                    packedBias.withUnsafeMutableBufferPointer { pb in
                        vnniPackDepthwise(w.baseAddress!, cPadded: m.cPadded, s, bias: b.baseAddress!, inZeroPoint: m.inZeroPoint,
                                          packed: p.baseAddress!, packedBias: pb.baseAddress!)
                    }
                }
            }
        }
        weights = packed
        bias = packedBias
        scale = padded16(m.scale, m.c)
    }

    /// Quad-buffer rows `rows` from the zero-point-padded input.
    func fillQuads(_ padded: UnsafePointer<Int8>, rows: Range<Int>, into quads: UnsafeMutablePointer<Int8>) {
        vnniDepthwiseQuads(padded, rows: rows, shape, into: quads)
    }

    /// Output rows `rows` from a quad buffer filled by `fillQuads`.
    func run(_ quads: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, rows: Range<Int>) {
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                scale.withUnsafeBufferPointer { s in
                    vnniDepthwise(quads, y, rows: rows, shape, requantization, weights: w.baseAddress!, bias: b.baseAddress!,
                                  scale: s.baseAddress!)
                }
            }
        }
    }
}

/// A temporal depthwise conv's weights for `vnniTemporal`.
struct VNNITemporalPacked {
    let kt: Int, frame: Int
    let requantization: VNNIGemmShape
    private let weights: [Int8]
    private let bias: [Int32]
    private let scale: [Float]

    init(_ m: QuantizedTemporal) {
        kt = m.kt
        frame = m.pixels * m.c
        requantization = VNNIGemmShape(k: m.kt, n: m.c, m.range)
        let blocks = (m.c + 15) / 16
        var packed = [Int8](repeating: 0, count: blocks * ((m.kt + 3) / 4) * 64)
        var packedBias = [Int32](repeating: 0, count: blocks * 16)
        m.weights.withUnsafeBufferPointer { w in
            m.bias.withUnsafeBufferPointer { b in
                packed.withUnsafeMutableBufferPointer { p in
                    packedBias.withUnsafeMutableBufferPointer { pb in
                        vnniPackTemporal(w.baseAddress!, kt: m.kt, c: m.c, cPadded: m.cPadded, bias: b.baseAddress!,
                                         inZeroPoint: m.inZeroPoint, packed: p.baseAddress!, packedBias: pb.baseAddress!)
                    }
                }
            }
        }
        weights = packed
        bias = packedBias
        scale = padded16(m.scale, m.c)
    }

    func run(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, pixels: Range<Int>) {
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                scale.withUnsafeBufferPointer { s in
                    vnniTemporal(x, y, pixels: pixels, kt: kt, frame: frame, requantization, weights: w.baseAddress!,
                                 bias: b.baseAddress!, scale: s.baseAddress!)
                }
            }
        }
    }
}

/// A step's VNNI form.
enum VNNIStep {
    case gemm(VNNIPacked)
    case depthwise(VNNIDepthwisePacked)
    case temporal(VNNITemporalPacked)

    /// nil for steps without a VNNI kernel, and for empty shapes (a crafted file's), which keep
    /// the other kernels.
    init?(_ step: QuantizedStep) {
        switch step {
        case let .pointwise(_, _, pixels, m) where pixels > 0 && m.k > 0 && m.n > 0:
            self = .gemm(VNNIPacked(m))
        case let .conv(_, _, m) where m.oh > 0 && m.ow > 0 && m.gemm.k > 0 && m.gemm.n > 0:
            self = .gemm(VNNIPacked(m.gemm))
        case let .depthwise(_, _, m) where (m.stride == 1 || m.stride == 2) && m.oh > 0 && m.ow > 0 && m.c > 0
                                           && m.kh > 0 && m.kw > 0:
            self = .depthwise(VNNIDepthwisePacked(m))
        case let .temporal(_, _, m) where m.kt > 0 && m.pixels > 0 && m.c > 0:
            self = .temporal(VNNITemporalPacked(m))
        default:
            return nil
        }
    }
}
#endif
