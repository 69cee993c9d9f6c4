// Model-input preprocessing in one place: optional centre crop, bilinear resize exactly as
// TensorFlow's ResizeBilinear with half_pixel_centers (tf.image.resize, no antialias), values / 255.
// Port of tensorflow/core/kernels/image/resize_bilinear_op.cc (float32 arithmetic, same order).

public enum Preprocess {
    /// Resizes packed RGB24 (height, width, 3) to (size, size, 3) floats in [0, 1].
    /// With `centerCrop` the largest centred square is cut first (aspect ratio kept).
    public static func modelInput(rgb: [UInt8], width: Int, height: Int, size: Int,
                                  centerCrop: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: size * size * 3)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                resize(rgb: src, width: width, height: height, size: size, centerCrop: centerCrop,
                       into: dst, multiplier: 1 / 255)
            }
        }
        return out
    }

    /// `tf.image.resize` output: (size, size, 3) floats in 0…255.
    public static func resized(rgb: [UInt8], width: Int, height: Int, size: Int,
                               centerCrop: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: size * size * 3)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                resize(rgb: src, width: width, height: height, size: size, centerCrop: centerCrop,
                       into: dst, multiplier: 1)
            }
        }
        return out
    }

    /// The square a centre crop keeps: (x0, y0, side).
    public static func centerSquare(width: Int, height: Int) -> (x: Int, y: Int, side: Int) {
        let side = min(width, height)
        return ((width - side) / 2, (height - side) / 2, side)
    }

    private struct Weight { var lower: Int; var upper: Int; var lerp: Float }

    /// TensorFlow's compute_interpolation_weights with HalfPixelScaler, for in→out samples.
    private static func weights(out: Int, in inSize: Int) -> [Weight] {
        let scale = Float(inSize) / Float(out)
        return (0..<out).map { i in
            let x = (Float(i) + 0.5) * scale - 0.5
            let f = x.rounded(.down)
            return Weight(lower: max(Int(f), 0), upper: min(Int(x.rounded(.up)), inSize - 1), lerp: x - f)
        }
    }

    /// Resizes into a caller-owned (size, size, 3) buffer, each value times `multiplier`
    /// (1 for 0…255, 1/255 for [0, 1]). No allocation besides two small weight tables.
    public static func resize(rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, size: Int,
                              centerCrop: Bool, into out: UnsafeMutableBufferPointer<Float>,
                              multiplier: Float) {
        precondition(rgb.count >= width * height * 3 && out.count >= size * size * 3, "buffer sizes")
        let (x0, y0, w, h) = centerCrop
            ? { let s = centerSquare(width: width, height: height); return (s.x, s.y, s.side, s.side) }()
            : (0, 0, width, height)
        let xs = weights(out: size, in: w)
        let ys = weights(out: size, in: h)
        let stride = width * 3
        // Hot loop: (size × size × 3) bilinear taps.
        for oy in 0..<size {
            let wy = ys[oy]
            let top = (y0 + wy.lower) * stride, bottom = (y0 + wy.upper) * stride
            var o = oy * size * 3
            for ox in 0..<size {
                let wx = xs[ox]
                let l = (x0 + wx.lower) * 3, r = (x0 + wx.upper) * 3
                for c in 0..<3 {
                    let tl = Float(rgb[top + l + c]), tr = Float(rgb[top + r + c])
                    let bl = Float(rgb[bottom + l + c]), br = Float(rgb[bottom + r + c])
                    let t = tl + (tr - tl) * wx.lerp
                    let b = bl + (br - bl) * wx.lerp
                    out[o + c] = (t + (b - t) * wy.lerp) * multiplier
                }
                o += 3
            }
        }
    }
}
