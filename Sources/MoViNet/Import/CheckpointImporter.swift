// Imports MoViNet weights from a TF checkpoint (prefix, `.index`, or its folder) or a SavedModel folder.

import Foundation

public enum CheckpointImporter {
    public static let objectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH"
    static let attributeSuffix = "/.ATTRIBUTES/VARIABLE_VALUE"

    /// What `path` names: a checkpoint prefix and, for a SavedModel, its `saved_model.pb`.
    public struct Location: Sendable, Equatable {
        public var prefix: String
        public var savedModelProto: String?
    }

    public static func load(path: String) throws -> ImportedModel {
        let loc = try locate(path)
        let reader = try BundleReader(prefix: loc.prefix)
        let variables = try variables(reader: reader, location: loc)
        let (tensors, isStream) = try CheckpointMapping.canonicalTensors(variables, source: path)
        var flavour: Flavour = isStream ? .stream : .base
        // A SavedModel's graph shows which gate formula it computes (Model Garden code decides for checkpoints).
        if let pb = loc.savedModelProto, let data = FileManager.default.contents(atPath: pb) {
            do {
                if let gate = try SavedModelGraph.gate(savedModel: [UInt8](data)) { flavour.gate = gate }
            } catch let e as ProtobufError {
                throw ModelError(pb, "bad SavedModel graph: \(e.message)")
            }
        }
        return ImportedModel(source: path, format: loc.savedModelProto == nil ? .checkpoint : .savedModel,
                             tensors: tensors, flavour: flavour)
    }

    /// Resolves a checkpoint prefix, `<prefix>.index`, `<prefix>.data-…`, a folder holding one
    /// checkpoint (or a `checkpoint` state file naming it), or a SavedModel folder.
    public static func locate(_ path: String) throws -> Location {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
        if exists && isDir.boolValue {
            let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
            if fm.fileExists(atPath: dir + "/saved_model.pb") {
                let prefix = dir + "/variables/variables"
                guard fm.fileExists(atPath: prefix + ".index") else {
                    throw ModelError(path, "SavedModel folder without variables/variables.index")
                }
                return Location(prefix: prefix, savedModelProto: dir + "/saved_model.pb")
            }
            if fm.fileExists(atPath: dir + "/saved_model.pbtxt") {
                throw ModelError(path, "text SavedModels (saved_model.pbtxt) are not supported")
            }
            if let state = fm.contents(atPath: dir + "/checkpoint"), let name = latestCheckpoint(state) {
                let prefix = name.hasPrefix("/") ? name : dir + "/" + name
                if fm.fileExists(atPath: prefix + ".index") { return Location(prefix: prefix, savedModelProto: nil) }
            }
            let indexes = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".index") }.sorted()
            guard indexes.count == 1 else {
                throw ModelError(path, indexes.isEmpty
                    ? "no checkpoint (.index) or SavedModel (saved_model.pb) in this folder"
                    : "several checkpoints in this folder (\(indexes.joined(separator: ", "))); name one")
            }
            return Location(prefix: dir + "/" + String(indexes[0].dropLast(6)), savedModelProto: nil)
        }
        if path.hasSuffix(".index") && exists { return Location(prefix: String(path.dropLast(6)), savedModelProto: nil) }
        if let r = path.range(of: ".data-", options: .backwards), exists {
            return Location(prefix: String(path[..<r.lowerBound]), savedModelProto: nil)
        }
        if fm.fileExists(atPath: path + ".index") { return Location(prefix: path, savedModelProto: nil) }
        throw ModelError(path, exists ? "not a TF checkpoint or SavedModel" : "no such file, checkpoint prefix or folder")
    }

    /// `model_checkpoint_path: "ckpt-1"` from a `checkpoint` state file (a text proto).
    static func latestCheckpoint(_ data: Data) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("model_checkpoint_path:") else { continue }
            guard let a = l.firstIndex(of: "\""), let b = l.lastIndex(of: "\""), a < b else { return nil }
            return String(l[l.index(after: a)..<b])
        }
        return nil
    }

    /// Every non-bookkeeping tensor with its object path and Keras name.
    public static func variables(reader: BundleReader, location: Location) throws -> [CheckpointVariable] {
        var byKey: [String: (path: [String]?, name: String?)] = [:]
        if reader.entries[objectGraphKey] != nil {
            let strings = try reader.stringTensor(objectGraphKey)
            guard strings.count == 1 else {
                throw ModelError(reader.indexPath, "\(objectGraphKey) holds \(strings.count) strings, expected 1")
            }
            let graph: ObjectGraph
            do { graph = try ObjectGraph.trackable(strings[0]) } catch let e as ProtobufError {
                throw ModelError(reader.indexPath, "bad object graph: \(e.message)")
            }
            var savedNames: [Int: String] = [:]
            if let pb = location.savedModelProto {
                guard let data = FileManager.default.contents(atPath: pb) else { throw ModelError(pb, "cannot read") }
                let saved: ObjectGraph
                do { saved = try ObjectGraph.savedModel([UInt8](data)) } catch let e as ProtobufError {
                    throw ModelError(pb, "bad SavedModel: \(e.message)")
                }
                for (i, n) in saved.nodes.enumerated() { if let s = n.savedVariableName, !s.isEmpty { savedNames[i] = s } }
            }
            let paths = graph.semanticPaths()
            for (i, node) in graph.nodes.enumerated() {
                guard let v = node.variable, !v.checkpointKey.isEmpty else { continue }
                var path = paths[i]
                if path == nil || path!.isEmpty { path = nil }
                // Model Garden keys are object paths already; SavedModel keys are positional.
                if v.checkpointKey.hasSuffix(attributeSuffix), !v.checkpointKey.hasPrefix("variables/") {
                    path = v.checkpointKey.dropLast(attributeSuffix.count).split(separator: "/").map(String.init)
                }
                let name = savedNames[i] ?? (v.fullName.isEmpty ? nil : v.fullName)
                byKey[v.checkpointKey] = (path, name)
            }
        }
        var out: [CheckpointVariable] = []
        for key in reader.entries.keys.sorted() where !CheckpointMapping.isBookkeeping(key) {
            let known = byKey[key]
            if reader.entries[objectGraphKey] != nil && known == nil {
                throw ModelError(reader.indexPath, "unknown variable '\(key)': not in the checkpoint's object graph")
            }
            // Name-based (TF1) checkpoints: the key is the variable name.
            let name = known?.name ?? (reader.entries[objectGraphKey] == nil ? key : nil)
            out.append(CheckpointVariable(checkpointKey: key, objectPath: known?.path, kerasName: name,
                                          tensor: try reader.floatTensor(key)))
        }
        return out
    }
}
