// Seeded random canonical tensors for any architecture × flavour × class count: models for tests
// and benchmarks without a model file. Batch-norm statistics and ReZero scales are non-trivial on
// purpose (a fresh TF model has identity BN and zero ReZero, which would hide bugs).

/// SplitMix64: small, fast, reproducible across platforms.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
}

public enum RandomWeights {
    /// An `ImportedModel` with every canonical tensor of `architecture` filled from `seed`.
    /// `batchNorm: false` gives bias-only units (BN already folded, as in TFLite files).
    public static func model(_ architecture: Architecture, seed: UInt64 = 1, batchNorm: Bool = true
) -> ImportedModel {
        var rng = SeededGenerator(seed: seed)
        var t: [String: Tensor] = [:]
        let a = architecture
        func tensor(_ shape: [Int], fanIn: Int) -> Tensor {
            let bound = (3 / Float(max(fanIn, 1))).squareRoot()   // variance ≈ 1/fanIn
            return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-bound, bound) })
        }
        func vector(_ n: Int, _ lo: Float, _ hi: Float) -> Tensor {
            Tensor(shape: [n], data: (0..<n).map { _ in rng.uniform(lo, hi) })
        }
        func unit(_ name: String, _ shape: [Int], fanIn: Int) {
            t["\(name)/kernel"] = tensor(shape, fanIn: fanIn)
            let out = shape.last!
            if batchNorm {
                t["\(name)/bn/gamma"] = vector(out, 0.5, 1.5)
                t["\(name)/bn/beta"] = vector(out, -0.2, 0.2)
                t["\(name)/bn/moving_mean"] = vector(out, -0.2, 0.2)
                t["\(name)/bn/moving_variance"] = vector(out, 0.5, 1.5)
            } else {
                t["\(name)/bias"] = vector(out, -0.2, 0.2)
            }
        }
        let s = a.spec
        unit("stem/conv", [s.stemKernel[0], s.stemKernel[1], s.stemKernel[2], 3, s.stemChannels], fanIn: 27)
        for l in a.layers {
            let p = l.name, e = l.expand
            unit("\(p)/expansion", [l.inChannels, e], fanIn: l.inChannels)
            if a.flavour.conv == .conv3d {
                unit("\(p)/feature", [l.kt, l.kh, l.kw, e], fanIn: l.kt * l.kh * l.kw)
            } else {
                unit("\(p)/feature", [1, l.kh, l.kw, e], fanIn: l.kh * l.kw)
                if l.kt > 1 { unit("\(p)/feature_temporal", [l.kt, e], fanIn: l.kt) }
            }
            if a.flavour.se != .none {
                let seIn = a.flavour.se == .se2plus3d ? 2 * e : e
                t["\(p)/se/reduce/kernel"] = tensor([seIn, l.seHidden], fanIn: seIn)
                t["\(p)/se/reduce/bias"] = vector(l.seHidden, -0.2, 0.2)
                t["\(p)/se/expand/kernel"] = tensor([l.seHidden, e], fanIn: l.seHidden)
                t["\(p)/se/expand/bias"] = vector(e, -0.2, 0.2)
            }
            unit("\(p)/projection", [e, l.outChannels], fanIn: e)
            if l.residual == .poolProject { unit("\(p)/skip", [l.inChannels, l.outChannels], fanIn: l.inChannels) }
            t["\(p)/rezero/scale"] = Tensor(shape: [], data: [rng.uniform(0.3, 1)])
        }
        unit("head/project", [a.lastChannels, s.headChannels], fanIn: a.lastChannels)
        t["classifier/head/kernel"] = tensor([s.headChannels, s.classifierHidden], fanIn: s.headChannels)
        t["classifier/head/bias"] = vector(s.classifierHidden, -0.2, 0.2)
        t["classifier/logits/kernel"] = tensor([s.classifierHidden, a.numClasses], fanIn: s.classifierHidden)
        t["classifier/logits/bias"] = vector(a.numClasses, -0.2, 0.2)
        return ImportedModel(source: "random:\(s.id)-seed\(seed)", format: .checkpoint, tensors: t, flavour: a.flavour)
    }

    /// `id` like "a0-stream", "a1-base", "a0-stream-int8" (relu6, no SE: the TF Hub int8 TFLite
    /// flavour); 600 classes unless given.
    public static func model(id: String, classes: Int = 600, seed: UInt64 = 1) throws -> ImportedModel {
        let parts = id.split(separator: "-").map(String.init)
        guard parts.count >= 2, let spec = ArchitectureSpec.builtIn.first(where: { $0.id == parts[0] }) else {
            throw ModelError(id, "unknown architecture (expected a0|a1|a2 followed by -base, -stream or -stream-int8)")
        }
        let flavour: Flavour
        switch parts.dropFirst().joined(separator: "-") {
        case "base": flavour = .base
        case "stream": flavour = .stream
        case "stream-int8": flavour = .int8Stream
        default: throw ModelError(id, "unknown flavour (expected -base, -stream or -stream-int8)")
        }
        return model(Architecture(spec: spec, flavour: flavour, numClasses: classes), seed: seed,
                     batchNorm: flavour != .int8Stream)
    }
}
