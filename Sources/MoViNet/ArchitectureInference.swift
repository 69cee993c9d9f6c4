// Reads the architecture and flavour off an importer's tensors: block/layer structure, channels
// and kernel sizes from shapes, then names it after the built-in table it matches (if any).

import Foundation

extension Architecture {
    /// The architecture of `imported`: its flavour (stated by the artifact, else from the tensors),
    /// its block table (a built-in one when the shapes match, else a custom one), its class count.
    public static func infer(from imported: ImportedModel) throws -> Architecture {
        let src = imported.source
        let t = imported.tensors
        func shape(_ name: String) throws -> [Int] {
            guard let s = t[name]?.shape else { throw ModelError(src, "missing tensor \(name)") }
            return s
        }
        let stem = try shape("stem/conv/kernel")
        guard stem.count == 5, stem[3] == 3 else {
            throw ModelError(src, "tensor stem/conv/kernel has shape \(stem), expected [kt, kh, kw, 3, out]")
        }
        // Layer names present: block{b}_layer{l}.
        var counts: [Int: Int] = [:]
        for key in t.keys where key.hasPrefix("block") {
            guard let slash = key.firstIndex(of: "/") else { continue }
            let head = key[key.index(key.startIndex, offsetBy: 5)..<slash]
            let parts = head.split(separator: "_")
            guard parts.count == 2, let b = Int(parts[0]), parts[1].hasPrefix("layer"),
                  let l = Int(parts[1].dropFirst(5)) else {
                throw ModelError(src, "unexpected tensor name \(key)")
            }
            // MoViNet A5 has 7 blocks of at most 11 layers.
            guard (0..<64).contains(b), (0..<256).contains(l) else {
                throw ModelError(src, "unexpected tensor name \(key) (block or layer number out of range)")
            }
            counts[b] = max(counts[b] ?? 0, l + 1)
        }
        guard !counts.isEmpty else { throw ModelError(src, "no block layers (block{b}_layer{l}/…) found") }
        let blockCount = counts.keys.max()! + 1

        var anyTemporal = false, anyDeep = false
        var seRatio: Int? = nil
        var blocks: [BlockSpec] = []
        for b in 0..<blockCount {
            guard let n = counts[b] else { throw ModelError(src, "block \(b) has no layers") }
            var layers: [LayerSpec] = []
            var out = -1
            for l in 0..<n {
                let p = "block\(b)_layer\(l)"
                let exp = try shape("\(p)/expansion/kernel")
                let feat = try shape("\(p)/feature/kernel")
                let proj = try shape("\(p)/projection/kernel")
                guard exp.count == 2, feat.count == 4, proj.count == 2 else {
                    throw ModelError(src, "\(p): unexpected kernel ranks (expansion \(exp), feature \(feat), projection \(proj))")
                }
                var kt = feat[0]
                if let tmp = t["\(p)/feature_temporal/kernel"]?.shape {
                    guard tmp.count == 2 else { throw ModelError(src, "tensor \(p)/feature_temporal/kernel has shape \(tmp), expected [kt, e]") }
                    anyTemporal = true
                    kt = tmp[0]
                }
                if feat[0] > 1 { anyDeep = true }
                if let red = t["\(p)/se/reduce/kernel"]?.shape, red.count == 2, exp[1] > 0 {
                    seRatio = red[0] / exp[1]
                }
                if out >= 0 && out != proj[1] {
                    throw ModelError(src, "\(p): output channels \(proj[1]) differ from the block's \(out)")
                }
                out = proj[1]
                // Every MoViNet table strides exactly the layers that have a skip projection.
                let stride = t["\(p)/skip/kernel"] != nil ? 2 : 1
                layers.append(LayerSpec(expand: exp[1], kernel: [kt, feat[1], feat[2]], stride: stride))
            }
            blocks.append(BlockSpec(outChannels: out, layers: layers))
        }
        let head = try shape("head/project/kernel")
        let cls = try shape("classifier/head/kernel")
        let logits = try shape("classifier/logits/kernel")
        guard head.count == 2, cls.count == 2, logits.count == 2 else {
            throw ModelError(src, "unexpected head/classifier kernel ranks")
        }

        var spec = ArchitectureSpec(id: "custom", stemChannels: stem[4], stemKernel: Array(stem[0..<3]),
                                    blocks: blocks, headChannels: head[1], classifierHidden: cls[1])
        if let known = ArchitectureSpec.builtIn.first(where: {
            $0.stemChannels == spec.stemChannels && $0.stemKernel == spec.stemKernel && $0.blocks == spec.blocks
                && $0.headChannels == spec.headChannels && $0.classifierHidden == spec.classifierHidden
        }) {
            spec = known
        }
        guard spec.stemKernel[0] == 1 else { throw ModelError(src, "stems with a temporal kernel are not supported") }

        var flavour: Flavour
        if let stated = imported.flavour {
            flavour = stated
        } else if anyTemporal {
            flavour = .stream
        } else if anyDeep {
            flavour = .base
        } else if let seRatio {
            flavour = seRatio == 2 ? .stream : .base
        } else {
            flavour = .base
        }
        if flavour.conv == .conv3d2plus1d { flavour.conv = .conv2plus1d }  // importer converted the kernels
        let hasSE = t.keys.contains { $0.hasSuffix("/se/reduce/kernel") }
        if flavour.se != .none && !hasSE && imported.flavour == nil { flavour.se = .none }
        switch (flavour.causal, flavour.conv, flavour.se) {
        case (true, .conv2plus1d, .se2plus3d), (true, .conv2plus1d, .none), (false, .conv3d, .se3d), (false, .conv3d, .none):
            break
        default:
            throw ModelError(src, "unsupported flavour: conv \(flavour.conv.rawValue), se \(flavour.se.rawValue), causal \(flavour.causal)")
        }
        if flavour.conv == .conv3d && anyTemporal {
            throw ModelError(src, "a 3d model cannot have feature_temporal kernels")
        }
        return Architecture(spec: spec, flavour: flavour, numClasses: logits[1])
    }
}
