// Renders results in the four output formats. Each input's output is a self-contained chunk
// (so parallel jobs can be printed in input order); the document's header and footer wrap them.
// JSON records follow one schema (README, "Output formats"), versioned by their "schema" field.

import Foundation
import MoViNetKit

public struct RecordWriter: Sendable {
    public let format: OutputFormat
    public let topK: Int
    /// One record per sampled frame (`stream --every-frame`) instead of one per input.
    public let perFrame: Bool
    /// Include the raw logits (json, jsonl).
    public let logits: Bool
    /// Whether class names come from a label list; false when the default list could not be had
    /// and classes are named by number (`"labels": false` in every JSON record, a warning in CSV).
    public let labels: Bool
    /// `stream --realtime`: records say how many sampled frames were skipped (`"skipped"`).
    public let realtime: Bool
    /// The arithmetic the model ran in (`int8`, `float`), in input records as `"precision"`.
    public let precision: String?

    /// The version of the JSON record layout, in every JSON record as `"schema"`. Version 1:
    /// `frames` is always the number of frames classified; per-frame lists are `predictions`.
    public static let schemaVersion = 1
    /// The CSV warning of a run without label names.
    static let numberedLabelsWarning = "no label list: classes are numbered"

    public init(format: OutputFormat, topK: Int, perFrame: Bool, logits: Bool = false, labels: Bool = true,
                realtime: Bool = false, precision: String? = nil) {
        self.realtime = realtime
        self.precision = precision
        self.format = format
        self.topK = topK
        self.perFrame = perFrame
        self.logits = logits
        self.labels = labels
    }

    // MARK: document

    public func header() -> String {
        switch format {
        case .json: return "[\n"
        case .csv:
            var columns = perFrame ? ["file", "frame", "timestamp"] : ["file", "frames"]
            if realtime { columns.append("skipped") }
            columns += ["error", "warnings"]
            for r in 1...topK { columns += ["label_\(r)", "probability_\(r)"] }
            return CSVText.row(columns)
        case .text, .jsonl, .srt, .vtt: return ""
        }
    }

    public func footer(inputs: Int) -> String {
        switch format {
        case .json: return inputs == 0 ? "]\n" : "\n]\n"
        default: return ""
        }
    }

    /// Before the input's records; `position` is its 0-based place in the output.
    public func inputStart(_ file: String, position: Int) -> String {
        let separator = position == 0 ? "" : ",\n"
        switch (format, perFrame) {
        case (.json, true): return separator + "{\(schemaField)\"file\":\(JSONText.string(file)),\"predictions\":["
        case (.json, false): return separator
        case (.text, true): return (position == 0 ? "" : "\n") + file + "\n"
        default: return ""
        }
    }

    /// One frame's record (`perFrame` only); `nth` counts the frames already written for this input.
    public func frame(_ r: FramePrediction, file: String, nth: Int) -> String {
        switch format {
        case .text:
            let labels = r.top.map { "\($0.label) \(String(format: "%.3f", $0.probability))" }.joined(separator: ", ")
            let skipped = realtime && r.skipped > 0 ? "  (\(r.skipped) skipped before)" : ""
            return String(format: "%6d %9.3fs  ", r.index, r.timestamp) + labels + skipped + "\n"
        case .jsonl:
            return "{\(schemaField)\"file\":\(JSONText.string(file)),\(frameFields(r))\(labelsField)}\n"
        case .json:
            return (nth == 0 ? "" : ",") + "\n  {\(frameFields(r))}"
        case .csv:
            return CSVText.row([file, String(r.index), JSONText.seconds(r.timestamp)]
                               + (realtime ? [String(r.skipped)] : []) + ["", csvWarnings([])] + csvLabels(r.top))

        case .srt, .vtt:   // subtitles are written by SubtitleFrames, not as records
            return ""
        }
    }

    /// After the input: its result, or the error that stopped it (`framesWritten` frames were
    /// written before it in per-frame mode). `warnings` (default: the result's) go into the
    /// machine formats' records; in per-frame mode an input-level record closes the input when
    /// it failed or has warnings.
    public func inputEnd(_ file: String, result: Classification?, error: String?, framesWritten: Int,
                         warnings: [String]? = nil) -> String {
        let warnings = warnings ?? result?.warnings ?? []
        if perFrame {
            switch format {
            case .json:
                let close = framesWritten > 0 ? "\n]" : "]"
                return close + ",\"frames\":\(framesWritten)" + skippedField(result)
                    + ",\"warnings\":\(warningsJSON(warnings))" + labelsField
                    + (error.map { ",\"error\":\(JSONText.string($0))" } ?? "") + "}"
            case .jsonl:
                guard error != nil || !warnings.isEmpty else { return "" }
                return "{\(schemaField)\"file\":\(JSONText.string(file)),\"frames\":\(framesWritten)"
                    + skippedField(result) + ",\"warnings\":\(warningsJSON(warnings))\(labelsField)"
                    + (error.map { ",\"error\":\(JSONText.string($0))" } ?? "") + "}\n"
            case .csv:
                guard error != nil || !warnings.isEmpty else { return "" }
                return CSVText.row([file, "", ""] + (realtime ? [result.map { String($0.skipped) } ?? ""] : [])
                                   + [error ?? "", csvWarnings(warnings)] + csvLabels([]))
            case .text, .srt, .vtt:
                return ""
            }
        }
        switch format {
        case .srt, .vtt:
            return ""
        case .text:
            guard let result else { return "" }
            var out = file + "\n"
            for r in result.top { out += String(format: "  %.3f  ", r.probability) + r.label + "\n" }
            return out
        case .jsonl:
            return "{\(inputFields(file, result: result, error: error, warnings: warnings))}\n"
        case .json:
            return "  {\(inputFields(file, result: result, error: error, warnings: warnings))}"
        case .csv:
            guard let result else {
                return CSVText.row([file, ""] + (realtime ? [""] : []) + [error ?? "", csvWarnings(warnings)]
                                   + csvLabels([]))
            }
            return CSVText.row([file, String(result.frames)] + (realtime ? [String(result.skipped)] : [])
                               + ["", csvWarnings(warnings)] + csvLabels(result.top))
        }
    }

    // MARK: pieces

    private func topJSON(_ top: [RankedLabel]) -> String {
        "[" + top.map {
            "{\"label\":\(JSONText.string($0.label)),\"index\":\($0.index),\"probability\":\(JSONText.probability($0.probability))}"
        }.joined(separator: ",") + "]"
    }

    private func logitsJSON(_ logits: [Float]) -> String {
        "[" + logits.map(JSONText.float).joined(separator: ",") + "]"
    }

    /// `,"skipped":n` (`--realtime` only): the input's sampled frames skipped to keep up.
    private func skippedField(_ result: Classification?) -> String {
        guard realtime, let result else { return "" }
        return ",\"skipped\":\(result.skipped)"
    }

    private var schemaField: String { "\"schema\":\(Self.schemaVersion)," }
    private var labelsField: String { labels ? "" : ",\"labels\":false" }

    private func warningsJSON(_ warnings: [String]) -> String {
        "[" + warnings.map(JSONText.string).joined(separator: ",") + "]"
    }

    private func csvWarnings(_ warnings: [String]) -> String {
        (warnings + (labels ? [] : [Self.numberedLabelsWarning])).joined(separator: "; ")
    }

    private func frameFields(_ r: FramePrediction) -> String {
        var s = "\"frame\":\(r.index),\"timestamp\":\(JSONText.seconds(r.timestamp))"
        if realtime { s += ",\"skipped\":\(r.skipped)" }
        s += ",\"top\":\(topJSON(r.top))"
        if logits { s += ",\"logits\":\(logitsJSON(r.logits))" }
        return s
    }

    private func inputFields(_ file: String, result: Classification?, error: String?, warnings: [String]) -> String {
        var s = schemaField + "\"file\":\(JSONText.string(file))"
        if let result {
            s += ",\"frames\":\(result.frames)" + skippedField(result)
            if let w = result.windows { s += ",\"windows\":\(w)" }
            if let precision { s += ",\"precision\":\(JSONText.string(precision))" }
            s += ",\"top\":\(topJSON(result.top))"
            if logits { s += ",\"logits\":\(logitsJSON(result.logits))" }
        }
        s += ",\"warnings\":\(warningsJSON(warnings))" + labelsField
        if let error { s += ",\"error\":\(JSONText.string(error))" }
        return s
    }

    private func csvLabels(_ top: [RankedLabel]) -> [String] {
        (0..<topK).flatMap { i in
            i < top.count ? [top[i].label, JSONText.probability(top[i].probability)] : ["", ""]
        }
    }
}
