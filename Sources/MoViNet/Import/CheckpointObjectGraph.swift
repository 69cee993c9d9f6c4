// The object graphs of TF2 checkpoints (`TrackableObjectGraph`) and SavedModels (`SavedObjectGraph`).
//
// trackable_object_graph.proto: TrackableObjectGraph { nodes = 1 }; TrackableObject { children = 1
// (ObjectReference { node_id = 1, local_name = 2 }), attributes = 2 (SerializedTensor { name = 1,
// full_name = 2, checkpoint_key = 3 }) }.
// saved_model.proto / meta_graph.proto / saved_object_graph.proto: SavedModel { meta_graphs = 2 };
// MetaGraphDef { object_graph_def = 7 }; SavedObjectGraph { nodes = 1 }; SavedObject { children = 1,
// variable = 7 (SavedVariable { dtype = 1, shape = 2, name = 6 }) }.
// A SavedModel's object graph and its `variables/` checkpoint's object graph number nodes alike.

public struct ObjectGraphNode: Sendable, Equatable {
    public var children: [(id: Int, name: String)]
    /// `VARIABLE_VALUE` attribute: (Keras full name, checkpoint key), when the node is a variable.
    public var variable: (fullName: String, checkpointKey: String)?
    /// `SavedVariable.name` (SavedModel graphs only).
    public var savedVariableName: String?

    public static func == (a: ObjectGraphNode, b: ObjectGraphNode) -> Bool {
        a.children.map(\.id) == b.children.map(\.id) && a.children.map(\.name) == b.children.map(\.name)
            && a.variable?.fullName == b.variable?.fullName && a.variable?.checkpointKey == b.variable?.checkpointKey
            && a.savedVariableName == b.savedVariableName
    }
}

public struct ObjectGraph: Sendable {
    public var nodes: [ObjectGraphNode]

    /// Decodes a serialized `TrackableObjectGraph` (the `_CHECKPOINTABLE_OBJECT_GRAPH` tensor).
    public static func trackable(_ bytes: [UInt8]) throws -> ObjectGraph {
        var nodes: [ObjectGraphNode] = []
        for (f, v) in try ProtobufReader.fields(bytes) where f == 1 {
            guard let nb = v.bytes else { throw ProtobufError("object graph node is not a message") }
            var node = ObjectGraphNode(children: [], variable: nil, savedVariableName: nil)
            for (nf, nv) in try ProtobufReader.fields(nb) {
                if nf == 1, let cb = nv.bytes {
                    node.children.append(try reference(cb))
                } else if nf == 2, let ab = nv.bytes {
                    var name = "", full = "", key = ""
                    for (af, av) in try ProtobufReader.fields(ab) {
                        if af == 1 { name = av.string ?? "" }
                        if af == 2 { full = av.string ?? "" }
                        if af == 3 { key = av.string ?? "" }
                    }
                    if name == "VARIABLE_VALUE" { node.variable = (full, key) }
                }
            }
            nodes.append(node)
        }
        return try ObjectGraph(checked: nodes)
    }

    /// Decodes the `SavedObjectGraph` of the first meta graph of a serialized `SavedModel`.
    public static func savedModel(_ bytes: [UInt8]) throws -> ObjectGraph {
        for (f, v) in try ProtobufReader.fields(bytes) where f == 2 {
            guard let mg = v.bytes else { throw ProtobufError("meta graph is not a message") }
            for (mf, mv) in try ProtobufReader.fields(mg) where mf == 7 {
                guard let og = mv.bytes else { throw ProtobufError("object graph is not a message") }
                var nodes: [ObjectGraphNode] = []
                for (of, ov) in try ProtobufReader.fields(og) where of == 1 {
                    guard let nb = ov.bytes else { throw ProtobufError("saved object is not a message") }
                    var node = ObjectGraphNode(children: [], variable: nil, savedVariableName: nil)
                    for (nf, nv) in try ProtobufReader.fields(nb) {
                        if nf == 1, let cb = nv.bytes { node.children.append(try reference(cb)) }
                        if nf == 7, let vb = nv.bytes {
                            node.savedVariableName = ""
                            for (vf, vv) in try ProtobufReader.fields(vb) where vf == 6 { node.savedVariableName = vv.string }
                        }
                    }
                    nodes.append(node)
                }
                return try ObjectGraph(checked: nodes)
            }
            throw ProtobufError("the meta graph has no object graph (a TF1 SavedModel?)")
        }
        throw ProtobufError("no meta graph")
    }

    private static func reference(_ b: [UInt8]) throws -> (id: Int, name: String) {
        var id = -1, name = ""
        for (f, v) in try ProtobufReader.fields(b) {
            if f == 1 { id = Int(truncatingIfNeeded: v.int64 ?? -1) }
            if f == 2 { name = v.string ?? "" }
        }
        return (id, name)
    }

    init(checked nodes: [ObjectGraphNode]) throws {
        guard !nodes.isEmpty else { throw ProtobufError("empty object graph") }
        for n in nodes {
            for c in n.children where c.id < 0 || c.id >= nodes.count {
                throw ProtobufError("child '\(c.name)' refers to node \(c.id) of \(nodes.count)")
            }
        }
        self.nodes = nodes
    }

    /// Edges that only duplicate other paths (Keras bookkeeping lists) and are not semantic.
    static let listEdges: Set<String> = ["variables", "trainable_variables", "non_trainable_variables",
                                         "trainable_weights", "non_trainable_weights", "weights",
                                         "keras_api", "signatures", "regularization_losses", "_default_save_signature",
                                         "layers", "submodules"]

    /// Longest path kept: Keras object paths are ~10 edges deep. Each path is its own array, so
    /// a hostile chain of n nodes would otherwise cost n²/2 strings (20,000 nodes: 3 GB).
    public static let maxPathDepth = 64

    /// For every node, the shortest path of edge names from the root (node 0) that avoids Keras's
    /// duplicate bookkeeping lists; breadth-first, children in stored order. Nodes deeper than
    /// ``maxPathDepth`` get no path.
    public func semanticPaths() -> [Int: [String]] {
        var paths: [Int: [String]] = [0: []]
        var queue = [0]
        var head = 0
        while head < queue.count {
            let id = queue[head]
            head += 1
            guard let path = paths[id], path.count < Self.maxPathDepth else { continue }
            for c in nodes[id].children where paths[c.id] == nil && !Self.listEdges.contains(c.name) {
                paths[c.id] = path + [c.name]
                queue.append(c.id)
            }
        }
        return paths
    }
}
