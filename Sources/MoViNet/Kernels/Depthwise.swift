// Depthwise convolutions: spatial (kh × kw, stride 1|2, TF 'same'), causal temporal over a stream
// buffer, and full 3D with symmetric temporal padding (base). Channels padded to multiples of 8.

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Geometry of one depthwise spatial conv on one frame.
struct SpatialGeometry {
    var h: Int, w: Int, oh: Int, ow: Int, kh: Int, kw: Int, stride: Int, padTop: Int, padLeft: Int

    init(h: Int, w: Int, kh: Int, kw: Int, stride: Int) {
        self.h = h; self.w = w; self.kh = kh; self.kw = kw; self.stride = stride
        oh = (h + stride - 1) / stride
        ow = (w + stride - 1) / stride
        padTop = samePadding(h, kernel: kh, stride: stride).before
        padLeft = samePadding(w, kernel: kw, stride: stride).before
    }
}

/// Depthwise 3D conv over a clip, output frame t reads input frames t + j − padT (j < kt) that exist
/// (zero padding elsewhere). Spatial-only when kt = 1.
/// x: (T, h, w, cp); weights: (kt, kh, kw, cp); bias: (cp); y: (T, oh, ow, cp).
func depthwiseConv(_ x: UnsafePointer<Float>, frames: Int, _ g: SpatialGeometry, channels cp: Int, kt: Int,
                   padT: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   _ y: UnsafeMutablePointer<Float>, _ f: ElementFunction, _ parallel: Parallel) {
    let work = frames * g.oh * g.ow * cp * kt * g.kh * g.kw
    parallel.run(frames * g.oh, work: work) { range in
        switch f {
        case .identity: dwRows(IdentityAct.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .relu6: dwRows(ReLU6Act.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .hardSwish: dwRows(HardSwishAct.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .swish: dwRows(SwishAct.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .sigmoid: dwRows(SigmoidAct.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .hardSigmoidRelu6: dwRows(HardSigmoidRelu6Act.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        case .hardSigmoidLinear: dwRows(HardSigmoidLinearAct.self, x, frames, g, cp, kt, padT, weights, bias, y, range)
        }
    }
}

/// Square kernel sizes with a compile-time trip count, so interior taps unroll.
protocol FixedKernel { static var n: Int { get } }
enum Kernel3: FixedKernel { static var n: Int { 3 } }
enum Kernel5: FixedKernel { static var n: Int { 5 } }

private func dwRows<F: ActivationFunction>(
    _ f: F.Type, _ x: UnsafePointer<Float>, _ frames: Int, _ g: SpatialGeometry, _ cp: Int, _ kt: Int, _ padT: Int,
    _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ rows: Range<Int>
) {
    let frameSize = g.h * g.w * cp
    let tapStride = g.kh * g.kw * cp
    // Output columns whose window lies fully inside the frame.
    let oxIn0 = min(g.ow, (g.padLeft + g.stride - 1) / g.stride)
    let oxIn1 = max(oxIn0, min(g.ow, (g.w - g.kw + g.padLeft) / g.stride + 1))
    for row in rows {
        let t = row / g.oh, oy = row % g.oh
        let iy0 = oy * g.stride - g.padTop
        let kyLo = max(0, -iy0), kyHi = min(g.kh, g.h - iy0)
        let jLo = max(0, padT - t), jHi = min(kt, frames + padT - t)
        let out = y + (t * g.oh + oy) * g.ow * cp
        var interior = 0..<0
        if kyLo == 0 && kyHi == g.kh && g.kh == g.kw && (g.kh == 3 || g.kh == 5) && jLo < jHi {
            interior = oxIn0..<oxIn1
            let xr = x + (t + jLo - padT) * frameSize + iy0 * g.w * cp
            let wt = weights + jLo * tapStride
            if g.kh == 3 {
                dwInterior(f, Kernel3.self, xr, jHi - jLo, frameSize, g, cp, wt, bias, out, interior)
            } else {
                dwInterior(f, Kernel5.self, xr, jHi - jLo, frameSize, g, cp, wt, bias, out, interior)
            }
        }
        for ox in 0..<g.ow where !interior.contains(ox) {
            let ix0 = ox * g.stride - g.padLeft
            let kxLo = max(0, -ix0), kxHi = min(g.kw, g.w - ix0)
            var c = 0
            while c < cp {
                var acc = SIMD8<Float>()
                for j in jLo..<jHi {
                    let xf = x + (t + j - padT) * frameSize
                    let wf = weights + j * tapStride
                    for ky in kyLo..<kyHi {
                        let xr = xf + ((iy0 + ky) * g.w + ix0) * cp + c
                        let wr = wf + ky * g.kw * cp + c
                        for kx in kxLo..<kxHi {
                            acc = acc.addingProduct(load8(xr + kx * cp), load8(wr + kx * cp))
                        }
                    }
                }
                store8(F.apply(acc + load8(bias + c)), out + ox * cp + c)
                c += 8
            }
        }
    }
}

/// HOT LOOP (depthwise, about a fifth of an A0 stream frame): interior output pixels of one row, 4 pixels × 8 channels at a time so each
/// weight load feeds 4 independent FMA chains. Taps in (ky, kx) order, as on the border path,
/// so every output element sees the same sum whichever path computes it.
/// xr: the input row at the window's top (iy0) in the first contributing frame, (w, cp) each row;
/// `depth` consecutive frames (`frameSize` apart) contribute, with weights `tapStride` apart.
@inline(__always)
private func dwInterior<F: ActivationFunction, K: FixedKernel>(
    _: F.Type, _: K.Type, _ xr: UnsafePointer<Float>, _ depth: Int, _ frameSize: Int, _ g: SpatialGeometry, _ cp: Int,
    _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
    _ columns: Range<Int>
) {
    let rowStride = g.w * cp, step = g.stride * cp, tapStride = K.n * K.n * cp
    var c = 0
    while c < cp {
        let b = load8(bias + c)
        var ox = columns.lowerBound
        while ox + 4 <= columns.upperBound {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for j in 0..<depth {
                let base = xr + j * frameSize + (ox * g.stride - g.padLeft) * cp + c
                let wj = weights + j * tapStride
                for ky in 0..<K.n {
                    let r = base + ky * rowStride
                    let wr = wj + ky * K.n * cp + c
                    for kx in 0..<K.n {
                        let wv = load8(wr + kx * cp)
                        let p = r + kx * cp
                        a0 = a0.addingProduct(load8(p), wv)
                        a1 = a1.addingProduct(load8(p + step), wv)
                        a2 = a2.addingProduct(load8(p + 2 * step), wv)
                        a3 = a3.addingProduct(load8(p + 3 * step), wv)
                    }
                }
            }
            let o = out + ox * cp + c
            store8(F.apply(a0 + b), o)
            store8(F.apply(a1 + b), o + cp)
            store8(F.apply(a2 + b), o + 2 * cp)
            store8(F.apply(a3 + b), o + 3 * cp)
            ox += 4
        }
        while ox < columns.upperBound {
            var a0 = SIMD8<Float>()
            for j in 0..<depth {
                let base = xr + j * frameSize + (ox * g.stride - g.padLeft) * cp + c
                let wj = weights + j * tapStride
                for ky in 0..<K.n {
                    for kx in 0..<K.n {
                        a0 = a0.addingProduct(load8(base + ky * rowStride + kx * cp), load8(wj + (ky * K.n + kx) * cp + c))
                    }
                }
            }
            store8(F.apply(a0 + b), out + ox * cp + c)
            ox += 1
        }
        c += 8
    }
}

/// Causal depthwise temporal conv: y_t = f(bias + Σ_j w[j] ⊙ s_{t+j}) where s = concat(history, x)
/// and `history(i)` gives the i-th of the kt − 1 previous frames (oldest first).
/// x: (T, n) with n = pixels · cp; weights: (kt, cp); y: (T, n).
/// `recycleOldest` (T = 1 only): also copy x into history[0] once each pixel has read it there, so a
/// stream ring needs no separate pass to take in the new frame (each thread copies the pixels it
/// just computed, which stay in its own cache).
func temporalConv(_ x: UnsafePointer<Float>, frames: Int, pixels: Int, channels cp: Int, kt: Int,
                  history: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<Float>,
                  bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ f: ElementFunction,
                  taps: UnsafeMutablePointer<UnsafePointer<Float>>, recycleOldest: Bool = false,
                  _ parallel: Parallel) {
    precondition(!recycleOldest || (frames == 1 && kt > 1))
    let n = pixels * cp
    let recycle = recycleOldest ? UnsafeMutablePointer(mutating: history[0]) : nil
    for t in 0..<frames {
        for j in 0..<kt {
            let i = t + j
            taps[j] = i < kt - 1 ? history[i] : x + (i - (kt - 1)) * n
        }
        let tp = UnsafePointer(taps)
        let out = y + t * n
        parallel.run(pixels, work: n * kt) { range in
            switch f {
            case .identity: temporalPixels(IdentityAct.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .relu6: temporalPixels(ReLU6Act.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .hardSwish: temporalPixels(HardSwishAct.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .swish: temporalPixels(SwishAct.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .sigmoid: temporalPixels(SigmoidAct.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .hardSigmoidRelu6: temporalPixels(HardSigmoidRelu6Act.self, tp, kt, cp, weights, bias, out, range, recycle)
            case .hardSigmoidLinear:
                temporalPixels(HardSigmoidLinearAct.self, tp, kt, cp, weights, bias, out, range, recycle)
            }
        }
    }
}

private func temporalPixels<F: ActivationFunction>(
    _: F.Type, _ taps: UnsafePointer<UnsafePointer<Float>>, _ kt: Int, _ cp: Int, _ weights: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ pixels: Range<Int>,
    _ recycle: UnsafeMutablePointer<Float>?
) {
    // HOT LOOP (about 8 % of an A0 stream frame, bound by memory traffic: kt reads per write).
    let x = taps[kt - 1]
    for p in pixels {
        let o = p * cp
        var c = 0
        while c < cp {
            var acc = SIMD8<Float>()
            for j in 0..<kt { acc = acc.addingProduct(load8(taps[j] + o + c), load8(weights + j * cp + c)) }
            store8(F.apply(acc + load8(bias + c)), y + o + c)
            c += 8
        }
        if let recycle { (recycle + o).update(from: x + o, count: cp) }
    }
}
