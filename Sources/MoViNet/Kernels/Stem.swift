// The stem: a regular 3×3 stride-2 convolution from RGB to C channels, TF 'same' padding.

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
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
    for row in rows {
        let t = row / g.oh, oy = row % g.oh
        let xf = x + t * g.h * g.w * 3
        let iy0 = oy * 2 - g.padTop
        let kyLo = max(0, -iy0), kyHi = min(g.kh, g.h - iy0)
        for ox in 0..<g.ow {
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
                let v = F.apply(acc + load8(bias + c))
                UnsafeMutableRawPointer(y + ((t * g.oh + oy) * g.ow + ox) * cp + c).storeBytes(of: v, as: SIMD8<Float>.self)
                c += 8
            }
        }
    }
}
