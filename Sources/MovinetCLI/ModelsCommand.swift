// `movinet models`: list, download, locate, verify and remove the official models in the cache.

import ArgumentParser
import Foundation
import MoViNetKit

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Manage the model cache (official MoViNet models and the Kinetics-600 labels).",
        subcommands: [List.self, Download.self, Path.self, Verify.self, Remove.self])

    /// Looks up an id, or fails with a usage error listing the ids.
    static func entry(_ id: String) throws -> CatalogEntry {
        guard let entry = Catalog.entry(id) else {
            throw ValidationError("unknown model id '\(id)' (ids: \(Catalog.all.map(\.id).joined(separator: ", ")))")
        }
        return entry
    }

    /// Runs `action` on every entry; a failure is one `movinet:` line on stderr (after
    /// `onFailure`), the others still run, and the command then exits with status 1.
    static func forEach(_ entries: [CatalogEntry], onFailure: (CatalogEntry) -> Void = { _ in },
                        _ action: (CatalogEntry) throws -> Void) throws {
        var failed = false
        for entry in entries {
            do {
                try action(entry)
            } catch {
                onFailure(entry)
                Diagnostics.shared.fatal("movinet: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(ExitStatus.someFailed.rawValue) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the model ids, what each is, and whether it is cached.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = ModelResolution.store(store)
            var out = ""
            for entry in Catalog.all {
                let size = store.cachedPath(entry) != nil ? store.storedSize(entry).map(ModelStore.megabytes) ?? "" : ""
                let status = size.isEmpty ? "-" : "cached \(size)"
                out += entry.id.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + status.padding(toLength: 18, withPad: " ", startingAt: 0) + entry.summary + "\n"
            }
            out += "cache: \(store.cacheDir)\n"
            StandardOutput.write(out)
        }
    }

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "download",
            abstract: "Download, verify and store models (and their labels); already stored ones are kept unless --force.")
        @Argument(help: "Model ids, or 'all'.") var ids: [String]
        @Flag(help: "Download again even when stored.") var force = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if ids.isEmpty { throw ValidationError("give a model id (see 'movinet models list') or 'all'") }
            for id in ids where id != "all" { _ = try ModelsCommand.entry(id) }
        }

        func run() throws {
            let store = ModelResolution.store(store)
            var entries: [CatalogEntry] = []
            for id in ids {
                let picked = id == "all" ? Catalog.all : [try ModelsCommand.entry(id)]
                for e in picked {
                    if !entries.contains(e) { entries.append(e) }
                    if let l = e.labels.flatMap(Catalog.entry), !entries.contains(l) { entries.append(l) }
                }
            }
            try ModelsCommand.forEach(entries) { entry in
                let path = force ? try store.download(entry) : try store.resolve(entry)
                Diagnostics.shared.clearProgress()
                StandardOutput.write(path + "\n")
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "path",
            abstract: "Print where a stored model is (status 1 if it is not stored).")
        @Argument(help: "Model id.") var id: String
        @OptionGroup var store: StoreOptions

        func validate() throws { _ = try ModelsCommand.entry(id) }

        func run() throws {
            let store = ModelResolution.store(store)
            let entry = try ModelsCommand.entry(id)
            guard let path = store.cachedPath(entry) else {
                Diagnostics.shared.fatal("movinet: \(id): not downloaded (run 'movinet models download \(id)')")
                throw ExitCode(ExitStatus.someFailed.rawValue)
            }
            StandardOutput.write(path + "\n")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check stored models again: size and SHA-256 where pinned, and that each loads as its architecture.")
        @Argument(help: "Model id (default: every stored one).") var id: String?
        @OptionGroup var store: StoreOptions

        func validate() throws { if let id { _ = try ModelsCommand.entry(id) } }

        func run() throws {
            let store = ModelResolution.store(store)
            let entries = try id.map { [try ModelsCommand.entry($0)] } ?? Catalog.all.filter { store.cachedPath($0) != nil }
            try ModelsCommand.forEach(entries, onFailure: { StandardOutput.write("\($0.id): FAILED\n") }) { entry in
                try store.verify(entry)
                StandardOutput.write("\(entry.id): ok\n")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Delete a stored model from the cache.")
        @Argument(help: "Model id.") var id: String
        @OptionGroup var store: StoreOptions

        func validate() throws { _ = try ModelsCommand.entry(id) }

        func run() throws {
            let store = ModelResolution.store(store)
            let entry = try ModelsCommand.entry(id)
            if try store.remove(entry) {
                Diagnostics.shared.note("removed \(store.folder(entry))")
            } else {
                Diagnostics.shared.note("\(id) was not stored")
            }
        }
    }
}
