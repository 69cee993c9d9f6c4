// The stem: a regular 3×3 stride-2 convolution from RGB to C channels, TF 'same' padding.

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// x: (T, h, w, 3); weights: (kh, kw, 3, cp); bias: (cp); y: (T, oh, ow, cp).
func stemConv(_ x: UnsafePointer<Float>, frames: Int, h: Int, w: Int, kh: Int, kw: Int, channels cp: Int,
              weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
              _ f: ElementFunction, _ parallel: Parallel) {
    let g = SpatialGeometry(h: h, w: w, kh: kh, kw: kw, stride: 2)
    parallel.run(frames * g.oh, work: frames * g.oh * g.ow * cp * kh * kw * 3) { range in
        switch f {
        case .identity: stemRows(IdentityAct.self, x, g, cp, weights, bias, y, range)
        case .relu6: stemRows(ReLU6Act.self, x, g, cp, weights, bias, y, range)
        case .hardSwish: stemRows(HardSwishAct.self, x, g, cp, weights, bias, y, range)
        case .swish: stemRows(SwishAct.self, x, g, cp, weights, bias, y, range)
        case .sigmoid: stemRows(SigmoidAct.self, x, g, cp, weights, bias, y, range)
        case .hardSigmoidRelu6: stemRows(HardSigmoidRelu6Act.self, x, g, cp, weights, bias, y, range)
        case .hardSigmoidLinear: stemRows(HardSigmoidLinearAct.self, x, g, cp, weights, bias, y, range)
        }
    }
}

private func stemRows<F: ActivationFunction>(
    _: F.Type, _ x: UnsafePointer<Float>, _ g: SpatialGeometry, _ cp: Int, _ weights: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ rows: Range<Int>
) {
    // Output columns whose 3-wide window lies inside the frame.
    let oxIn0 = min(g.ow, (g.padLeft + 1) / 2)
    let oxIn1 = max(oxIn0, min(g.ow, (g.w - g.kw + g.padLeft) / 2 + 1))
    for row in rows {
        let t = row / g.oh, oy = row % g.oh
        let xf = x + t * g.h * g.w * 3
        let iy0 = oy * 2 - g.padTop
        let kyLo = max(0, -iy0), kyHi = min(g.kh, g.h - iy0)
        let out = y + (t * g.oh + oy) * g.ow * cp
        var ox = 0
        while ox < g.ow {
            // HOT LOOP (stem): 4 interior pixels at a time, four independent FMA chains per weight load.
            if ox >= oxIn0 && ox + 4 <= oxIn1 {
                let base = xf + (iy0 * g.w + ox * 2 - g.padLeft) * 3
                var c = 0
                while c < cp {
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                    for ky in kyLo..<kyHi {
                        for kx in 0..<g.kw {
                            let px = base + ((ky * g.w) + kx) * 3
                            let wt = weights + ((ky * g.kw + kx) * 3) * cp + c
                            let w0 = load8(wt), w1 = load8(wt + cp), w2 = load8(wt + 2 * cp)
                            a0 = a0.addingProduct(SIMD8(repeating: px[0]), w0)
                            a1 = a1.addingProduct(SIMD8(repeating: px[6]), w0)
                            a2 = a2.addingProduct(SIMD8(repeating: px[12]), w0)
                            a3 = a3.addingProduct(SIMD8(repeating: px[18]), w0)
                            a0 = a0.addingProduct(SIMD8(repeating: px[1]), w1)
                            a1 = a1.addingProduct(SIMD8(repeating: px[7]), w1)
                            a2 = a2.addingProduct(SIMD8(repeating: px[13]), w1)
                            a3 = a3.addingProduct(SIMD8(repeating: px[19]), w1)
                            a0 = a0.addingProduct(SIMD8(repeating: px[2]), w2)
                            a1 = a1.addingProduct(SIMD8(repeating: px[8]), w2)
                            a2 = a2.addingProduct(SIMD8(repeating: px[14]), w2)
                            a3 = a3.addingProduct(SIMD8(repeating: px[20]), w2)
                        }
                    }
                    let b = load8(bias + c)
                    let o = out + ox * cp + c
                    store8(F.apply(a0 + b), o)
                    store8(F.apply(a1 + b), o + cp)
                    store8(F.apply(a2 + b), o + 2 * cp)
                    store8(F.apply(a3 + b), o + 3 * cp)
                    c += 8
                }
                ox += 4
                continue
            }
            let ix0 = ox * 2 - g.padLeft
            let kxLo = max(0, -ix0), kxHi = min(g.kw, g.w - ix0)
            var c = 0
            while c < cp {
                var acc = SIMD8<Float>()
                for ky in kyLo..<kyHi {
                    for kx in kxLo..<kxHi {
                        let px = xf + ((iy0 + ky) * g.w + ix0 + kx) * 3
                        let wt = weights + ((ky * g.kw + kx) * 3) * cp + c
                        acc = acc.addingProduct(SIMD8(repeating: px[0]), load8(wt))
                        acc = acc.addingProduct(SIMD8(repeating: px[1]), load8(wt + cp))
                        acc = acc.addingProduct(SIMD8(repeating: px[2]), load8(wt + 2 * cp))
                    }
                }
                store8(F.apply(acc + load8(bias + c)), out + ox * cp + c)
                c += 8
            }
            ox += 1
        }
    }
}
