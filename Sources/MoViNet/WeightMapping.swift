// Strict mapping of an importer's canonical tensors onto the engine's prepared weights: every
// expected tensor present with its shape, none left unused, batch norm folded (epsilon 1e-3),
// ReZero folded into the projection, kernels re-laid-out (channels padded to multiples of 8).

import Foundation

/// Reads canonical tensors by name, checking shapes and remembering which were used.
struct TensorReader {
    let source: String
    let tensors: [String: Tensor]
    private(set) var used: Set<String> = []

    init(_ model: ImportedModel) {
        source = model.source
        tensors = model.tensors
    }

    func has(_ name: String) -> Bool { tensors[name] != nil }

    mutating func take(_ name: String, _ shape: [Int]) throws -> [Float] {
        guard let t = tensors[name] else { throw ModelError(source, "missing tensor \(name) (expected shape \(shape))") }
        let scalarOK = shape.isEmpty && t.shape == [1]
        guard t.shape == shape || scalarOK else {
            throw ModelError(source, "tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        used.insert(name)
        return t.data
    }

    /// A conv unit: `<unit>/kernel` (last axis = output channels) followed by batch norm (folded
    /// here), a bias, or neither. Returns the kernel in its stored layout and the bias.
    mutating func unit(_ unit: String, _ shape: [Int]) throws -> (kernel: [Float], bias: [Float]) {
        var kernel = try take("\(unit)/kernel", shape)
        let out = shape.last ?? 1
        let hasBN = has("\(unit)/bn/gamma") || has("\(unit)/bn/beta") || has("\(unit)/bn/moving_mean")
            || has("\(unit)/bn/moving_variance")
        if hasBN {
            if has("\(unit)/bias") { throw ModelError(source, "\(unit) has both batch norm and a bias") }
            let gamma = try take("\(unit)/bn/gamma", [out]), beta = try take("\(unit)/bn/beta", [out])
            let mean = try take("\(unit)/bn/moving_mean", [out]), variance = try take("\(unit)/bn/moving_variance", [out])
            var bias = [Float](repeating: 0, count: out)
            var scale = [Float](repeating: 0, count: out)
            for o in 0..<out {
                scale[o] = gamma[o] / (variance[o] + 1e-3).squareRoot()
                bias[o] = beta[o] - mean[o] * scale[o]
            }
            for i in kernel.indices { kernel[i] *= scale[i % out] }
            return (kernel, bias)
        }
        if has("\(unit)/bias") { return (kernel, try take("\(unit)/bias", [out])) }
        return (kernel, [Float](repeating: 0, count: out))
    }

    func checkAllUsed() throws {
        let unused = tensors.keys.filter { !used.contains($0) }.sorted()
        if let first = unused.first {
            throw ModelError(source, "unused tensor \(first)" + (unused.count > 1 ? " (and \(unused.count - 1) more)" : ""))
        }
    }
}

/// Prepared weights of one block layer. Channel counts padded to multiples of 8 ("P" suffix).
final class LayerWeights: @unchecked Sendable {
    let layer: DerivedLayer
    let inP: Int, eP: Int, outP: Int, hiddenP: Int
    let expansion: PackedMatrix       // (in, e)
    let feature: FloatBuffer          // (kt3d, kh, kw, eP): kt3d = kt for 3d convs, 1 for (2+1)D
    let featureBias: FloatBuffer      // (eP)
    let temporal: FloatBuffer?        // (kt, eP), (2+1)D with kt > 1
    let temporalBias: FloatBuffer?    // (eP)
    let seReduce: PackedMatrix?       // (se_in rows laid out as the SE input vector, hidden)
    let seExpand: PackedMatrix?       // (hidden, e)
    let projection: PackedMatrix      // (e, out), multiplied by the ReZero scale
    let skip: PackedMatrix?           // (in, out)

    init(_ r: inout TensorReader, _ layer: DerivedLayer, flavour: Flavour) throws {
        self.layer = layer
        let p = layer.name, e = layer.expand
        inP = roundUp8(layer.inChannels); eP = roundUp8(e); outP = roundUp8(layer.outChannels)
        hiddenP = roundUp8(layer.seHidden)
        let exp = try r.unit("\(p)/expansion", [layer.inChannels, e])
        expansion = PackedMatrix(k: layer.inChannels, n: e, weights: exp.kernel, bias: exp.bias)

        let spatialT = flavour.conv == .conv3d ? layer.kt : 1
        let feat = try r.unit("\(p)/feature", [spatialT, layer.kh, layer.kw, e])
        feature = padChannels(feat.kernel, channels: e, padded: eP)
        featureBias = padChannels(feat.bias, channels: e, padded: eP)
        if flavour.conv != .conv3d && layer.kt > 1 {
            let tmp = try r.unit("\(p)/feature_temporal", [layer.kt, e])
            temporal = padChannels(tmp.kernel, channels: e, padded: eP)
            temporalBias = padChannels(tmp.bias, channels: e, padded: eP)
        } else {
            temporal = nil
            temporalBias = nil
        }

        if flavour.se != .none {
            let h = layer.seHidden
            let twoPart = flavour.se == .se2plus3d
            let seIn = twoPart ? 2 * e : e
            let red = try r.take("\(p)/se/reduce/kernel", [seIn, h])
            let redBias = try r.take("\(p)/se/reduce/bias", [h])
            // SE input vector layout: [running mean (eP), current-frame mean (eP)] or [clip mean (eP)].
            var rows = [Float](repeating: 0, count: (twoPart ? 2 * eP : eP) * h)
            for i in 0..<seIn {
                let dst = i < e ? i : eP + (i - e)
                for j in 0..<h { rows[dst * h + j] = red[i * h + j] }
            }
            seReduce = PackedMatrix(k: twoPart ? 2 * eP : eP, n: h, weights: rows, bias: redBias)
            let ex = try r.take("\(p)/se/expand/kernel", [h, e])
            seExpand = PackedMatrix(k: h, n: e, weights: ex, bias: try r.take("\(p)/se/expand/bias", [e]))
        } else {
            seReduce = nil
            seExpand = nil
        }

        let scale = try r.take("\(p)/rezero/scale", [])[0]
        let proj = try r.unit("\(p)/projection", [e, layer.outChannels])
        projection = PackedMatrix(k: e, n: layer.outChannels, weights: proj.kernel.map { $0 * scale },
                                  bias: proj.bias.map { $0 * scale })
        if layer.residual == .poolProject {
            let s = try r.unit("\(p)/skip", [layer.inChannels, layer.outChannels])
            skip = PackedMatrix(k: layer.inChannels, n: layer.outChannels, weights: s.kernel, bias: s.bias)
        } else {
            skip = nil
        }
    }
}

/// (…, c) → (…, cp) with zero channels appended.
func padChannels(_ values: [Float], channels c: Int, padded cp: Int) -> FloatBuffer {
    let rows = values.count / c
    let out = FloatBuffer(count: rows * cp)
    for r in 0..<rows { for i in 0..<c { out.pointer[r * cp + i] = values[r * c + i] } }
    return out
}

/// Every prepared weight of a network.
final class NetworkWeights: @unchecked Sendable {
    let stemP: Int
    let stem: FloatBuffer          // (kh, kw, 3, stemP)
    let stemBias: FloatBuffer      // (stemP)
    let layers: [LayerWeights]
    let headP: Int
    let headProject: PackedMatrix  // (last, P)
    let classifierHead: PackedMatrix    // (P, hidden)
    let classifierLogits: PackedMatrix  // (hidden, classes)

    init(_ imported: ImportedModel, _ arch: Architecture) throws {
        var r = TensorReader(imported)
        let s = arch.spec
        stemP = roundUp8(s.stemChannels)
        let st = try r.unit("stem/conv", [s.stemKernel[0], s.stemKernel[1], s.stemKernel[2], 3, s.stemChannels])
        stem = padChannels(st.kernel, channels: s.stemChannels, padded: stemP)
        stemBias = padChannels(st.bias, channels: s.stemChannels, padded: stemP)
        layers = try arch.layers.map { try LayerWeights(&r, $0, flavour: arch.flavour) }
        headP = roundUp8(s.headChannels)
        let hp = try r.unit("head/project", [arch.lastChannels, s.headChannels])
        headProject = PackedMatrix(k: arch.lastChannels, n: s.headChannels, weights: hp.kernel, bias: hp.bias)
        let ch = try r.take("classifier/head/kernel", [s.headChannels, s.classifierHidden])
        classifierHead = PackedMatrix(k: s.headChannels, n: s.classifierHidden, weights: ch,
                                      bias: try r.take("classifier/head/bias", [s.classifierHidden]))
        let cl = try r.take("classifier/logits/kernel", [s.classifierHidden, arch.numClasses])
        classifierLogits = PackedMatrix(k: s.classifierHidden, n: arch.numClasses, weights: cl,
                                        bias: try r.take("classifier/logits/bias", [arch.numClasses]))
        try r.checkAllUsed()
    }
}
