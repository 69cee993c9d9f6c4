// A whole-network MoViNet reference composed of the naive twins, reading the canonical tensors
// directly (batch norm applied unfolded, ReZero applied separately): the fast path's oracle.

import MoViNet

struct NaiveNetwork {
    let t: [String: Tensor]
    let arch: Architecture

    init(_ imported: ImportedModel, _ arch: Architecture) {
        t = imported.tensors
        self.arch = arch
    }

    func d(_ name: String) -> [Float] { t[name]!.data }

    /// conv output (rows, c) → BN (or bias) → f.
    func normalise(_ x: [Float], unit: String, c: Int, _ f: ElementFunction) -> [Float] {
        var y = x
        for i in y.indices {
            let ch = i % c
            var v = y[i]
            if let g = t["\(unit)/bn/gamma"] {
                v = (v - d("\(unit)/bn/moving_mean")[ch]) / (d("\(unit)/bn/moving_variance")[ch] + 1e-3).squareRoot()
                    * g.data[ch] + d("\(unit)/bn/beta")[ch]
            } else if let b = t["\(unit)/bias"] {
                v += b.data[ch]
            }
            y[i] = f(v)
        }
        return y
    }

    /// Logits after each frame (stream: causal, running means) or one vector (base: whole clip).
    /// clip: (T, h, w, 3).
    func run(_ clip: [Float], frames T: Int, h: Int, w: Int) -> [[Float]] {
        let fl = arch.flavour
        let act = ElementFunction(fl.activation), gate = ElementFunction(fl.gate)
        let causal = fl.causal
        let sc = arch.spec.stemChannels
        var H = (h + 1) / 2, W = (w + 1) / 2
        var x: [[Float]] = (0..<T).map { f in
            let frame = Array(clip[(f * h * w * 3)..<((f + 1) * h * w * 3)])
            let k = d("stem/conv/kernel")
            let y = naiveConv(frame, h: h, w: w, cin: 3, k, kh: arch.spec.stemKernel[1], kw: arch.spec.stemKernel[2],
                              cout: sc, stride: 2)
            return normalise(y, unit: "stem/conv", c: sc, act)
        }
        for L in arch.layers {
            let p = L.name, e = L.expand
            let oh = (H + L.stride - 1) / L.stride, ow = (W + L.stride - 1) / L.stride
            let expanded = x.map {
                normalise(naiveMatmul($0, rows: H * W, k: L.inChannels, d("\(p)/expansion/kernel"), n: e),
                          unit: "\(p)/expansion", c: e, act)
            }
            var feat: [[Float]]
            if fl.conv == .conv3d {
                let all = naiveDepthwise(expanded.flatMap { $0 }, frames: T, h: H, w: W, c: e, d("\(p)/feature/kernel"),
                                         kt: L.kt, kh: L.kh, kw: L.kw, stride: L.stride, padT: (L.kt - 1) / 2)
                let n = oh * ow * e
                feat = (0..<T).map { normalise(Array(all[($0 * n)..<(($0 + 1) * n)]), unit: "\(p)/feature", c: e, act) }
            } else {
                feat = expanded.map {
                    normalise(naiveDepthwise($0, frames: 1, h: H, w: W, c: e, d("\(p)/feature/kernel"), kt: 1, kh: L.kh,
                                             kw: L.kw, stride: L.stride, padT: 0), unit: "\(p)/feature", c: e, act)
                }
                if L.kt > 1 {
                    let n = oh * ow * e
                    let y = naiveTemporal(feat.flatMap { $0 }, history: [Float](repeating: 0, count: (L.kt - 1) * n),
                                          frames: T, pixels: oh * ow, c: e, d("\(p)/feature_temporal/kernel"), kt: L.kt)
                    feat = (0..<T).map {
                        normalise(Array(y[($0 * n)..<(($0 + 1) * n)]), unit: "\(p)/feature_temporal", c: e, act)
                    }
                }
            }
            if fl.se != .none {
                let means = feat.map { naiveMean($0, pixels: oh * ow, c: e) }
                var z: [[Float]]
                if fl.se == .se2plus3d {
                    var sum = [Float](repeating: 0, count: e)
                    z = means.enumerated().map { k, m in
                        for c in 0..<e { sum[c] += m[c] }
                        return sum.map { $0 / Float(k + 1) } + m
                    }
                } else {
                    var sum = [Float](repeating: 0, count: e)
                    for m in means { for c in 0..<e { sum[c] += m[c] } }
                    z = [[Float]](repeating: sum.map { $0 / Float(T) }, count: T)
                }
                let hdn = L.seHidden
                for k in 0..<T {
                    let r = naiveMatmul(z[k], rows: 1, k: z[k].count, d("\(p)/se/reduce/kernel"), n: hdn,
                                        bias: d("\(p)/se/reduce/bias")).map { act($0) }
                    let g = naiveMatmul(r, rows: 1, k: hdn, d("\(p)/se/expand/kernel"), n: e,
                                        bias: d("\(p)/se/expand/bias")).map { gate($0) }
                    for i in feat[k].indices { feat[k][i] *= g[i % e] }
                }
            }
            let scale = d("\(p)/rezero/scale")[0]
            x = (0..<T).map { k in
                let proj = normalise(naiveMatmul(feat[k], rows: oh * ow, k: e, d("\(p)/projection/kernel"), n: L.outChannels),
                                     unit: "\(p)/projection", c: L.outChannels, .identity)
                var skip = x[k]
                if L.residual == .poolProject {
                    let pooled = L.stride == 2 ? naiveAvgPool(x[k], h: H, w: W, c: L.inChannels) : x[k]
                    skip = normalise(naiveMatmul(pooled, rows: oh * ow, k: L.inChannels, d("\(p)/skip/kernel"),
                                                 n: L.outChannels), unit: "\(p)/skip", c: L.outChannels, .identity)
                }
                return zip(skip, proj).map { $0 + scale * $1 }
            }
            H = oh; W = ow
        }
        let P = arch.spec.headChannels, hidden = arch.spec.classifierHidden
        let means = x.map {
            naiveMean(normalise(naiveMatmul($0, rows: H * W, k: arch.lastChannels, d("head/project/kernel"), n: P),
                                unit: "head/project", c: P, act), pixels: H * W, c: P)
        }
        func classify(_ pooled: [Float]) -> [Float] {
            let hv = naiveMatmul(pooled, rows: 1, k: P, d("classifier/head/kernel"), n: hidden,
                                 bias: d("classifier/head/bias")).map { ElementFunction(fl.classifierActivation)($0) }
            return naiveMatmul(hv, rows: 1, k: hidden, d("classifier/logits/kernel"), n: arch.numClasses,
                               bias: d("classifier/logits/bias"))
        }
        var sum = [Float](repeating: 0, count: P)
        var out: [[Float]] = []
        for (k, m) in means.enumerated() {
            for c in 0..<P { sum[c] += m[c] }
            if causal { out.append(classify(sum.map { $0 / Float(k + 1) })) }
        }
        if !causal { out.append(classify(sum.map { $0 / Float(T) })) }
        return out
    }
}
