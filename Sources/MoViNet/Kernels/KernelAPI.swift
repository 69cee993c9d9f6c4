// Array-level entry points to the kernels (unpadded channels in and out), so tests can compare
// each kernel with a naive twin through the public API. Not used on the hot path.

public enum Kernels {
    private static func padded(_ x: [Float], channels c: Int) -> FloatBuffer {
        padChannels(x, channels: c, padded: roundUp8(c))
    }
    private static func unpadded(_ b: UnsafePointer<Float>, rows: Int, channels c: Int, stride: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * c)
        for r in 0..<rows { for i in 0..<c { out[r * c + i] = b[r * stride + i] } }
        return out
    }

    /// (rows, k) · (k, n) + bias → f → (+ residual (rows, n)).
    public static func pointwise(_ a: [Float], rows: Int, k: Int, weights: [Float], n: Int, bias: [Float],
                                 residual: [Float]? = nil, _ f: ElementFunction, threads: Int = 1) -> [Float] {
        let m = PackedMatrix(k: k, n: n, weights: weights, bias: bias)
        let c = FloatBuffer(count: rows * m.nPadded)
        let r = residual.map { padded($0, channels: n) }
        a.withUnsafeBufferPointer { ap in
            MoViNet.pointwise(ap.baseAddress!, lda: k, rows: rows, m, c.pointer, ldc: m.nPadded,
                              residual: r.map { UnsafePointer($0.pointer) }, f, Parallel(threads: threads))
        }
        return unpadded(c.pointer, rows: rows, channels: n, stride: m.nPadded)
    }

    /// Depthwise conv with TF 'same' spatial padding and `padT` zero frames before (kt − 1 − padT
    /// after): x (T, h, w, c), weights (kt, kh, kw, c) → (T, ceil(h/s), ceil(w/s), c).
    public static func depthwise(_ x: [Float], frames: Int, h: Int, w: Int, channels c: Int, kt: Int, kh: Int, kw: Int,
                                 stride: Int, padT: Int, weights: [Float], bias: [Float], _ f: ElementFunction,
                                 threads: Int = 1) -> [Float] {
        let g = SpatialGeometry(h: h, w: w, kh: kh, kw: kw, stride: stride)
        let cp = roundUp8(c)
        let xb = padded(x, channels: c), wb = padded(weights, channels: c), bb = padded(bias, channels: c)
        let y = FloatBuffer(count: frames * g.oh * g.ow * cp)
        depthwiseConv(xb.pointer, frames: frames, g, channels: cp, kt: kt, padT: padT, weights: wb.pointer,
                      bias: bb.pointer, y.pointer, f, Parallel(threads: threads))
        return unpadded(y.pointer, rows: frames * g.oh * g.ow, channels: c, stride: cp)
    }

    /// Causal temporal depthwise conv over concat(history (kt − 1 frames), x (T frames)), each frame
    /// (pixels, c); weights (kt, c).
    public static func temporal(_ x: [Float], history: [Float], frames: Int, pixels: Int, channels c: Int, kt: Int,
                                weights: [Float], bias: [Float], _ f: ElementFunction, threads: Int = 1) -> [Float] {
        let cp = roundUp8(c)
        let xb = padded(x, channels: c), hb = padded(history, channels: c)
        let wb = padded(weights, channels: c), bb = padded(bias, channels: c)
        let y = FloatBuffer(count: frames * pixels * cp)
        let hist = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: kt)
        let taps = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: kt)
        defer { hist.deallocate(); taps.deallocate() }
        for i in 0..<(kt - 1) { hist[i] = UnsafePointer(hb.pointer + i * pixels * cp) }
        temporalConv(xb.pointer, frames: frames, pixels: pixels, channels: cp, kt: kt, history: hist,
                     weights: wb.pointer, bias: bb.pointer, y.pointer, f, taps: taps, Parallel(threads: threads))
        return unpadded(y.pointer, rows: frames * pixels, channels: c, stride: cp)
    }

    /// Stem conv, stride 2, TF 'same': x (T, h, w, 3), weights (kh, kw, 3, c) → (T, ceil(h/2), ceil(w/2), c).
    public static func stem(_ x: [Float], frames: Int, h: Int, w: Int, kh: Int, kw: Int, channels c: Int,
                            weights: [Float], bias: [Float], _ f: ElementFunction, threads: Int = 1) -> [Float] {
        let cp = roundUp8(c)
        let wb = padded(weights, channels: c), bb = padded(bias, channels: c)
        let oh = (h + 1) / 2, ow = (w + 1) / 2
        let y = FloatBuffer(count: frames * oh * ow * cp)
        x.withUnsafeBufferPointer { xp in
            stemConv(xp.baseAddress!, frames: frames, h: h, w: w, kh: kh, kw: kw, channels: cp, weights: wb.pointer,
                     bias: bb.pointer, y.pointer, f, Parallel(threads: threads))
        }
        return unpadded(y.pointer, rows: frames * oh * ow, channels: c, stride: cp)
    }

    /// 3×3 stride-2 'same' average pool dividing by the valid cells: (T, h, w, c) → (T, ceil(h/2), ceil(w/2), c).
    public static func averagePool(_ x: [Float], frames: Int, h: Int, w: Int, channels c: Int, threads: Int = 1) -> [Float] {
        let cp = roundUp8(c)
        let xb = padded(x, channels: c)
        let oh = (h + 1) / 2, ow = (w + 1) / 2
        let y = FloatBuffer(count: frames * oh * ow * cp)
        averagePool3x3s2(xb.pointer, frames: frames, h: h, w: w, channels: cp, y.pointer, Parallel(threads: threads))
        return unpadded(y.pointer, rows: frames * oh * ow, channels: c, stride: cp)
    }

    /// Per-frame spatial mean: (T, pixels, c) → (T, c).
    public static func spatialMean(_ x: [Float], frames: Int, pixels: Int, channels c: Int, threads: Int = 1) -> [Float] {
        let cp = roundUp8(c)
        let xb = padded(x, channels: c)
        let y = FloatBuffer(count: frames * cp)
        let partials = FloatBuffer(count: spatialMeanScratch(frames: frames, pixels: pixels, channels: cp))
        MoViNet.spatialMean(xb.pointer, frames: frames, pixels: pixels, channels: cp, y.pointer,
                            partials: partials.pointer, Parallel(threads: threads))
        return unpadded(y.pointer, rows: frames, channels: c, stride: cp)
    }

    /// x[t, p, c] · g[t, c].
    public static func scaleChannels(_ x: [Float], frames: Int, pixels: Int, channels c: Int, gates: [Float]) -> [Float] {
        let cp = roundUp8(c)
        let xb = padded(x, channels: c), gb = padded(gates, channels: c)
        MoViNet.scaleChannels(xb.pointer, frames: frames, pixels: pixels, channels: cp, gates: gb.pointer,
                              Parallel(threads: 1))
        return unpadded(xb.pointer, rows: frames * pixels, channels: c, stride: cp)
    }

    /// An element-wise function applied through the SIMD path (8 lanes at a time).
    public static func apply(_ f: ElementFunction, _ x: [Float]) -> [Float] {
        pointwise(x, rows: x.count, k: 1, weights: [1], n: 1, bias: [0], f)
    }
}
