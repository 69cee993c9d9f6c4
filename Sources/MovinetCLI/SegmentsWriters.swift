// The output formats of `movinet segments` (text, jsonl, json, csv, srt, vtt) and the subtitle
// cues of `stream --every-frame --format srt|vtt`. Like RecordWriter, each input's output is a
// self-contained chunk; the document's header and footer wrap them.

import Foundation
import MoViNetKit

public struct SegmentWriter: Sendable {
    public let format: OutputFormat
    /// Whether class names come from a label list (`"labels": false` in JSON records otherwise).
    public let labels: Bool

    public init(format: OutputFormat, labels: Bool = true) {
        self.format = format
        self.labels = labels
    }

    public func header() -> String {
        switch format {
        case .json: return "[\n"
        case .csv: return CSVText.row(["file", "start", "end", "label", "index", "mean", "peak", "error", "warnings"])
        case .vtt: return "WEBVTT\n\n"
        case .text, .jsonl, .srt: return ""
        }
    }

    public func footer(inputs: Int) -> String {
        format == .json ? (inputs == 0 ? "]\n" : "\n]\n") : ""
    }

    /// Before the input's spans; `position` is its 0-based place in the output.
    public func inputStart(_ file: String, position: Int) -> String {
        switch format {
        case .json:
            return (position == 0 ? "" : ",\n") + "  {\"schema\":\(RecordWriter.schemaVersion),"
                + "\"file\":\(JSONText.string(file)),\"segments\":["
        default: return ""
        }
    }

    /// One span; `nth` counts the spans already written for this input (srt numbers cues from 1).
    public func span(_ s: Segment, file: String, nth: Int) -> String {
        switch format {
        case .text:
            // The file's line comes with its first span (or its end), so a failed input prints nothing.
            return (nth == 0 ? file + "\n" : "") + "  \(Self.clock(s.start))–\(Self.clock(s.end))  \(s.label)  \(String(format: "%.2f", s.mean))\n"
        case .jsonl:
            return "{\"schema\":\(RecordWriter.schemaVersion),\"file\":\(JSONText.string(file)),\(fields(s))\(labelsField)}\n"
        case .json:
            return (nth == 0 ? "\n" : ",\n") + "    {\(fields(s))}"
        case .csv:
            return CSVText.row([file, JSONText.seconds(s.start), JSONText.seconds(s.end), s.label, String(s.index),
                                JSONText.probability(s.mean), JSONText.probability(s.peak), "", csvWarnings([])])
        case .srt:
            return Subtitles.srtCue(number: nth + 1, start: s.start, end: s.end, text: cueText(s))
        case .vtt:
            return Subtitles.vttCue(start: s.start, end: s.end, text: cueText(s))
        }
    }

    /// After the input: its frame count, warnings, or the error that stopped it (after
    /// `spansWritten` spans). jsonl and csv give an input-level record only for an error or warnings.
    public func inputEnd(_ file: String, frames: Int?, error: String?, warnings: [String], spansWritten: Int) -> String {
        switch format {
        case .json:
            return (spansWritten > 0 ? "\n  ]" : "]") + (frames.map { ",\"frames\":\($0)" } ?? "")
                + ",\"warnings\":\(warningsJSON(warnings))\(labelsField)"
                + (error.map { ",\"error\":\(JSONText.string($0))" } ?? "") + "}"
        case .jsonl:
            guard error != nil || !warnings.isEmpty else { return "" }
            return "{\"schema\":\(RecordWriter.schemaVersion),\"file\":\(JSONText.string(file)),"
                + "\"warnings\":\(warningsJSON(warnings))\(labelsField)"
                + (error.map { ",\"error\":\(JSONText.string($0))" } ?? "") + "}\n"
        case .csv:
            guard error != nil || !warnings.isEmpty else { return "" }
            return CSVText.row([file, "", "", "", "", "", "", error ?? "", csvWarnings(warnings)])
        case .text:
            return error == nil && spansWritten == 0 ? file + "\n  (no spans)\n" : ""
        case .srt, .vtt:
            return ""
        }
    }

    private func cueText(_ s: Segment) -> String { "\(s.label) \(String(format: "%.2f", s.mean))" }

    private func fields(_ s: Segment) -> String {
        "\"start\":\(JSONText.seconds(s.start)),\"end\":\(JSONText.seconds(s.end)),\"label\":\(JSONText.string(s.label)),"
            + "\"index\":\(s.index),\"mean\":\(JSONText.probability(s.mean)),\"peak\":\(JSONText.probability(s.peak))"
    }

    private var labelsField: String { labels ? "" : ",\"labels\":false" }

    private func warningsJSON(_ warnings: [String]) -> String {
        "[" + warnings.map(JSONText.string).joined(separator: ",") + "]"
    }

    private func csvWarnings(_ warnings: [String]) -> String {
        (warnings + (labels ? [] : [RecordWriter.numberedLabelsWarning])).joined(separator: "; ")
    }

    /// `H:MM:SS.d`, e.g. `0:01:04.2`.
    public static func clock(_ t: Double) -> String {
        let tenths = Int((max(0, t) * 10).rounded())
        return String(format: "%d:%02d:%02d.%d", tenths / 36000, tenths / 600 % 60, tenths / 10 % 60, tenths % 10)
    }
}

/// SubRip and WebVTT cues.
public enum Subtitles {
    /// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT).
    public static func time(_ t: Double, separator: Character) -> String {
        let ms = Int((max(0, t) * 1000).rounded())
        return String(format: "%02d:%02d:%02d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60)
            + String(separator) + String(format: "%03d", ms % 1000)
    }

    public static func srtCue(number: Int, start: Double, end: Double, text: String) -> String {
        "\(number)\n\(time(start, separator: ",")) --> \(time(end, separator: ","))\n\(clean(text, markup: false))\n\n"
    }

    public static func vttCue(start: Double, end: Double, text: String) -> String {
        "\(time(start, separator: ".")) --> \(time(end, separator: "."))\n\(clean(text, markup: true))\n\n"
    }

    /// Cue text on one line, without what would end the cue (`-->`, a blank line); with `markup`
    /// (WebVTT, whose cue text has entities) `&` and `<` are escaped, else `<` becomes `‹` so that
    /// players do not take it for a tag.
    static func clean(_ text: String, markup: Bool) -> String {
        let line = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "-->", with: "->")
        return markup ? line.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            : line.replacingOccurrences(of: "<", with: "‹")
    }
}
