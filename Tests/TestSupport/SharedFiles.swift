// Finds the third-party test material in ../shared (or $MOVINET_SHARED) for the tests.

import Foundation

public enum SharedFiles {
    /// The shared folder: $MOVINET_SHARED, else ../shared beside the package root.
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["MOVINET_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The package root, found from this source file's location (Tests/TestSupport/…).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    public static var isCI: Bool {
        let ci = ProcessInfo.processInfo.environment["CI"] ?? ""
        return !ci.isEmpty && ci != "0" && ci.lowercased() != "false"
    }

    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "shared test file missing (required when CI is set): \(path)" }
    }

    /// The URL of `relative` inside the shared folder, or nil when it is absent and CI is not set
    /// (callers skip). When CI is set a missing file throws, so it fails the test instead.
    public static func url(_ relative: String) throws -> URL? {
        let url = root.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        if isCI { throw Missing(path: url.path) }
        return nil
    }
}
