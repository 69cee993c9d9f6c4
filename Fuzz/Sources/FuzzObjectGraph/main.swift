// Fuzzes the protobuf wire reader and the object-graph decoders (TrackableObjectGraph, the
// SavedObjectGraph of a SavedModel) and their path building. First byte: which decoder.

import FuzzSupport
import MoViNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObjectGraph(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var r = ByteReader(Scratch.buffer(data, size))
    let which = r.u8()
    let bytes = [UInt8](r.rest())
    let graph = try? (which & 1 == 0 ? ObjectGraph.trackable(bytes) : ObjectGraph.savedModel(bytes))
    if let graph {
        let paths = graph.semanticPaths()
        precondition(paths[0] == [], "the root's path is empty")
        for (id, path) in paths { precondition(id >= 0 && id < graph.nodes.count && path.count <= graph.nodes.count) }
    }
    _ = try? ProtobufReader.fields(bytes)
    _ = try? ProtobufReader.packedVarints(bytes)
    return 0
}
