// Class label lists: one label per line, line i naming logit i (the Kinetics-600 file format).

import Foundation

public struct Labels: Sendable, Equatable {
    /// names[i] is the label of logit i.
    public let names: [String]

    public init(names: [String]) { self.names = names }

    /// Parses label text: one label per line (LF, CRLF or CR line ends; a leading byte-order mark
    /// ignored), surrounding whitespace trimmed, trailing empty lines ignored. An empty line in
    /// the middle is an error (it would shift every later label).
    public init(text: String, source: String) throws {
        // By scalars, not Characters: Swift takes "\r\n" as one Character, which is not "\n".
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var lines: [String] = []
        var start = scalars.startIndex
        var index = start
        while index < scalars.endIndex {
            let scalar = scalars[index]
            guard scalar == "\n" || scalar == "\r" else {
                scalars.formIndex(after: &index)
                continue
            }
            lines.append(Self.trimmed(scalars[start..<index]))
            scalars.formIndex(after: &index)
            if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" {
                scalars.formIndex(after: &index)   // the LF of a CRLF: the CR ended the line
            }
            start = index
        }
        lines.append(Self.trimmed(scalars[start...]))
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        if lines.isEmpty { throw ModelError(source, "label file is empty") }
        if let blank = lines.firstIndex(where: { $0.isEmpty }) {
            throw ModelError(source, "label file has an empty line at line \(blank + 1)")
        }
        names = lines
    }

    /// A line without its leading and trailing white space (Unicode's White_Space property, the
    /// set Foundation's `.whitespacesAndNewlines` trims).
    private static func trimmed(_ line: Substring.UnicodeScalarView) -> String {
        guard let first = line.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = line.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(line[first...last])
    }

    /// Reads a label file (UTF-8 text).
    public init(path: String) throws {
        guard let bytes = FileBytes.read(path) else {
            throw ModelError(path, "cannot read label file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ModelError(path, "label file is not UTF-8 text")
        }
        try self.init(text: text, source: path)
    }

    /// Numbered placeholders ("class 0", "class 1", …) for a model without a label list.
    public static func numbered(_ count: Int) -> Labels {
        Labels(names: (0..<count).map { "class \($0)" })
    }

    public var count: Int { names.count }

    /// Checks that the list names every class of a model with `classes` outputs.
    public func checkMatches(classes: Int, source: String) throws {
        if names.count != classes {
            throw ModelError(source, "label file has \(names.count) labels but the model has \(classes) classes")
        }
    }
}
