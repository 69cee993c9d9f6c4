// classify-folder [--model ID|PATH] [--labels PATH] FOLDER
//
// Classifies every video, GIF and .npy array in FOLDER (recursively, in sorted order) with
// MoViNetKit and prints one JSON line per file: {"file": …, "top": [{"label": …, "probability": …}, …]}
// or {"file": …, "error": …}. Exit status 0 if every file was classified, 1 if some failed, 2 for
// bad arguments, 3 if the model could not be loaded.

import Foundation
import MoViNetKit

struct Arguments {
    var model = "a0-stream-int8"
    var labels: String?
    var folder = ""

    init(_ args: [String]) throws {
        var rest = args[...]
        var folder: String?
        while let arg = rest.popFirst() {
            switch arg {
            case "--model", "--labels":
                guard let value = rest.popFirst() else { throw Usage("\(arg) needs a value") }
                if arg == "--model" { model = value } else { labels = value }
            case "-h", "--help":
                throw Usage("")
            default:
                if arg.hasPrefix("-") { throw Usage("unknown option \(arg)") }
                if folder != nil { throw Usage("give one folder") }
                folder = arg
            }
        }
        guard let folder else { throw Usage("give a folder") }
        self.folder = folder
    }
}

struct Usage: Error { let message: String; init(_ m: String) { message = m } }

/// A JSON line through Foundation's encoder.
func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("classify-folder: \(message)\n".utf8))
    exit(status)
}

let arguments: Arguments
do {
    arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch let usage as Usage {
    fail((usage.message.isEmpty ? "" : usage.message + "\n")
         + "usage: classify-folder [--model ID|PATH] [--labels PATH] FOLDER", status: 2)
}

let classifier: VideoClassifier
do {
    classifier = try VideoClassifier(model: arguments.model, labels: arguments.labels,
                                     options: ClassifierOptions(topK: 3))
} catch {
    fail("\(error)", status: 3)
}

/// Classifies the folder's files one after the other; false if some failed.
func classifyAll(in folder: String, with classifier: VideoClassifier) async -> Bool {
    var allGood = true
    for file in MediaFiles.find(under: folder) {
        do {
            let result = try await classifier.classify(URL(fileURLWithPath: file))
            let top = result.top.map {
                ["label": $0.label, "index": $0.index, "probability": Double($0.probability)] as [String: Any]
            }
            print(jsonLine(["file": file, "top": top]))
        } catch {
            allGood = false
            print(jsonLine(["file": file, "error": error.problem]))
        }
    }
    return allGood
}

exit(await classifyAll(in: arguments.folder, with: classifier) ? 0 : 1)
