// JSON string/number and CSV field encoding for the machine-readable output formats.

import Foundation
import VideoDecoding

public enum JSONText {
    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. A
    /// file name byte that is not UTF-8 (see `FileNames`) is written as `\udcXX`, the lone
    /// surrogate Python's `surrogateescape` uses for byte XX: valid JSON text that
    /// `os.fsencode(json.loads(…))` turns back into the name's bytes.
    public static func string(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if let byte = FileNames.escapedByte(scalar) {
                    out += String(format: "\\udc%02x", byte)
                } else if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A probability with six decimals; non-finite values become `null`.
    public static func probability(_ x: Float) -> String {
        x.isFinite ? String(format: "%.6f", Double(x)) : "null"
    }

    /// The shortest decimal that reads back as the same Float; non-finite values become `null`.
    public static func float(_ x: Float) -> String {
        x.isFinite ? "\(x)" : "null"
    }

    public static func seconds(_ t: Double) -> String {
        t.isFinite ? String(format: "%.3f", t) : "null"
    }
}

public enum CSVText {
    /// A CSV field (RFC 4180): quoted when it holds a comma, quote, CR, LF or edge spaces;
    /// quotes doubled.
    public static func field(_ s: String) -> String {
        let needsQuotes = s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            || s.hasPrefix(" ") || s.hasSuffix(" ")
        guard needsQuotes else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
