// Turns a model id or path into a loaded network and chooses its labels: the logic behind
// `VideoClassifier(model:labels:)` and the CLI's `--model`/`--labels`.

import Foundation
import MoViNet

/// Resolving models and labels (store ids, paths, default label lists).
public enum ModelLoading {
    /// Loads `name`: a store id (downloaded if needed) or a path to a `.tflite` file, a TF
    /// checkpoint prefix or folder, or a SavedModel folder. Returns the model and its catalog entry
    /// (nil for a path).
    public static func loadModel(_ name: String, store: ModelStore) throws(MoViNetKitError)
        -> (MoViNetModel, CatalogEntry?) {
        let entry = Catalog.models.first { $0.id == name }
        let path: String
        do {
            if let entry {
                path = try store.resolve(entry)
            } else if FileManager.default.fileExists(atPath: name) || FileManager.default.fileExists(atPath: name + ".index") {
                path = name
            } else {
                throw MoViNetKitError.model(subject: name, problem:
                    "no such model id or file (ids: \(Catalog.models.map(\.id).joined(separator: ", ")))")
            }
            return (try MoViNetModel(path: path), entry)
        } catch {
            throw .model(error, subject: name)
        }
    }

    /// The labels for `model`: the file at `path` if given; else the entry's list from the store;
    /// else the model file's own list (TFLite metadata); else, for a 600-class model, the
    /// Kinetics-600 list from the store; else numbered classes, with the reason a caller should
    /// warn about.
    /// - Throws: ``MoViNetKitError/model(subject:problem:)`` when a named or catalogued list cannot be
    ///   read or does not match the model's class count.
    public static func labels(path: String?, entry: CatalogEntry?, model: MoViNetModel, store: ModelStore)
        throws(MoViNetKitError) -> (Labels, LabelSource) {
        let classes = model.info.numClasses
        do {
            if let path {
                let labels = try Labels(path: path)
                try labels.checkMatches(classes: classes, source: path)
                return (labels, .file(path))
            }
            if let id = entry?.labels, let labelEntry = Catalog.entry(id) {
                let file = try store.resolve(labelEntry)
                let labels = try Labels(path: file)
                try labels.checkMatches(classes: classes, source: file)
                return (labels, .store(id: id, path: file))
            }
        } catch {
            throw .model(error, subject: path ?? entry?.id ?? "labels")
        }
        if let own = model.embeddedLabels {
            if own.count == classes { return (Labels(names: own), .model) }
            return (.numbered(classes), .numbered(reason:
                "the model's own label list has \(own.count) names for \(classes) classes"))
        }
        if let problem = model.embeddedLabelsProblem {
            return (.numbered(classes), .numbered(reason: "the model's own label list cannot be read (\(problem))"))
        }
        if classes == 600 {
            do {
                let file = try store.resolve(Catalog.kinetics600)
                return (try Labels(path: file), .store(id: Catalog.kinetics600.id, path: file))
            } catch {
                return (.numbered(classes), .numbered(reason: "no label list (\(error))"))
            }
        }
        return (.numbered(classes), .numbered(reason:
            "the model has \(classes) classes and no label list (--labels FILE names them)"))
    }
}
