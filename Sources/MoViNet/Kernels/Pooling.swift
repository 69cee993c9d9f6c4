// Pooling: 3×3/s2 'same' average pool with TF's valid-cell divisor (skip path), per-frame spatial
// means (SE, head), and per-frame channel scaling (SE gate).

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// x: (T, h, w, cp) → y: (T, ceil(h/2), ceil(w/2), cp); each output = mean of the window's valid cells.
func averagePool3x3s2(_ x: UnsafePointer<Float>, frames: Int, h: Int, w: Int, channels cp: Int,
                      _ y: UnsafeMutablePointer<Float>, _ parallel: Parallel) {
    let g = SpatialGeometry(h: h, w: w, kh: 3, kw: 3, stride: 2)
    parallel.run(frames * g.oh, work: frames * g.oh * g.ow * cp * 9) { rows in
        for row in rows {
            let t = row / g.oh, oy = row % g.oh
            let xf = x + t * h * w * cp
            let iy0 = oy * 2 - g.padTop
            let kyLo = max(0, -iy0), kyHi = min(3, h - iy0)
            for ox in 0..<g.ow {
                let ix0 = ox * 2 - g.padLeft
                let kxLo = max(0, -ix0), kxHi = min(3, w - ix0)
                let inv = 1 / Float((kyHi - kyLo) * (kxHi - kxLo))
                var c = 0
                while c < cp {
                    var acc = SIMD8<Float>()
                    for ky in kyLo..<kyHi {
                        for kx in kxLo..<kxHi { acc += load8(xf + ((iy0 + ky) * w + ix0 + kx) * cp + c) }
                    }
                    store8(acc * inv, y + ((t * g.oh + oy) * g.ow + ox) * cp + c)
                    c += 8
                }
            }
        }
    }
}

/// Pixels per partial sum of `spatialMean`. Fixed, so the sums do not depend on the thread count.
let meanBlock = 8

/// Scratch floats `spatialMean` needs for `frames` frames of `pixels` pixels × cp channels.
func spatialMeanScratch(frames: Int, pixels: Int, channels cp: Int) -> Int {
    frames * ((pixels + meanBlock - 1) / meanBlock) * cp
}

/// Per-frame spatial mean: x (T, pixels, cp) → y (T, cp). Each block of `meanBlock` pixels is summed
/// in pixel order (in parallel, by the threads that produced those pixels), then the block sums in
/// block order, then divided. partials: `spatialMeanScratch` floats.
func spatialMean(_ x: UnsafePointer<Float>, frames: Int, pixels: Int, channels cp: Int,
                 _ y: UnsafeMutablePointer<Float>, partials: UnsafeMutablePointer<Float>, _ parallel: Parallel) {
    let blocks = (pixels + meanBlock - 1) / meanBlock
    parallel.run(frames * blocks, work: frames * pixels * cp) { range in
        for i in range {
            let t = i / blocks, b = i % blocks
            let p0 = b * meanBlock, p1 = min(pixels, p0 + meanBlock)
            var c = 0
            while c < cp {
                var acc = SIMD8<Float>()
                var p = x + (t * pixels + p0) * cp + c
                for _ in p0..<p1 { acc += load8(p); p += cp }
                store8(acc, partials + i * cp + c)
                c += 8
            }
        }
    }
    let d = Float(pixels)
    for t in 0..<frames {
        var c = 0
        while c < cp {
            var acc = SIMD8<Float>()
            var p = partials + t * blocks * cp + c
            for _ in 0..<blocks { acc += load8(p); p += cp }
            store8(acc / d, y + t * cp + c)
            c += 8
        }
    }
}

/// x[t, p, c] *= g[t, c] for every pixel p: the squeeze-excitation gate.
func scaleChannels(_ x: UnsafeMutablePointer<Float>, frames: Int, pixels: Int, channels cp: Int,
                   gates: UnsafePointer<Float>, _ parallel: Parallel) {
    parallel.run(frames * pixels, work: frames * pixels * cp) { range in
        for i in range {
            let t = i / pixels
            let row = x + i * cp, g = gates + t * cp
            var c = 0
            while c < cp { store8(load8(row + c) * load8(g + c), row + c); c += 8 }
        }
    }
}

/// Mean over frames: x (T, cp) → y (cp) (clip pooling of per-frame means: SE '3d', base head).
func temporalMean(_ x: UnsafePointer<Float>, frames: Int, channels cp: Int, _ y: UnsafeMutablePointer<Float>) {
    for c in 0..<cp {
        var sum: Float = 0
        for k in 0..<frames { sum += x[k * cp + c] }
        y[c] = sum / Float(frames)
    }
}
