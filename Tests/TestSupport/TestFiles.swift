// Test helpers shared by the test targets: temporary folders and archives written by an
// independent tool.

import Foundation
import XCTest

/// A fresh temporary folder removed when the test ends.
public func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Writes a .tar.gz with the given entries (names used verbatim, including `../`) using Python's
/// tarfile, an independent tar writer.
public func makeTarGz(_ url: URL, entries: [String: String], symlinks: [String: String] = [:]) throws {
    let spec = try JSONSerialization.data(withJSONObject: ["files": entries, "links": symlinks])
    let script = """
    import io, json, sys, tarfile
    spec = json.loads(sys.stdin.read())
    with tarfile.open(sys.argv[1], "w:gz") as t:
        for name, text in sorted(spec["files"].items()):
            data = text.encode(); info = tarfile.TarInfo(name); info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, target in sorted(spec["links"].items()):
            info = tarfile.TarInfo(name); info.type = tarfile.SYMTYPE; info.linkname = target
            t.addfile(info)
    """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, url.path]
    let input = Pipe()
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(spec)
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
        throw SharedFiles.Missing(path: "python3 (its tarfile module writes the test archives)")
    }
}
