// Turns `--model`/`--labels` and the store options into a loaded model and its labels; any
// failure here is printed as one line and ends the run with status 3.

import ArgumentParser
import Foundation
import MoViNetKit
import MoViNet

public struct LoadedModel: Sendable {
    public let model: MoViNetModel
    public let labels: Labels
    /// The id or path the user named.
    public let name: String
}

public enum ModelResolution {
    /// The store configured from the options and the environment, reporting on stderr.
    public static func store(_ options: StoreOptions, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ModelStore {
        let dir = ModelStore.defaultCacheDir(option: options.cacheDir, environment: environment)
        let base = (options.modelBaseUrl ?? environment["MOVINET_MODEL_BASE_URL"]).flatMap { $0.isEmpty ? nil : URL(string: $0) }
        let timeout = environment["MOVINET_DOWNLOAD_TIMEOUT"].flatMap(TimeInterval.init) ?? 30
        let store = ModelStore(cacheDir: dir, baseURL: base, offline: options.offline, idleTimeout: timeout)
        store.report = { Diagnostics.shared.note($0) }
        store.reportProgress = { Diagnostics.shared.progress("movinet: " + $0) }
        return store
    }

    /// Loads the model and labels, or prints `movinet: <what>: <problem>` and throws ExitCode(3).
    public static func load(_ options: ModelOptions) throws -> LoadedModel {
        let store = store(options.store)
        do {
            return try loadOrThrow(options, store: store)
        } catch let error as ExitCode {
            throw error
        } catch {
            Diagnostics.shared.fatal("movinet: \(error)")
            throw ExitCode(ExitStatus.modelLoad.rawValue)
        }
    }

    static func loadOrThrow(_ options: ModelOptions, store: ModelStore) throws -> LoadedModel {
        let entry = Catalog.models.first { $0.id == options.model }
        let path: String
        if let entry {
            path = try store.resolve(entry)
        } else if FileManager.default.fileExists(atPath: options.model)
                    || FileManager.default.fileExists(atPath: options.model + ".index") {
            path = options.model
        } else {
            throw StoreError(options.model, "no such model id or file (ids: \(Catalog.models.map(\.id).joined(separator: ", ")))")
        }
        let model = try MoViNetModel(path: path)
        let labels: Labels
        if let labelPath = options.labels {
            labels = try Labels(path: labelPath)
            try labels.checkMatches(classes: model.info.numClasses, source: labelPath)
        } else if let labelId = entry?.labels, let labelEntry = Catalog.entry(labelId) {
            let labelPath = try store.resolve(labelEntry)
            labels = try Labels(path: labelPath)
            try labels.checkMatches(classes: model.info.numClasses, source: labelPath)
        } else if model.info.numClasses == 600 {
            do {
                labels = try Labels(path: try store.resolve(Catalog.kinetics600))
            } catch {
                Diagnostics.shared.warning("no label list (\(error)); printing class numbers")
                labels = .numbered(model.info.numClasses)
            }
        } else {
            labels = .numbered(model.info.numClasses)
        }
        return LoadedModel(model: model, labels: labels, name: options.model)
    }
}
