// Fuzzes the SavedModel importer: the input is `saved_model.pb`, beside the committed tiny stream
// fixture's `variables/` (so that the object graph, the gate reading and the mapping all run).

import Foundation
import FuzzSupport
import MoViNet

enum SavedModelFolder {
    /// `savedmodel/` in the scratch folder, with the fixture's variables copied in once.
    static let path: String = {
        let dir = Scratch.folder + "/savedmodel"
        let fm = FileManager.default
        try? fm.createDirectory(atPath: dir + "/variables", withIntermediateDirectories: true)
        let fixture = Scratch.repository + "/Tests/MoViNetTests/Fixtures/tf/tiny-stream/savedmodel/variables/"
        for name in ["variables.index", "variables.data-00000-of-00001"] {
            try? fm.removeItem(atPath: dir + "/variables/" + name)
            do { try fm.copyItem(atPath: fixture + name, toPath: dir + "/variables/" + name) }
            catch { fatalError("FuzzSavedModel needs \(fixture + name): \(error)") }
        }
        return dir
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSavedModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = Scratch.buffer(data, size)
    _ = try? SavedModelGraph.gate(savedModel: [UInt8](input))
    _ = SavedModelFolder.path
    Scratch.write(input, to: "savedmodel/saved_model.pb")
    if let imported = try? ModelLoader.load(path: SavedModelFolder.path) { _ = try? MoViNetModel(imported) }
    return 0
}
