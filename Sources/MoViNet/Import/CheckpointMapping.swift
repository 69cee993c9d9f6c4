// Maps TF MoViNet variables (Model Garden checkpoints, Keras SavedModels) to the canonical tensors.
//
// The layer (`stem`, `block{b}_layer{l}`, `head`, `classifier`) comes from the variable's Keras name
// (`block2_layer1/bneck/…`, TF Hub `b2/l1/…`, `classifier_head/…`: names the MoViNet code gives
// explicitly); the unit inside the layer from its object path (`_expansion/_conv/_conv/kernel`,
// `_feature/_conv_temporal/…`, `_attention/_se_reduce/…`), or, when there is no object path, from the
// name's semantic parts. Keras's auto-numbered parts (`conv2d_3`, `layer_with_weights-7`) never decide.

/// One stored variable with everything known about its identity.
public struct CheckpointVariable: Sendable {
    public var checkpointKey: String
    /// Object path from the model root (checkpoint keys minus `/.ATTRIBUTES/VARIABLE_VALUE`, or the
    /// SavedModel object graph path); nil when unknown.
    public var objectPath: [String]?
    /// Keras variable name (object graph `full_name`, or `SavedVariable.name`).
    public var kerasName: String?
    public var tensor: Tensor

    public init(checkpointKey: String, objectPath: [String]?, kerasName: String?, tensor: Tensor) {
        self.checkpointKey = checkpointKey
        self.objectPath = objectPath
        self.kerasName = kerasName
        self.tensor = tensor
    }

    var label: String {
        if let kerasName, !kerasName.isEmpty, kerasName != checkpointKey { return "'\(checkpointKey)' (\(kerasName))" }
        return "'\(checkpointKey)'"
    }
}

public enum CheckpointMapping {
    /// Checkpoint keys that are training bookkeeping, not model weights.
    public static func isBookkeeping(_ key: String) -> Bool {
        key == "_CHECKPOINTABLE_OBJECT_GRAPH" || key.hasPrefix("save_counter/") || key.hasPrefix("optimizer/")
            || key.hasPrefix("keras_api/") || key.contains("/.OPTIMIZER_SLOT/") || key.hasPrefix("global_step")
    }

    /// Official models' total scalar counts (spec §5.4), keyed by (number of block layers, head width).
    static let officialScalarCounts: [String: (id: String, base: Int, stream: Int)] = [
        "15/480": ("a0", 3_126_071, 3_765_983),
        "24/600": ("a1", 4_717_912, 6_481_560),
        "26/640": ("a2", 5_280_922, 7_366_050),
    ]

    /// Canonical tensors for `variables`; strict: unknown, duplicate, missing or mis-shaped tensors
    /// are errors naming them. Returns the tensors and whether the model is a stream (2+3D SE) model.
    public static func canonicalTensors(_ variables: [CheckpointVariable], source: String) throws
        -> (tensors: [String: Tensor], isStream: Bool) {
        var out: [String: Tensor] = [:]
        var from: [String: String] = [:]
        for v in variables {
            guard let (layer, rest) = layerOf(v.kerasName) else {
                throw ModelError(source, "unknown variable \(v.label): not a MoViNet layer (stem, blockB_layerL, head, classifier_head)")
            }
            guard let (unit, leaf) = unitFromPath(v.objectPath, layer: layer) ?? unitFromName(rest, layer: layer) else {
                throw ModelError(source, "unknown variable \(v.label) in layer \(layer)")
            }
            let name = unit.isEmpty ? "\(layer)/\(leaf)" : "\(layer)/\(unit)/\(leaf)"
            if let other = from[name] {
                throw ModelError(source, "variables \(other) and \(v.label) both map to \(name)")
            }
            out[name] = try convert(v.tensor, to: name, unit: unit, leaf: leaf, label: v.label, source: source)
            from[name] = v.label
        }
        let isStream = try checkComplete(out, source: source)
        return (out, isStream)
    }

    /// (`stem` | `block{b}_layer{l}` | `head` | `classifier`, remaining name parts).
    static func layerOf(_ kerasName: String?) -> (String, [String])? {
        guard var name = kerasName, !name.isEmpty else { return nil }
        if name.hasSuffix(":0") { name.removeLast(2) }
        let parts = name.split(separator: "/").map(String.init)
        guard var first = parts.first else { return nil }
        // Keras uniquifies a repeated layer name within one session (`classifier_head_1`).
        if let us = first.lastIndex(of: "_"), Int(first[first.index(after: us)...]) != nil,
           ["stem", "head", "classifier_head"].contains(String(first[..<us])) || blockLayer(String(first[..<us])) != nil {
            first = String(first[..<us])
        }
        switch first {
        case "stem": return ("stem", Array(parts.dropFirst()))
        case "head": return ("head", Array(parts.dropFirst()))
        case "classifier_head": return ("classifier", Array(parts.dropFirst()))
        default: break
        }
        if let (b, l) = blockLayer(first) { return ("block\(b)_layer\(l)", Array(parts.dropFirst())) }
        if parts.count > 1, first.hasPrefix("b"), let b = Int(first.dropFirst()),
           parts[1].hasPrefix("l"), let l = Int(parts[1].dropFirst()) {
            return ("block\(b)_layer\(l)", Array(parts.dropFirst(2)))
        }
        return nil
    }

    static func blockLayer(_ s: String) -> (Int, Int)? {
        guard s.hasPrefix("block"), let us = s.firstIndex(of: "_") else { return nil }
        let b = s[s.index(s.startIndex, offsetBy: 5)..<us]
        let rest = s[s.index(after: us)...]
        guard rest.hasPrefix("layer"), let bi = Int(b), let li = Int(rest.dropFirst(5)), bi >= 0, li >= 0 else { return nil }
        return (bi, li)
    }

    static func leafName(_ leaf: String, bn: Bool) -> String? {
        switch leaf {
        case "kernel", "depthwise_kernel": return bn ? nil : "kernel"
        case "bias": return bn ? nil : "bias"
        case "gamma", "beta", "moving_mean", "moving_variance": return "bn/\(leaf)"
        default: return nil
        }
    }

    /// From object-path edges such as `_feature/_conv_temporal/_conv/depthwise_kernel`.
    static func unitFromPath(_ path: [String]?, layer: String) -> (String, String)? {
        guard let path, let i = path.firstIndex(where: { $0.hasPrefix("_") }), let leaf = path.last,
              !leaf.hasPrefix("_") else { return nil }
        let c = Array(path[i..<(path.count - 1)])
        let bn = c.contains { $0.hasPrefix("_batch_norm") }
        let temporal = c.contains { $0 == "_conv_temporal" || $0 == "_batch_norm_temporal" }
        var unit: String
        switch (layer, c[0]) {
        case ("stem", "_stem"): unit = "conv"
        case ("head", "_project"): unit = "project"
        case ("classifier", "_head"): unit = "head"
        case ("classifier", "_classifier"): unit = "logits"
        case (_, "_expansion"): unit = "expansion"
        case (_, "_feature"): unit = temporal ? "feature_temporal" : "feature"
        case (_, "_projection"): unit = "projection"
        case (_, "_skip") where c.count > 1 && c[1] == "_projection": unit = "skip"
        case (_, "_attention") where c.count > 1 && c[1] == "_se_reduce": unit = "se/reduce"
        case (_, "_attention") where c.count > 1 && c[1] == "_se_expand": unit = "se/expand"
        case (_, "_mobile_bottleneck"), (_, "_rezero"):
            return c.contains("_rezero") && leaf == "scale" ? ("rezero", "scale") : nil
        default: return nil
        }
        if !layer.hasPrefix("block") && unit != "conv" && unit != "project" && unit != "head" && unit != "logits" { return nil }
        if layer.hasPrefix("block") && (unit == "conv" || unit == "project" || unit == "head" || unit == "logits") { return nil }
        guard let l = leafName(leaf, bn: bn) else { return nil }
        if unit.hasPrefix("se/") || layer == "classifier" { guard !bn else { return nil } }
        return (unit, l)
    }

    /// From Keras name parts after the layer, e.g. `bneck/feature/conv2d_temporal/bn_temporal/beta`.
    static func unitFromName(_ rest: [String], layer: String) -> (String, String)? {
        guard let leaf = rest.last else { return nil }
        let c = Set(rest.dropLast())
        let bn = c.contains("bn") || c.contains("bn_temporal")
        var unit: String
        if layer == "stem" {
            unit = "conv"
        } else if layer == "head" {
            guard c.contains("project") else { return nil }
            unit = "project"
        } else if layer == "classifier" {
            if c.contains("classifier") { unit = "logits" } else if c.contains("head") { unit = "head" } else { return nil }
        } else if rest == ["scale"] {
            return ("rezero", "scale")
        } else if c.contains("se_reduce") {
            unit = "se/reduce"
        } else if c.contains("se_expand") {
            unit = "se/expand"
        } else if c.contains("skip_project") {
            unit = "skip"
        } else if c.contains("expansion") {
            unit = "expansion"
        } else if c.contains("feature") {
            unit = rest.dropLast().contains { $0.hasSuffix("_temporal") } ? "feature_temporal" : "feature"
        } else if c.contains("projection") {
            unit = "projection"
        } else {
            return nil
        }
        guard let l = leafName(leaf, bn: bn) else { return nil }
        return (unit, l)
    }

    /// Converts a stored Keras tensor to the canonical layout for `name` (see ImportedModel.swift).
    static func convert(_ t: Tensor, to name: String, unit: String, leaf: String, label: String,
                        source: String) throws -> Tensor {
        let s = t.shape
        func bad(_ want: String) -> ModelError {
            ModelError(source, "variable \(label) → \(name) has shape \(s), expected \(want)")
        }
        if leaf != "kernel" {
            if leaf == "scale" {
                guard s.isEmpty || s == [1] else { throw bad("[] (a scalar)") }
                return t
            }
            guard s.count == 1 else { throw bad("a vector") }
            return t
        }
        switch unit {
        case "conv":  // stem: Conv3D [kt,kh,kw,in,out] or Conv2D [kh,kw,in,out]
            if s.count == 5 { return t }
            if s.count == 4 { return Tensor(shape: [1] + s, data: t.data) }
            throw bad("[kt,kh,kw,in,out] or [kh,kw,in,out]")
        case "feature":
            // 3d / 3d_2plus1d: grouped Conv3D [kt,kh,kw,1,e]; 2plus1d: DepthwiseConv2D [kh,kw,e,1].
            if s.count == 5 && s[3] == 1 { return Tensor(shape: [s[0], s[1], s[2], s[4]], data: t.data) }
            if s.count == 4 && s[3] == 1 { return Tensor(shape: [1, s[0], s[1], s[2]], data: t.data) }
            throw bad("a depthwise kernel [kt,kh,kw,1,e] or [kh,kw,e,1]")
        case "feature_temporal":
            // 3d_2plus1d: Conv3D [kt,1,1,1,e]; 2plus1d: DepthwiseConv2D [kt,1,e,1].
            if s.count == 5 && s[1] == 1 && s[2] == 1 && s[3] == 1 { return Tensor(shape: [s[0], s[4]], data: t.data) }
            if s.count == 4 && s[1] == 1 && s[3] == 1 { return Tensor(shape: [s[0], s[2]], data: t.data) }
            throw bad("a temporal depthwise kernel [kt,1,1,1,e] or [kt,1,e,1]")
        default:  // 1×1 convolutions: [1,1,1,in,out] or [1,1,in,out] or [in,out]
            guard s.count >= 2, s.dropLast(2).allSatisfy({ $0 == 1 }) else { throw bad("a 1×1 kernel [1,1,(1,)in,out]") }
            return Tensor(shape: Array(s.suffix(2)), data: t.data)
        }
    }

    /// Structural completeness; returns whether the SE is the stream (2+3D) kind.
    static func checkComplete(_ t: [String: Tensor], source: String) throws -> Bool {
        func need(_ names: [String]) throws {
            let missing = names.filter { t[$0] == nil }
            if !missing.isEmpty { throw ModelError(source, "missing variable(s): \(missing.joined(separator: ", "))") }
        }
        let bn = ["gamma", "beta", "moving_mean", "moving_variance"]
        func unit(_ u: String) -> [String] { ["\(u)/kernel"] + bn.map { "\(u)/bn/\($0)" } }
        try need(unit("stem/conv") + unit("head/project")
                 + ["classifier/head/kernel", "classifier/head/bias", "classifier/logits/kernel", "classifier/logits/bias"])
        // Blocks 0…B-1, layers 0…L-1 each, without gaps.
        var layers: [Int: Set<Int>] = [:]
        for k in t.keys {
            if let first = k.split(separator: "/").first, let (b, l) = blockLayer(String(first)) { layers[b, default: []].insert(l) }
        }
        guard !layers.isEmpty else { throw ModelError(source, "missing variables: no block layers (block0_layer0…)") }
        let blocks = layers.keys.sorted()
        guard blocks == Array(0..<blocks.count) else {
            throw ModelError(source, "missing variables: blocks \(blocks) are not numbered 0…\(blocks.count - 1)")
        }
        var isStream: Bool?
        var layerCount = 0
        for b in blocks {
            let ls = layers[b]!.sorted()
            guard ls == Array(0..<ls.count) else {
                throw ModelError(source, "missing variables: block\(b) has layers \(ls), not 0…\(ls.count - 1)")
            }
            for l in ls {
                layerCount += 1
                let p = "block\(b)_layer\(l)"
                try need(unit("\(p)/expansion") + unit("\(p)/feature") + unit("\(p)/projection") + ["\(p)/rezero/scale"])
                if let fk = t["\(p)/feature/kernel"], fk.shape[0] > 1, t["\(p)/feature_temporal/kernel"] != nil {
                    throw ModelError(source, "\(p) has both a 3D feature kernel \(fk.shape) and a temporal kernel")
                }
                if t["\(p)/feature_temporal/kernel"] != nil || t["\(p)/feature_temporal/bn/gamma"] != nil {
                    try need(unit("\(p)/feature_temporal"))
                }
                if t["\(p)/skip/kernel"] != nil || t["\(p)/skip/bn/gamma"] != nil { try need(unit("\(p)/skip")) }
                let se = ["\(p)/se/reduce/kernel", "\(p)/se/reduce/bias", "\(p)/se/expand/kernel", "\(p)/se/expand/bias"]
                if se.contains(where: { t[$0] != nil }) {
                    try need(se)
                    let e = t["\(p)/expansion/kernel"]!.shape[1]
                    let seIn = t["\(p)/se/reduce/kernel"]!.shape[0]
                    let stream = seIn == 2 * e
                    guard seIn == e || stream else {
                        throw ModelError(source, "\(p)/se/reduce/kernel has \(seIn) inputs for \(e) expanded channels")
                    }
                    if let s = isStream, s != stream {
                        throw ModelError(source, "\(p): squeeze-excitation kind differs from earlier layers")
                    }
                    isStream = stream
                }
            }
        }
        // Scalar-count checksum for the official tables (spec §5.4).
        let head = t["head/project/kernel"]!.shape[1]
        if let official = officialScalarCounts["\(layerCount)/\(head)"], let stream = isStream {
            let total = t.values.reduce(0) { $0 + $1.count }
            let want = stream ? official.stream : official.base
            guard total == want else {
                throw ModelError(source, "looks like MoViNet-\(official.id.uppercased()) \(stream ? "stream" : "base") but holds \(total) scalars, not \(want)")
            }
        }
        return isStream ?? (t.keys.contains { $0.hasSuffix("feature_temporal/kernel") })
    }
}
