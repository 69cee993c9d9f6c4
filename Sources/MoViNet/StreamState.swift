// The stream state (spec §4): per-layer ring buffers of the last kt − 1 frames between the spatial
// and the temporal conv, SE running sums and frame counts, head running sum and count.

/// The last kt − 1 frames (pixels × cp each) of one layer's spatial-conv output, as a ring.
final class FrameRing {
    let slots: Int, frameSize: Int
    let storage: FloatBuffer   // (kt − 1, oh, ow, eP)
    var head = 0               // slot of the oldest frame

    init(slots: Int, frameSize: Int) {
        self.slots = slots
        self.frameSize = frameSize
        storage = FloatBuffer(count: slots * frameSize)
    }

    /// p[i] = the i-th previous frame, oldest first.
    func historyPointers(_ p: UnsafeMutablePointer<UnsafePointer<Float>>) {
        for i in 0..<slots { p[i] = UnsafePointer(storage.pointer + ((head + i) % slots) * frameSize) }
    }

    /// Appends the last min(T, slots) frames of `x` (T, frameSize).
    func append(_ x: UnsafePointer<Float>, frames t: Int) {
        for k in max(0, t - slots)..<t {
            (storage.pointer + head * frameSize).update(from: x + k * frameSize, count: frameSize)
            head = (head + 1) % slots
        }
    }

    func reset() { storage.zero(); head = 0 }
}

final class StreamState {
    let arch: Architecture
    let res: [(inH: Int, inW: Int, outH: Int, outW: Int)]
    var rings: [FrameRing?]
    let seSums: [FloatBuffer]    // (eP) running sums of frame means
    var seCounts: [Int]
    let headSum: FloatBuffer     // (headP)
    var headCount = 0

    init(_ arch: Architecture, _ res: [(inH: Int, inW: Int, outH: Int, outW: Int)]) {
        self.arch = arch
        self.res = res
        let stream = arch.flavour.conv != .conv3d
        rings = zip(arch.layers, res).map { layer, r in
            stream && layer.kt > 1 ? FrameRing(slots: layer.kt - 1, frameSize: r.outH * r.outW * roundUp8(layer.expand)) : nil
        }
        seSums = arch.layers.map { FloatBuffer(count: roundUp8($0.expand)) }
        seCounts = arch.layers.map { _ in 0 }
        headSum = FloatBuffer(count: roundUp8(arch.spec.headChannels))
    }

    func reset() {
        for r in rings { r?.reset() }
        for s in seSums { s.zero() }
        seCounts = seCounts.map { _ in 0 }
        headSum.zero()
        headCount = 0
    }

    /// '2plus3d' SE input for each frame t of a chunk: z_t = [ (S + Σ_{τ≤t} m_τ) / (n0 + t + 1), m_t ].
    /// means: (T, cp); z: (T, 2cp). Advances the layer's running sum and count.
    func accumulateSE(layer i: Int, means: UnsafePointer<Float>, frames t: Int, channels cp: Int,
                      into z: UnsafeMutablePointer<Float>) {
        let sum = seSums[i].pointer
        for k in 0..<t {
            let d = Float(seCounts[i] + k + 1)
            for c in 0..<cp {
                sum[c] += means[k * cp + c]
                z[k * 2 * cp + c] = sum[c] / d
                z[k * 2 * cp + cp + c] = means[k * cp + c]
            }
        }
        seCounts[i] += t
    }

    /// Head pool: running sum of frame means, output = sum / frames seen.
    func accumulateHead(_ means: UnsafePointer<Float>, frames t: Int, into pooled: UnsafeMutablePointer<Float>) {
        let cp = headSum.count
        for k in 0..<t { for c in 0..<cp { headSum.pointer[c] += means[k * cp + c] } }
        headCount += t
        for c in 0..<cp { pooled[c] = headSum.pointer[c] / Float(headCount) }
    }

    func snapshot() -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (i, layer) in arch.layers.enumerated() {
            let e = layer.expand, eP = roundUp8(e)
            if let ring = rings[i] {
                var v: [Float] = []
                for s in 0..<ring.slots {
                    let frame = ring.storage.pointer + ((ring.head + s) % ring.slots) * ring.frameSize
                    for p in 0..<(ring.frameSize / eP) { for c in 0..<e { v.append(frame[p * eP + c]) } }
                }
                out["state_\(layer.name)_stream_buffer"] = v
            }
            if arch.flavour.se == .se2plus3d {
                out["state_\(layer.name)_pool_buffer"] = Array(seSums[i].array[0..<e])
                out["state_\(layer.name)_pool_frame_count"] = [Float(seCounts[i])]
            }
        }
        out["state_head_pool_buffer"] = Array(headSum.array[0..<arch.spec.headChannels])
        out["state_head_pool_frame_count"] = [Float(headCount)]
        return out
    }
}
