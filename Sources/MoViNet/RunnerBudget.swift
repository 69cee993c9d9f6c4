// The memory a runner would take, checked before it allocates: a model file sets the channel
// counts and kernel sizes, and with them the activation buffers and the stream state.

extension MoViNetRunner {
    /// Most floats one frame's activation buffers and the stream state may take (1 GB); the
    /// official models need under 10 M at 172 px and under 100 M at 1024 px.
    public static let maxFrameFloats = 1 << 28

    /// Throws when the buffers for one frame at these resolutions would exceed ``maxFrameFloats``.
    static func checkBudget(_ arch: Architecture, _ w: NetworkWeights, stem: (Int, Int),
                            res: [(inH: Int, inW: Int, outH: Int, outW: Int)], height: Int, width: Int) throws {
        // In Double: the point is to refuse products that would overflow Int.
        var buffers = 2 * Double(stem.0) * Double(stem.1) * Double(w.stemP)
        var state = 0.0
        for ((lw, layer), r) in zip(zip(w.layers, arch.layers), res) {
            let inPixels = Double(r.inH) * Double(r.inW), outPixels = Double(r.outH) * Double(r.outW)
            buffers = max(buffers, 2 * outPixels * Double(max(lw.outP, lw.inP)) + inPixels * Double(lw.eP)
                          + 2 * outPixels * Double(lw.eP))
            state += Double(max(layer.kt - 1, 0)) * outPixels * Double(lw.eP)
        }
        let total = buffers + state
        guard total <= Double(maxFrameFloats) else {
            let gb = (total * 4 / 1e9 * 10).rounded() / 10
            throw ModelError("", "the model's channel counts and kernel sizes need \(gb) GB of buffers at \(width)×\(height), over the \(maxFrameFloats * 4 >> 30) GB limit")
        }
    }
}
