// The int8 GEMMs on AVX-512 VNNI (the kernels are in MoViNetAVX512, compiled for x86-64-v4):
// a QuantizedPointwise's weights repacked into input quads for vpdpbusd, once per runner.

#if arch(x86_64)
import MoViNetAVX512

/// One GEMM's weights, bias and scales in the layout of `vnniGemm`.
struct VNNIPacked {
    let shape: VNNIGemmShape
    private let weights: [Int8]
    private let bias: [Int32]
    private let scale: [Float]

    init(_ m: QuantizedPointwise) {
        let k = m.k, n = m.n, quads = (k + 3) / 4, blocks = (n + 15) / 16
        // Back from the AVX2 layout (nBlocks, kPairs, 8, 2) to (n, k).
        var plain = [Int8](repeating: 0, count: n * k)
        for o in 0..<n {
            for c in 0..<k {
                plain[o * k + c] = Int8(truncatingIfNeeded: m.weights[(o / 8) * m.kPairs * 16 + (c >> 1) * 16 + (o % 8) * 2 + (c & 1)])
            }
        }
        var packed = [Int8](repeating: 0, count: blocks * quads * 64)
        var packedBias = [Int32](repeating: 0, count: blocks * 16)
        plain.withUnsafeBufferPointer { w in
            m.bias.withUnsafeBufferPointer { b in
                packed.withUnsafeMutableBufferPointer { p in
                    packedBias.withUnsafeMutableBufferPointer { pb in
                        vnniPackWeights(w.baseAddress!, k: k, n: n, bias: b.baseAddress!, packed: p.baseAddress!,
                                        packedBias: pb.baseAddress!)
                    }
                }
            }
        }
        weights = packed
        bias = packedBias
        scale = (0..<(blocks * 16)).map { $0 < n ? m.scale[$0] : 0 }
        shape = VNNIGemmShape(k: k, n: n, lo: Float(m.range.min - m.range.zeroPoint), hi: Float(m.range.max - m.range.zeroPoint),
                              zeroPoint: m.range.zeroPoint)
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
#endif
