// Naive twins of the engine's kernels: plain loops over unpadded (…, C) arrays, written straight
// from the TF definitions (spec §3), used as references by the kernel and network tests.

import MoViNet

func tfSamePad(_ n: Int, _ k: Int, _ s: Int) -> Int {
    let out = (n + s - 1) / s
    return max((out - 1) * s + k - n, 0) / 2
}

/// x (rows, k) · w (k, n) + bias.
func naiveMatmul(_ x: [Float], rows: Int, k: Int, _ w: [Float], n: Int, bias: [Float]? = nil) -> [Float] {
    var y = [Float](repeating: 0, count: rows * n)
    for r in 0..<rows {
        for j in 0..<n {
            var acc: Float = bias?[j] ?? 0
            for i in 0..<k { acc += x[r * k + i] * w[i * n + j] }
            y[r * n + j] = acc
        }
    }
    return y
}

/// Regular conv, TF 'same': x (h, w, cin), w (kh, kw, cin, cout) → (oh, ow, cout).
func naiveConv(_ x: [Float], h: Int, w: Int, cin: Int, _ k: [Float], kh: Int, kw: Int, cout: Int, stride: Int) -> [Float] {
    let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
    let pt = tfSamePad(h, kh, stride), pl = tfSamePad(w, kw, stride)
    var y = [Float](repeating: 0, count: oh * ow * cout)
    for oy in 0..<oh { for ox in 0..<ow { for o in 0..<cout {
        var acc: Float = 0
        for ky in 0..<kh { for kx in 0..<kw {
            let iy = oy * stride - pt + ky, ix = ox * stride - pl + kx
            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
            for i in 0..<cin { acc += x[(iy * w + ix) * cin + i] * k[((ky * kw + kx) * cin + i) * cout + o] }
        } }
        y[(oy * ow + ox) * cout + o] = acc
    } } }
    return y
}

/// Depthwise 3D conv over a clip: frames (T, h, w, c) with `padT` zero frames before; 'same' spatially.
/// k (kt, kh, kw, c).
func naiveDepthwise(_ x: [Float], frames: Int, h: Int, w: Int, c: Int, _ k: [Float], kt: Int, kh: Int, kw: Int,
                    stride: Int, padT: Int) -> [Float] {
    let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
    let pt = tfSamePad(h, kh, stride), pl = tfSamePad(w, kw, stride)
    var y = [Float](repeating: 0, count: frames * oh * ow * c)
    for t in 0..<frames { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
        var acc: Float = 0
        for j in 0..<kt {
            let it = t + j - padT
            guard it >= 0, it < frames else { continue }
            for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * stride - pt + ky, ix = ox * stride - pl + kx
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                acc += x[((it * h + iy) * w + ix) * c + ch] * k[((j * kh + ky) * kw + kx) * c + ch]
            } }
        }
        y[((t * oh + oy) * ow + ox) * c + ch] = acc
    } } } }
    return y
}

/// Causal temporal depthwise conv: y_t = Σ_j k[j] · s[t + j], s = concat(history, x); frames (pixels, c).
func naiveTemporal(_ x: [Float], history: [Float], frames: Int, pixels: Int, c: Int, _ k: [Float], kt: Int) -> [Float] {
    let n = pixels * c
    let s = history + x
    var y = [Float](repeating: 0, count: frames * n)
    for t in 0..<frames { for i in 0..<n {
        var acc: Float = 0
        for j in 0..<kt { acc += k[j * c + i % c] * s[(t + j) * n + i] }
        y[t * n + i] = acc
    } }
    return y
}

/// 3×3/s2 'same' average pool over valid cells: (h, w, c) → (ceil(h/2), ceil(w/2), c).
func naiveAvgPool(_ x: [Float], h: Int, w: Int, c: Int) -> [Float] {
    let oh = (h + 1) / 2, ow = (w + 1) / 2
    let pt = tfSamePad(h, 3, 2), pl = tfSamePad(w, 3, 2)
    var y = [Float](repeating: 0, count: oh * ow * c)
    for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
        var acc: Float = 0, n: Float = 0
        for ky in 0..<3 { for kx in 0..<3 {
            let iy = oy * 2 - pt + ky, ix = ox * 2 - pl + kx
            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
            acc += x[(iy * w + ix) * c + ch]; n += 1
        } }
        y[(oy * ow + ox) * c + ch] = acc / n
    } } }
    return y
}

/// Spatial mean of one frame (pixels, c) → (c).
func naiveMean(_ x: [Float], pixels: Int, c: Int) -> [Float] {
    var m = [Float](repeating: 0, count: c)
    for p in 0..<pixels { for ch in 0..<c { m[ch] += x[p * c + ch] } }
    return m.map { $0 / Float(pixels) }
}

func randomArray(_ n: Int, _ rng: inout SeededGenerator, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    (0..<n).map { _ in lo + (hi - lo) * Float(rng.next() >> 40) / Float(1 << 24) }
}

/// max |a − b| / max(1, max |b|).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes \(a.count) vs \(b.count)")
    var diff: Float = 0, scale: Float = 1
    for i in a.indices { diff = max(diff, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return diff / scale
}
