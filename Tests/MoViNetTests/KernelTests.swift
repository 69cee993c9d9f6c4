// Every kernel against its naive twin on random data, including channel counts and frame sizes
// that are not multiples of the SIMD width.

import MoViNet
import XCTest

final class KernelTests: XCTestCase {
    var rng = SeededGenerator(seed: 42)
    let functions: [ElementFunction] = [.identity, .relu6, .hardSwish, .swish, .sigmoid, .hardSigmoidRelu6, .hardSigmoidLinear]

    func testElementFunctionsMatchTheirDefinitions() {
        // −100…100 in steps of 0.1 plus both saturated tails; the SIMD exp is within a few ulp of libm's.
        let x = (0..<2001).map { Float($0 - 1000) / 10 } + [-200, -89, 89, 200, .leastNormalMagnitude]
        for f in functions {
            let simd = Kernels.apply(f, x)
            for (i, v) in x.enumerated() {
                let want = f(v)
                XCTAssertEqual(simd[i], want, accuracy: 4e-7 * max(1, abs(want)), "\(f) at \(v)")
            }
        }
        XCTAssertEqual(ElementFunction.hardSigmoidLinear(1), 0.7, accuracy: 1e-7)
        XCTAssertEqual(ElementFunction.hardSigmoidRelu6(1), 4 * 0.16667, accuracy: 1e-7)
        XCTAssertEqual(ElementFunction.hardSwish(1), 4.0 / 6, accuracy: 1e-7)
        XCTAssertEqual(ElementFunction.relu6(7), 6)
    }

    func testPointwiseMatchesNaive() {
        for (rows, k, n) in [(1, 1, 1), (7, 5, 3), (13, 24, 80), (37, 56, 184), (6, 104, 480), (1, 480, 2048), (50, 17, 29)] {
            for f in [ElementFunction.identity, .relu6, .hardSwish, .swish] {
                let a = randomArray(rows * k, &rng), w = randomArray(k * n, &rng), b = randomArray(n, &rng)
                let r = randomArray(rows * n, &rng)
                let expected = zip(naiveMatmul(a, rows: rows, k: k, w, n: n, bias: b).map { f($0) }, r).map { $0 + $1 }
                let got = Kernels.pointwise(a, rows: rows, k: k, weights: w, n: n, bias: b, residual: r, f)
                XCTAssertLessThan(relativeError(got, expected), 2e-6, "\(rows)×\(k)×\(n) \(f)")
                let plain = Kernels.pointwise(a, rows: rows, k: k, weights: w, n: n, bias: b, f)
                XCTAssertLessThan(relativeError(plain, naiveMatmul(a, rows: rows, k: k, w, n: n, bias: b).map { f($0) }), 2e-6)
            }
        }
    }

    func testDepthwiseSpatialAnd3DMatchNaive() {
        // (frames, h, w, c, kt, kh, kw, stride, padT)
        let cases = [(1, 9, 9, 8, 1, 3, 3, 1, 0), (1, 86, 86, 24, 1, 5, 5, 2, 0), (2, 43, 43, 13, 1, 3, 3, 2, 0),
                     (1, 11, 11, 184, 1, 3, 3, 2, 0), (1, 6, 7, 21, 1, 5, 5, 1, 0), (4, 7, 5, 11, 3, 3, 3, 1, 1),
                     (6, 6, 6, 16, 5, 3, 3, 2, 2), (3, 5, 8, 3, 5, 1, 5, 1, 2), (1, 1, 1, 9, 1, 3, 3, 2, 0)]
        for (t, h, w, c, kt, kh, kw, s, pt) in cases {
            let x = randomArray(t * h * w * c, &rng), k = randomArray(kt * kh * kw * c, &rng), b = randomArray(c, &rng)
            let naive = naiveDepthwise(x, frames: t, h: h, w: w, c: c, k, kt: kt, kh: kh, kw: kw, stride: s, padT: pt)
            for f in [ElementFunction.identity, .hardSwish] {
                let expected = naive.enumerated().map { f($1 + b[$0 % c]) }
                let got = Kernels.depthwise(x, frames: t, h: h, w: w, channels: c, kt: kt, kh: kh, kw: kw, stride: s,
                                            padT: pt, weights: k, bias: b, f)
                XCTAssertLessThan(relativeError(got, expected), 2e-6, "\(t)×\(h)×\(w)×\(c) k\(kt)\(kh)\(kw) s\(s)")
            }
        }
    }

    func testTemporalMatchesNaive() {
        for (t, pixels, c, kt) in [(1, 10, 8, 3), (1, 484, 80, 3), (4, 7, 13, 5), (2, 3, 5, 5), (7, 4, 16, 3)] {
            let x = randomArray(t * pixels * c, &rng), hist = randomArray((kt - 1) * pixels * c, &rng)
            let k = randomArray(kt * c, &rng), b = randomArray(c, &rng)
            let expected = naiveTemporal(x, history: hist, frames: t, pixels: pixels, c: c, k, kt: kt)
                .enumerated().map { ElementFunction.relu6($1 + b[$0 % c]) }
            let got = Kernels.temporal(x, history: hist, frames: t, pixels: pixels, channels: c, kt: kt, weights: k,
                                       bias: b, .relu6)
            XCTAssertLessThan(relativeError(got, expected), 2e-6, "\(t) \(pixels) \(c) \(kt)")
        }
    }

    func testStemMatchesNaive() {
        for (t, h, w, c) in [(1, 172, 172, 8), (2, 23, 21, 5), (1, 1, 1, 16), (1, 7, 10, 3)] {
            let x = randomArray(t * h * w * 3, &rng, 0, 1), k = randomArray(9 * 3 * c, &rng), b = randomArray(c, &rng)
            var expected: [Float] = []
            for f in 0..<t {
                let frame = Array(x[(f * h * w * 3)..<((f + 1) * h * w * 3)])
                expected += naiveConv(frame, h: h, w: w, cin: 3, k, kh: 3, kw: 3, cout: c, stride: 2)
            }
            expected = expected.enumerated().map { ElementFunction.hardSwish($1 + b[$0 % c]) }
            let got = Kernels.stem(x, frames: t, h: h, w: w, kh: 3, kw: 3, channels: c, weights: k, bias: b, .hardSwish)
            XCTAssertLessThan(relativeError(got, expected), 2e-6, "\(t)×\(h)×\(w)×\(c)")
        }
    }

    func testAveragePoolCountsOnlyValidCells() {
        for (t, h, w, c) in [(1, 86, 86, 8), (2, 43, 43, 13), (1, 11, 11, 56), (1, 2, 3, 5), (1, 1, 1, 8)] {
            let x = randomArray(t * h * w * c, &rng)
            var expected: [Float] = []
            for f in 0..<t { expected += naiveAvgPool(Array(x[(f * h * w * c)..<((f + 1) * h * w * c)]), h: h, w: w, c: c) }
            XCTAssertLessThan(relativeError(Kernels.averagePool(x, frames: t, h: h, w: w, channels: c), expected), 1e-6)
        }
        // A constant input stays constant at the borders only with the valid-cell divisor.
        let ones = Kernels.averagePool([Float](repeating: 1, count: 4 * 4 * 8), frames: 1, h: 4, w: 4, channels: 8)
        XCTAssertEqual(ones, [Float](repeating: 1, count: 2 * 2 * 8))
    }

    func testMeansAndChannelScaling() {
        let (t, p, c) = (3, 37, 11)
        let x = randomArray(t * p * c, &rng), g = randomArray(t * c, &rng)
        var expected: [Float] = []
        for f in 0..<t { expected += naiveMean(Array(x[(f * p * c)..<((f + 1) * p * c)]), pixels: p, c: c) }
        XCTAssertLessThan(relativeError(Kernels.spatialMean(x, frames: t, pixels: p, channels: c), expected), 1e-6)
        let scaled = Kernels.scaleChannels(x, frames: t, pixels: p, channels: c, gates: g)
        XCTAssertEqual(scaled, x.enumerated().map { $1 * g[($0 / (p * c)) * c + $0 % c] })
    }

    func testThreadedKernelsAreIdentical() {
        let (rows, k, n) = (1849, 24, 80)
        let a = randomArray(rows * k, &rng), w = randomArray(k * n, &rng), b = randomArray(n, &rng)
        XCTAssertEqual(Kernels.pointwise(a, rows: rows, k: k, weights: w, n: n, bias: b, .relu6, threads: 1),
                       Kernels.pointwise(a, rows: rows, k: k, weights: w, n: n, bias: b, .relu6, threads: 3))
        // Few rows: the columns are split instead (classifier).
        let v = randomArray(2 * 480, &rng), m = randomArray(480 * 600, &rng), mb = randomArray(600, &rng)
        let one = Kernels.pointwise(v, rows: 2, k: 480, weights: m, n: 600, bias: mb, .swish, threads: 1)
        XCTAssertEqual(one, Kernels.pointwise(v, rows: 2, k: 480, weights: m, n: 600, bias: mb, .swish, threads: 3))
        XCTAssertLessThan(relativeError(one, naiveMatmul(v, rows: 2, k: 480, m, n: 600, bias: mb).map { ElementFunction.swish($0) }), 2e-6)
        let x = randomArray(86 * 86 * 24, &rng), kk = randomArray(25 * 24, &rng), bb = randomArray(24, &rng)
        XCTAssertEqual(
            Kernels.depthwise(x, frames: 1, h: 86, w: 86, channels: 24, kt: 1, kh: 5, kw: 5, stride: 2, padT: 0,
                              weights: kk, bias: bb, .relu6, threads: 1),
            Kernels.depthwise(x, frames: 1, h: 86, w: 86, channels: 24, kt: 1, kh: 5, kw: 5, stride: 2, padT: 0,
                              weights: kk, bias: bb, .relu6, threads: 2))
    }
}
