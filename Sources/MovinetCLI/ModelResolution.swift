// Turns `--model`/`--labels` and the store options into a VideoClassifier; any failure here is
// printed as one line and ends the run with status 3.

import ArgumentParser
import Foundation
import MoViNet
import MoViNetKit

public enum ModelResolution {
    /// The store configured from the options and the environment, reporting on stderr.
    public static func store(_ options: StoreOptions, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ModelStore {
        let base = options.modelBaseUrl.flatMap { $0.isEmpty ? nil : URL(string: $0) }
        let store = ModelStore.standard(cacheDir: options.cacheDir, baseURL: base, offline: options.offline,
                                        environment: environment)
        store.report = { Diagnostics.shared.note($0) }
        store.reportProgress = { Diagnostics.shared.progress("movinet: " + $0) }
        return store
    }

    /// Loads the model and its labels into a classifier with `options`, or prints
    /// `movinet: <what>: <problem>` and throws ExitCode(3). A missing default label list is a
    /// warning (classes are then printed as numbers).
    public static func classifier(_ model: ModelOptions, options: ClassifierOptions) throws -> VideoClassifier {
        do {
            let classifier = try VideoClassifier(model: model.model, labels: model.labels, options: options,
                                                 store: store(model.store))
            if case .numbered(let reason?) = classifier.labelSource {
                Diagnostics.shared.warning("\(reason); printing class numbers")
            }
            return classifier
        } catch {
            Diagnostics.shared.fatal("movinet: \(error)")
            throw ExitCode(ExitStatus.modelLoad.rawValue)
        }
    }
}
