// Reads what a SavedModel's computation graph says about the squeeze-excitation gate (spec §3.6).
//
// Current Model Garden `hard_sigmoid` is relu6(x + 3) · 0.16667 (a Const 0.16667 in the gate's
// scope); classic Keras `hard_sigmoid` is clip(0.2 x + 0.5, 0, 1) (Consts 0.2 and 0.5); base models
// gate with a Sigmoid op. The gate is the activation of the SE expand conv, so only nodes whose name
// contains `se_expand` are looked at, in the graph and in every library function.
//
// saved_model.proto: SavedModel { meta_graphs = 2 }; MetaGraphDef { graph_def = 2 }; GraphDef
// { node = 1, library = 2 }; FunctionDefLibrary { function = 1 }; FunctionDef { node_def = 3 };
// NodeDef { name = 1, op = 2, attr = 5 (map<string, AttrValue>) }; AttrValue { tensor = 8 };
// TensorProto { dtype = 1, tensor_content = 4, float_val = 5 }.

public enum SavedModelGraph {
    /// The SE gate the graph computes, or nil when the graph does not tell (no graph, no SE).
    public static func gate(savedModel bytes: [UInt8]) throws -> Gate? {
        var sawSigmoid = false, sawRelu6Constant = false, sawPointTwo = false, sawPointFive = false
        func visit(node: [UInt8]) throws {
            var name = "", op = ""
            var attrs: [[UInt8]] = []
            for (f, v) in try ProtobufReader.fields(node) {
                if f == 1 { name = v.string ?? "" }
                if f == 2 { op = v.string ?? "" }
                if f == 5, let b = v.bytes { attrs.append(b) }
            }
            guard name.contains("se_expand") else { return }
            if op == "Sigmoid" { sawSigmoid = true }
            guard op == "Const" else { return }
            for entry in attrs {
                for (f, v) in try ProtobufReader.fields(entry) where f == 2 {
                    guard let attr = v.bytes else { continue }
                    for (af, av) in try ProtobufReader.fields(attr) where af == 8 {
                        guard let tensor = av.bytes, let x = try scalarFloat(tensor) else { continue }
                        if x == Float(0.16667) { sawRelu6Constant = true }
                        if x == Float(0.2) { sawPointTwo = true }
                        if x == Float(0.5) { sawPointFive = true }
                    }
                }
            }
        }
        for (f, v) in try ProtobufReader.fields(bytes) where f == 2 {
            guard let mg = v.bytes else { continue }
            for (mf, mv) in try ProtobufReader.fields(mg) where mf == 2 {
                guard let graph = mv.bytes else { continue }
                for (gf, gv) in try ProtobufReader.fields(graph) {
                    if gf == 1, let n = gv.bytes { try visit(node: n) }
                    if gf == 2, let lib = gv.bytes {
                        for (lf, lv) in try ProtobufReader.fields(lib) where lf == 1 {
                            guard let fn = lv.bytes else { continue }
                            for (ff, fv) in try ProtobufReader.fields(fn) where ff == 3 {
                                if let n = fv.bytes { try visit(node: n) }
                            }
                        }
                    }
                }
            }
            break  // the first meta graph only
        }
        let linear = sawPointTwo && sawPointFive
        switch (sawRelu6Constant, linear, sawSigmoid) {
        case (true, false, false): return .hardSigmoidRelu6
        case (false, true, false): return .hardSigmoidLinear
        case (false, false, true): return .sigmoid
        case (false, false, false): return nil
        default: throw ProtobufError("the SE gate's operators are ambiguous (sigmoid: \(sawSigmoid), relu6·0.16667: \(sawRelu6Constant), 0.2x+0.5: \(linear))")
        }
    }

    /// The value of a float32 scalar TensorProto, else nil.
    static func scalarFloat(_ bytes: [UInt8]) throws -> Float? {
        var dtype: UInt64 = 0
        var values: [Float] = []
        for (f, v) in try ProtobufReader.fields(bytes) {
            switch (f, v) {
            case (1, .varint(let d)): dtype = d
            case (5, .fixed32(let x)): values.append(Float(bitPattern: x))
            case (5, .bytes(let packed)) where packed.count % 4 == 0:
                for i in stride(from: 0, to: packed.count, by: 4) {
                    values.append(Float(bitPattern: UInt32(packed[i]) | UInt32(packed[i + 1]) << 8
                        | UInt32(packed[i + 2]) << 16 | UInt32(packed[i + 3]) << 24))
                }
            case (4, .bytes(let content)) where content.count == 4:
                values.append(Float(bitPattern: UInt32(content[0]) | UInt32(content[1]) << 8
                    | UInt32(content[2]) << 16 | UInt32(content[3]) << 24))
            default: break
            }
        }
        guard dtype == 1, values.count == 1 else { return nil }
        return values[0]
    }
}
