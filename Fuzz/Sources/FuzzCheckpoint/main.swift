// Fuzzes the TF checkpoint reader: SSTable index, bundle entries, the object graph, the weight
// mapping and the built network. Input: u32 length of the `.index`, the `.index`, then the data shard.

import FuzzSupport
import MoViNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var r = ByteReader(Scratch.buffer(data, size))
    let indexLength = Int(r.u32())
    Scratch.write(r.take(indexLength), to: "ckpt.index")
    Scratch.write(r.rest(), to: "ckpt.data-00000-of-00001")
    let prefix = Scratch.folder + "/ckpt"
    if let reader = try? BundleReader(prefix: prefix) {
        for key in reader.entries.keys.sorted() {
            if reader.entries[key]?.dtype == .string { _ = try? reader.stringTensor(key) }
            else { _ = try? reader.floatTensor(key) }
        }
    }
    if let imported = try? CheckpointImporter.load(path: prefix) { _ = try? MoViNetModel(imported) }
    return 0
}
