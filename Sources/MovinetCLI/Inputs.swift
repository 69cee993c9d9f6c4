// Turns the command line's inputs into the ordered list of things to classify: files, folders
// (recursively, media recognised by content), `-` (paths on standard input) and URLs.

import Foundation
import MoViNetKit

public enum Inputs {
    /// Expands `arguments` in order. Folders contribute their media files (recognised by content,
    /// hidden entries skipped) sorted by path; `-` is replaced by the non-empty lines of `stdin`,
    /// each expanded the same way. Files named explicitly are kept even when they are not media
    /// (or missing), so that they get an error record in the output.
    public static func expand(_ arguments: [String], stdin: () -> String = readStandardInput) -> [String] {
        var out: [String] = []
        for argument in arguments {
            if argument == "-" {
                for line in stdin().split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                    let path = String(line).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                    if !path.isEmpty { out += expandOne(path) }
                }
            } else {
                out += expandOne(argument)
            }
        }
        return out
    }

    static func expandOne(_ argument: String) -> [String] {
        if MediaFiles.isURL(argument) { return [argument] }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDir), isDir.boolValue {
            return MediaFiles.find(under: argument)
        }
        return [argument]
    }

    public static func readStandardInput() -> String {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }
}
