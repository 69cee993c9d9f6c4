// The model store: a cache folder of official artifacts, each downloaded once into a staging
// folder, verified (size, SHA-256 where pinned, structure), and then renamed into place.

import Foundation
import MoViNet
import VideoDecoding

/// A store operation that failed: what it was about (an id, a path) and why.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The entry id or path concerned.
    public let subject: String
    /// One line saying what went wrong.
    public let problem: String
    /// An error about `subject`.
    public init(_ subject: String, _ problem: String) {
        self.subject = subject
        self.problem = problem
    }
    /// `"<subject>: <problem>"`.
    public var description: String { "\(subject): \(problem)" }
}

/// A cache folder of official artifacts: each is downloaded once (through a temporary file),
/// verified (size and SHA-256 where pinned, and a structural check), renamed into place, and reused.
public final class ModelStore: @unchecked Sendable {
    /// Loads a downloaded model file/prefix and throws if it is not the architecture the entry
    /// names (the default parses it with `ModelLoader` and builds it with `MoViNetModel`).
    public typealias StructuralCheck = @Sendable (_ entry: CatalogEntry, _ modelPath: String) throws -> Void

    /// The cache folder; each entry has its own folder inside.
    public let cacheDir: String
    /// A mirror to fetch every artifact from (`<baseURL>/<fileName>`) instead of the official URLs.
    public let baseURL: URL?
    /// Never use the network: a missing entry is an error.
    public let offline: Bool
    /// Seconds without data before a download fails.
    public let idleTimeout: TimeInterval
    /// Checks that a download is the model its entry names.
    public let structuralCheck: StructuralCheck
    /// Called with progress text during downloads (a line per step; redraws when a terminal).
    public var report: @Sendable (String) -> Void = { _ in }
    /// Called with a download's progress (bytes so far), often.
    public var reportProgress: @Sendable (String) -> Void = { _ in }

    /// A store on `cacheDir` (see ``standard(cacheDir:baseURL:offline:environment:)`` for the usual one).
    public init(cacheDir: String, baseURL: URL? = nil, offline: Bool = false, idleTimeout: TimeInterval = 30,
                structuralCheck: @escaping StructuralCheck = ModelStore.defaultStructuralCheck) {
        self.cacheDir = cacheDir
        self.baseURL = baseURL
        self.offline = offline
        self.idleTimeout = idleTimeout
        self.structuralCheck = structuralCheck
    }

    /// The store as the environment configures it: the cache folder from `cacheDir`, else
    /// `$MOVINET_CACHE`, `$XDG_CACHE_HOME/movinet` or `~/.cache/movinet`; the mirror from `baseURL`,
    /// else `$MOVINET_MODEL_BASE_URL`; the idle timeout from `$MOVINET_DOWNLOAD_TIMEOUT` (30 s).
    public static func standard(cacheDir: String? = nil, baseURL: URL? = nil, offline: Bool = false,
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        let dir = defaultCacheDir(option: cacheDir, environment: environment)
        let base = baseURL ?? environment["MOVINET_MODEL_BASE_URL"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
        let timeout = environment["MOVINET_DOWNLOAD_TIMEOUT"].flatMap(TimeInterval.init) ?? 30
        return ModelStore(cacheDir: dir, baseURL: base, offline: offline, idleTimeout: timeout)
    }

    /// `--cache-dir`, else `$MOVINET_CACHE`, else `$XDG_CACHE_HOME/movinet`, else `~/.cache/movinet`.
    public static func defaultCacheDir(option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["MOVINET_CACHE"], !env.isEmpty { return env }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/movinet" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/movinet"
    }

    /// Parses the model with the engine's importers and checks its architecture and kind against
    /// the entry (for label lists: 600 labels).
    public static func defaultStructuralCheck(_ entry: CatalogEntry, _ modelPath: String) throws {
        if entry.kind == nil {
            let labels = try Labels(path: modelPath)
            if labels.count != 600 { throw StoreError(modelPath, "expected 600 labels, found \(labels.count)") }
            return
        }
        let model = try MoViNetModel(path: modelPath)
        if let arch = entry.architecture, model.info.id != arch {
            throw StoreError(modelPath, "is a MoViNet-\(model.info.id.uppercased()), expected \(arch.uppercased())")
        }
        if let kind = entry.kind, model.info.kind != kind {
            throw StoreError(modelPath, "is a \(model.info.kind.rawValue) model, expected \(kind.rawValue)")
        }
    }

    // MARK: locations

    /// The folder that holds an entry once it is stored.
    public func folder(_ entry: CatalogEntry) -> String { cacheDir + "/" + entry.id }

    /// Where an entry is fetched from: its official URL, or `<base>/<fileName>` under an override.
    public func url(_ entry: CatalogEntry) -> URL? {
        if let baseURL { return baseURL.appendingPathComponent(entry.fileName) }
        return URL(string: entry.url)
    }

    /// The path to hand to the loader (file, checkpoint prefix or folder), if the entry is stored.
    public func cachedPath(_ entry: CatalogEntry) -> String? {
        let dir = folder(entry)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return nil }
        return modelPath(in: dir, entry: entry)
    }

    func modelPath(in dir: String, entry: CatalogEntry) -> String? {
        let fm = FileManager.default
        switch entry.packaging {
        case .file:
            let path = dir + "/" + entry.fileName
            return fm.fileExists(atPath: path) ? path : nil
        case .tarGz:
            guard let walker = fm.enumerator(atPath: dir) else { return nil }
            var found: [String] = []
            while let rel = walker.nextObject() as? String {
                if rel.hasSuffix(".index") { found.append(String(rel.dropLast(".index".count))) }
                if (rel as NSString).lastPathComponent == "saved_model.pb" {
                    found.append((rel as NSString).deletingLastPathComponent)
                }
            }
            return found.sorted().first.map { $0.isEmpty ? dir : dir + "/" + $0 }
        }
    }

    // MARK: operations

    /// The stored entry's path, downloading it first if needed (never with `offline`).
    public func resolve(_ entry: CatalogEntry) throws -> String {
        if let path = cachedPath(entry), quickCheck(entry, path: path) { return path }
        if offline {
            throw StoreError(entry.id, "not in the cache (\(cacheDir)) and --offline forbids downloading it")
        }
        return try download(entry)
    }

    /// Size check for pinned single files: cheap enough for every run.
    func quickCheck(_ entry: CatalogEntry, path: String) -> Bool {
        guard entry.packaging == .file, let size = entry.size else { return true }
        let actual = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue
        return actual == size
    }

    /// Downloads, verifies and installs an entry, replacing any stored copy. Nothing is left
    /// behind on failure.
    @discardableResult
    public func download(_ entry: CatalogEntry) throws -> String {
        guard !offline else { throw StoreError(entry.id, "--offline forbids downloading") }
        guard let url = url(entry) else { throw StoreError(entry.id, "bad URL '\(entry.url)'") }
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: cacheDir, withIntermediateDirectories: true) } catch {
            throw StoreError(cacheDir, "cannot create the cache folder: \(error.localizedDescription)")
        }
        let token = UUID().uuidString.prefix(8)
        let partial = "\(cacheDir)/.partial-\(entry.id)-\(token)"
        let staging = "\(cacheDir)/.staging-\(entry.id)-\(token)"
        defer {
            try? fm.removeItem(atPath: partial)
            try? fm.removeItem(atPath: staging)
        }
        let sizeText = entry.size.map { " (\(ModelStore.megabytes(Int64($0))))" } ?? ""
        report("downloading \(entry.id)\(sizeText) from \(url.absoluteString)")
        let reportProgress = self.reportProgress
        let id = entry.id
        let received: Int64
        do {
            received = try Downloader.fetch(url, to: partial, idleTimeout: idleTimeout) { got, expected in
                let total = expected.map { " of " + ModelStore.megabytes($0) } ?? ""
                reportProgress("downloading \(id): \(ModelStore.megabytes(got))\(total)")
            }
        } catch let error as DownloadError {
            throw StoreError(entry.id, error.description)
        }
        try verifyDigest(entry, file: partial, size: received)
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        switch entry.packaging {
        case .file:
            try fm.moveItem(atPath: partial, toPath: staging + "/" + entry.fileName)
        case .tarGz:
            do { try TarExtractor.extractTarGz(partial, into: staging) } catch let error as ArchiveError {
                throw StoreError(entry.id, "downloaded archive refused: \(error.problem)")
            }
        }
        guard let stagedPath = modelPath(in: staging, entry: entry) else {
            throw StoreError(entry.id, "the download holds no model (no checkpoint, SavedModel or \(entry.fileName))")
        }
        do { try structuralCheck(entry, stagedPath) } catch {
            throw StoreError(entry.id, "downloaded file is not a usable model: \(error)")
        }
        try install(staging: staging, entry: entry)
        guard let path = cachedPath(entry) else { throw StoreError(entry.id, "vanished after installing") }
        report("stored \(entry.id) in \(folder(entry))")
        return path
    }

    /// Atomically replaces the entry's folder with `staging` (rename(2) within the cache folder).
    func install(staging: String, entry: CatalogEntry) throws {
        let target = folder(entry)
        let fm = FileManager.default
        let old = target + ".old-" + UUID().uuidString.prefix(8)
        if fm.fileExists(atPath: target) { try fm.moveItem(atPath: target, toPath: old) }
        defer { try? fm.removeItem(atPath: old) }
        if rename(staging, target) != 0 {
            throw StoreError(entry.id, "cannot move the download into \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// Size and SHA-256 against the pins.
    func verifyDigest(_ entry: CatalogEntry, file: String, size: Int64) throws {
        if let pinned = entry.size, Int64(pinned) != size {
            throw StoreError(entry.id, "size mismatch: got \(size) bytes, expected \(pinned)")
        }
        if let pinned = entry.sha256 {
            let actual = try ModelStore.sha256(ofFile: file)
            if actual != pinned {
                throw StoreError(entry.id, "checksum mismatch: SHA-256 \(actual), expected \(pinned)")
            }
        }
    }

    /// Full verification of a stored entry: pins (single files) and the structural check.
    public func verify(_ entry: CatalogEntry) throws {
        guard let path = cachedPath(entry) else { throw StoreError(entry.id, "not in the cache") }
        if entry.packaging == .file {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value ?? -1
            try verifyDigest(entry, file: path, size: size)
        }
        do { try structuralCheck(entry, path) } catch {
            throw StoreError(entry.id, "not a usable model: \(error)")
        }
    }

    /// Deletes a stored entry; false if it was not stored.
    public func remove(_ entry: CatalogEntry) throws -> Bool {
        let dir = folder(entry)
        guard FileManager.default.fileExists(atPath: dir) else { return false }
        try FileManager.default.removeItem(atPath: dir)
        return true
    }

    /// Bytes used by a stored entry.
    public func storedSize(_ entry: CatalogEntry) -> Int64? {
        let dir = folder(entry)
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return nil }
        var total: Int64 = 0
        while let rel = walker.nextObject() as? String {
            if let n = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + rel))?[.size] as? NSNumber {
                total += n.int64Value
            }
        }
        return total
    }

    /// The SHA-256 of a file, lowercase hex.
    public static func sha256(ofFile path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else { throw StoreError(path, "cannot read") }
        defer { try? h.close() }
        let digest = SHA256()
        while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { digest.update($0) }
        }
        return SHA256.hex(digest.finalize())
    }

    /// "3.3 MB", or "8.1 kB" below a megabyte.
    public static func megabytes(_ bytes: Int64) -> String {
        bytes < 1_000_000 ? String(format: "%.1f kB", Double(bytes) / 1000)
                          : String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
