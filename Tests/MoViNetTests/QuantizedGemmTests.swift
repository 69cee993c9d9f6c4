// The int8 GEMM (the 1×1 conv) of every kernel set this machine runs against a naive integer
// reference: sizes that are not multiples of the tiles (k of 4, 8 or 64, n of 8 or 16, rows of
// 4 or 8), one-row products, row ranges that start inside a tile, and saturating outputs.

@testable import MoViNet
import XCTest

final class QuantizedGemmTests: XCTestCase {
    var rng = SeededGenerator(seed: 9)

    /// requantize(bias[o] + Σ_c (x[p, c] − zp_x) · w[o][c]) with XNNPACK's fp32 rounding, in scalars.
    func naive(_ x: [Int8], rows: Int, k: Int, _ w: [Int8], n: Int, bias: [Int32], scales: [Float], xZeroPoint: Int32,
               range: OutputRange) -> [Int8] {
        var y = [Int8](repeating: 0, count: rows * n)
        for p in 0..<rows {
            for o in 0..<n {
                var acc = bias[o]
                for c in 0..<k { acc += (Int32(x[p * k + c]) - xZeroPoint) * Int32(w[o * k + c]) }
                y[p * n + o] = range.scalar(acc, scales[o])
            }
        }
        return y
    }

    func int8s(_ count: Int) -> [Int8] { (0..<count).map { _ in Int8(truncatingIfNeeded: rng.next()) } }

    func testEveryKernelSetEqualsTheNaiveProduct() {
        let sets = KernelSet.usable()
        print("QuantizedGemmTests: kernel sets \(sets.map(\.rawValue)) (cpu: \(CPUFeatures.current.summary))")
        let shapes = [(1, 1, 1), (3, 3, 5), (9, 27, 8), (17, 16, 24), (8, 64, 16), (13, 65, 17), (33, 40, 104),
                      (1, 480, 2048), (1, 123, 45), (20, 184, 40), (2, 7, 33), (64, 8, 200)]
        for (rows, k, n) in shapes {
            let x = int8s(rows * k), w = int8s(n * k)
            let bias = (0..<n).map { _ in Int32.random(in: -20_000...20_000, using: &rng) }
            let xZeroPoint = Int32.random(in: -128...127, using: &rng)
            // Scales from saturating most outputs to keeping them near zero.
            let scale = [Float(1e-2), 1e-3, 1e-4][rows % 3]
            let scales = (0..<n).map { _ in scale * Float.random(in: 0.5...2, using: &rng) }
            let range = OutputRange(zeroPoint: Int32.random(in: -20...20, using: &rng), min: rows % 2 == 0 ? -128 : 0, max: 127)
            let m = QuantizedPointwise.pack(w, bias: bias, scales: scales, k: k, n: n, xZeroPoint: xZeroPoint, range: range)
            let want = naive(x, rows: rows, k: k, w, n: n, bias: bias, scales: scales, xZeroPoint: xZeroPoint, range: range)
            for kernels in sets {
                // All rows at once, and in two pieces split inside a tile (as threads split them).
                let split = rows / 2 + (rows > 6 ? 3 : 0)
                for pieces in [[0..<rows], [0..<min(split, rows), min(split, rows)..<rows]] {
                    let got = run(kernels, m, x, rows: rows, pieces: pieces.filter { !$0.isEmpty })
                    XCTAssertEqual(got, want, "\(kernels) \(rows)×\(k)×\(n) in pieces \(pieces)")
                }
            }
        }
    }

    /// The GEMM of `kernels` over `pieces` of the rows, in a buffer with guard bytes after y that
    /// must stay untouched.
    func run(_ kernels: KernelSet, _ m: QuantizedPointwise, _ x: [Int8], rows: Int, pieces: [Range<Int>]) -> [Int8] {
        var y = [Int8](repeating: 0x55, count: rows * m.n + 64)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                m.weights.withUnsafeBufferPointer { w in
                    m.bias.withUnsafeBufferPointer { b in
                        m.scale.withUnsafeBufferPointer { s in
                            for piece in pieces {
                                switch kernels {
                                case .portable:
                                    quantizedPointwise(PortablePairs.self, xp.baseAddress!, yp.baseAddress!, rows: piece, m,
                                                       weights: w.baseAddress!, bias: b.baseAddress!, scale: s.baseAddress!)
                                case .avx2:
                                    #if arch(x86_64)
                                    quantizedPointwiseAVX2(xp.baseAddress!, yp.baseAddress!, rows: piece, m,
                                                           weights: w.baseAddress!, bias: b.baseAddress!, scale: s.baseAddress!)
                                    #endif
                                case .avx512vnni:
                                    #if arch(x86_64)
                                    VNNIPacked(m).run(xp.baseAddress!, yp.baseAddress!, rows: piece)
                                    #endif
                                }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(Array(y[(rows * m.n)...]), [Int8](repeating: 0x55, count: 64), "\(kernels) wrote past the output")
        return Array(y[..<(rows * m.n)])
    }

    /// MOVINET_KERNELS picks a set this CPU runs, never one above it; the OS's view (Linux's
    /// /proc/cpuinfo, read whole though it says size 0) agrees with CPUID here.
    func testKernelChoice() {
        var avx2Only = CPUFeatures()
        avx2Only.avx2 = true
        avx2Only.fma = true
        var vnni = avx2Only
        (vnni.avx512f, vnni.avx512bw, vnni.avx512vl, vnni.avx512dq, vnni.avx512cd, vnni.avx512vnni) = (true, true, true, true, true, true)
        var notEnabled = vnni
        vnni.osAVX512 = true
        #if arch(x86_64)
        XCTAssertEqual(KernelSet.choose(environment: nil, features: vnni), .avx512vnni)
        XCTAssertEqual(KernelSet.choose(environment: "AVX2", features: vnni), .avx2)
        XCTAssertEqual(KernelSet.choose(environment: "portable", features: vnni), .portable)
        XCTAssertEqual(KernelSet.choose(environment: "avx512vnni", features: avx2Only), .avx2)
        XCTAssertEqual(KernelSet.choose(environment: "fast", features: avx2Only), .avx2)
        notEnabled.osAVX512 = false
        XCTAssertEqual(KernelSet.choose(environment: nil, features: notEnabled), .avx2)
        XCTAssertTrue(notEnabled.summary.contains("not enabled by the OS"), notEnabled.summary)
        XCTAssertEqual(KernelSet.usable(features: vnni), [.avx512vnni, .avx2, .portable])
        XCTAssertEqual(KernelSet.usable(features: avx2Only), [.avx2, .portable])
        #endif
        XCTAssertEqual(KernelSet.usable(features: CPUFeatures()), [.portable])
        #if os(Linux) && arch(x86_64)
        let flags = CPUFeatures.linuxFlags()
        XCTAssertTrue(flags.contains("sse2"), "\(flags.count) flags read from /proc/cpuinfo")
        XCTAssertEqual(flags.contains("avx2"), CPUFeatures.current.avx2)
        XCTAssertEqual(flags.contains("avx512_vnni"), CPUFeatures.current.avx512vnni)
        #endif
    }

    /// The int8 3×3/2 average pool, eight channels at a time, against its scalar form: odd and
    /// even sizes (corner cells of 4, 6 and 9), channel counts with a scalar tail, extreme values
    /// (sums that land exactly on .5 and on integers).
    func testAveragePoolEqualsTheScalarPool() {
        for (h, w, c) in [(5, 5, 8), (6, 7, 19), (11, 11, 40), (2, 3, 3), (1, 1, 16)] {
            for extremes in [false, true] {
                let x: [Int8] = (0..<(h * w * c)).map { _ in
                    extremes ? [-128, 127, -1, 0, 1][Int(rng.next() % 5)] : Int8(truncatingIfNeeded: rng.next())
                }
                for (padTop, padLeft) in [(0, 0), (1, 1), (0, 1)] {
                    let oh = (h + 1) / 2, ow = (w + 1) / 2
                    var fast = [Int8](repeating: 0x55, count: oh * ow * c), slow = fast
                    x.withUnsafeBufferPointer { xp in
                        quantizedAveragePool(xp.baseAddress!, &fast, h: h, w: w, c: c, oh: oh, ow: ow, padTop: padTop,
                                             padLeft: padLeft)
                        quantizedAveragePoolScalar(xp.baseAddress!, &slow, h: h, w: w, c: c, oh: oh, ow: ow, padTop: padTop,
                                                   padLeft: padLeft, channels: 0..<c)
                    }
                    XCTAssertEqual(fast, slow, "\(h)×\(w)×\(c) pad \(padTop),\(padLeft) extremes \(extremes)")
                }
            }
        }
    }

    func int32Weights(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32(Int8(truncatingIfNeeded: rng.next())) } }

    /// The VNNI spatial depthwise conv against the portable one: 3×3 and 5×5, strides 1 and 2,
    /// channel counts of one partial block, a block and a half and more, rows shorter than the
    /// four-output pass, padding on every side.
    func testVNNIDepthwiseEqualsThePortableKernel() throws {
        #if arch(x86_64)
        guard KernelSet.usable().contains(.avx512vnni) else { throw XCTSkip("no AVX-512 VNNI here (\(CPUFeatures.current.summary))") }
        for (h, w, c, k, stride) in [(5, 5, 8, 3, 1), (9, 7, 24, 5, 2), (6, 11, 40, 3, 2), (3, 2, 16, 3, 1), (12, 12, 20, 5, 1),
                                     (8, 9, 184, 3, 1), (2, 2, 4, 3, 2)] {
            let cp = (c + 7) & ~7
            let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
            let padTop = max(0, ((oh - 1) * stride + k - h) / 2), padLeft = max(0, ((ow - 1) * stride + k - w) / 2)
            var weights = int32Weights(k * k * cp)
            for t in 0..<(k * k) { for ch in c..<cp { weights[t * cp + ch] = 0 } }
            let m = QuantizedDepthwise(
                h: h, w: w, c: c, cPadded: cp, kh: k, kw: k, stride: stride, oh: oh, ow: ow, padTop: padTop, padLeft: padLeft,
                inZeroPoint: Int32.random(in: -128...127, using: &rng), weights: weights,
                pairWeights: pairedTapWeights(weights, taps: k * k, cPadded: cp),
                bias: (0..<cp).map { _ in Int32.random(in: -5000...5000, using: &rng) },
                scale: (0..<cp).map { _ in Float.random(in: 0.001...0.02, using: &rng) },
                range: OutputRange(zeroPoint: Int32.random(in: -10...10, using: &rng), min: -128, max: 127))
            let x = int8s(h * w * c)
            var want = [Int8](repeating: 0, count: oh * ow * c)
            x.withUnsafeBufferPointer { xp in
                m.weights.withUnsafeBufferPointer { wp in
                    m.bias.withUnsafeBufferPointer { bp in
                        m.scale.withUnsafeBufferPointer { sp in
                            quantizedDepthwise(xp.baseAddress!, &want, rows: 0..<oh, m, weights: wp.baseAddress!,
                                               bias: bp.baseAddress!, scale: sp.baseAddress!)
                        }
                    }
                }
            }
            let packed = VNNIDepthwisePacked(m)
            let padded = UnsafeMutablePointer<Int8>.allocate(capacity: m.paddedH * m.paddedW * c + 32)
            let quads = UnsafeMutablePointer<Int8>.allocate(capacity: packed.quadBytes)
            defer { padded.deallocate(); quads.deallocate() }
            x.withUnsafeBufferPointer { xp in
                padWithZeroPoint(xp.baseAddress!, h: h, w: w, c: c, padded, ph: m.paddedH, pw: m.paddedW, top: padTop,
                                 left: padLeft, zeroPoint: Int8(truncatingIfNeeded: m.inZeroPoint))
            }
            // Quad rows and outputs in two pieces each, as two threads split them.
            let rows = packed.shape.rows
            packed.fillQuads(padded, rows: 0..<(rows / 2), into: quads)
            packed.fillQuads(padded, rows: (rows / 2)..<rows, into: quads)
            var got = [Int8](repeating: 0x55, count: oh * ow * c + 16)
            got.withUnsafeMutableBufferPointer { yp in
                packed.run(quads, yp.baseAddress!, rows: 0..<(oh / 2))
                packed.run(quads, yp.baseAddress!, rows: (oh / 2)..<oh)
            }
            XCTAssertEqual(Array(got[(oh * ow * c)...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
            XCTAssertEqual(Array(got[..<(oh * ow * c)]), want, "\(h)×\(w)×\(c) \(k)×\(k) / \(stride)")
        }
        #endif
    }

    /// The VNNI temporal conv against the portable one, kt 1 to 6 (partial quads, two quads).
    func testVNNITemporalEqualsThePortableKernel() throws {
        #if arch(x86_64)
        guard KernelSet.usable().contains(.avx512vnni) else { throw XCTSkip("no AVX-512 VNNI here (\(CPUFeatures.current.summary))") }
        for (kt, pixels, c) in [(1, 5, 8), (2, 7, 24), (3, 9, 40), (4, 3, 16), (5, 11, 184), (6, 4, 20)] {
            let cp = (c + 7) & ~7
            var weights = int32Weights(kt * cp)
            for t in 0..<kt { for ch in c..<cp { weights[t * cp + ch] = 0 } }
            let m = QuantizedTemporal(
                kt: kt, pixels: pixels, c: c, cPadded: cp, inZeroPoint: Int32.random(in: -128...127, using: &rng),
                weights: weights, pairWeights: pairedTapWeights(weights, taps: kt, cPadded: cp),
                bias: (0..<cp).map { _ in Int32.random(in: -5000...5000, using: &rng) },
                scale: (0..<cp).map { _ in Float.random(in: 0.001...0.05, using: &rng) },
                range: OutputRange(zeroPoint: Int32.random(in: -10...10, using: &rng), min: -128, max: 127))
            let x = int8s(kt * pixels * c) + [Int8](repeating: 0, count: 32)   // the slots' slack
            var want = [Int8](repeating: 0, count: pixels * c), got = [Int8](repeating: 0x55, count: pixels * c + 16)
            x.withUnsafeBufferPointer { xp in
                m.weights.withUnsafeBufferPointer { wp in
                    m.bias.withUnsafeBufferPointer { bp in
                        m.scale.withUnsafeBufferPointer { sp in
                            quantizedTemporal(xp.baseAddress!, &want, pixels: 0..<pixels, m, weights: wp.baseAddress!,
                                              bias: bp.baseAddress!, scale: sp.baseAddress!)
                        }
                    }
                }
                let packed = VNNITemporalPacked(m)
                got.withUnsafeMutableBufferPointer { yp in
                    packed.run(xp.baseAddress!, yp.baseAddress!, pixels: 0..<(pixels / 2))
                    packed.run(xp.baseAddress!, yp.baseAddress!, pixels: (pixels / 2)..<pixels)
                }
            }
            XCTAssertEqual(Array(got[(pixels * c)...]), [Int8](repeating: 0x55, count: 16), "wrote past the output")
            XCTAssertEqual(Array(got[..<(pixels * c)]), want, "kt \(kt), \(pixels) pixels × \(c)")
        }
        #endif
    }
}
