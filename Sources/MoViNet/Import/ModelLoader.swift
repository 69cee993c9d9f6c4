// Opens a model file or folder by what it contains and hands it to the matching importer.

import Foundation

public enum ModelLoader {
    /// Loads a `.tflite` file, a TF checkpoint (prefix, `.index` file or folder holding one) or a
    /// SavedModel folder, and returns its tensors under the canonical names.
    public static func load(path: String) throws -> ImportedModel {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists && !isDir.boolValue {
            guard fm.isReadableFile(atPath: path) else { throw ModelError(path, "permission denied") }
            if try isTFLite(path) { return try TFLiteImporter.load(path: path) }
            if path.hasSuffix(".index") || path.contains(".data-") {
                return try CheckpointImporter.load(path: path)
            }
            throw ModelError(path, "not a model file (expected a .tflite file, a TF checkpoint or a SavedModel)")
        }
        if exists || fm.fileExists(atPath: path + ".index") {
            return try CheckpointImporter.load(path: path)
        }
        throw ModelError(path, "no such file or directory")
    }

    /// TFLite flatbuffers carry the identifier "TFL3" at bytes 4..<8.
    static func isTFLite(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelError(path, "cannot open") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8)) ?? Data()
        return head.count == 8 && head[4..<8] == Data("TFL3".utf8)
    }
}
