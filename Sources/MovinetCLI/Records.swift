// Renders results in the four output formats. Each input's output is a self-contained chunk
// (so parallel jobs can be printed in input order); the document's header and footer wrap them.

import Foundation
import MoViNetKit

public struct RecordWriter: Sendable {
    public let format: OutputFormat
    public let topK: Int
    /// One record per sampled frame (`stream --every-frame`) instead of one per input.
    public let perFrame: Bool
    /// Include the raw logits (json, jsonl).
    public let logits: Bool

    public init(format: OutputFormat, topK: Int, perFrame: Bool, logits: Bool = false) {
        self.format = format
        self.topK = topK
        self.perFrame = perFrame
        self.logits = logits
    }

    // MARK: document

    public func header() -> String {
        switch format {
        case .json: return "[\n"
        case .csv:
            var columns = perFrame ? ["file", "frame", "timestamp"] : ["file", "frames"]
            columns.append("error")
            for r in 1...topK { columns += ["label_\(r)", "probability_\(r)"] }
            return CSVText.row(columns)
        case .text, .jsonl: return ""
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
        case (.json, true): return separator + "{\"file\":\(JSONText.string(file)),\"frames\":["
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
            return String(format: "%6d %9.3fs  ", r.index, r.timestamp) + labels + "\n"
        case .jsonl:
            return "{\"file\":\(JSONText.string(file)),\(frameFields(r))}\n"
        case .json:
            return (nth == 0 ? "" : ",") + "\n  {\(frameFields(r))}"
        case .csv:
            return CSVText.row([file, String(r.index), JSONText.seconds(r.timestamp), ""] + csvLabels(r.top))
        }
    }

    /// After the input: its result, or the error that stopped it (`framesWritten` frames were
    /// written before it in per-frame mode).
    public func inputEnd(_ file: String, result: Classification?, error: String?, framesWritten: Int) -> String {
        if perFrame {
            switch format {
            case .json:
                let close = framesWritten > 0 ? "\n]" : "]"
                return close + (error.map { ",\"error\":\(JSONText.string($0))" } ?? "") + "}"
            case .jsonl:
                return error.map { "{\"file\":\(JSONText.string(file)),\"error\":\(JSONText.string($0))}\n" } ?? ""
            case .csv:
                return error.map { CSVText.row([file, "", "", $0] + csvLabels([])) } ?? ""
            case .text:
                return ""
            }
        }
        switch format {
        case .text:
            guard let result else { return "" }
            var out = file + "\n"
            for r in result.top { out += String(format: "  %.3f  ", r.probability) + r.label + "\n" }
            return out
        case .jsonl:
            return "{\(inputFields(file, result: result, error: error))}\n"
        case .json:
            return "  {\(inputFields(file, result: result, error: error))}"
        case .csv:
            guard let result else { return CSVText.row([file, "", error ?? ""] + csvLabels([])) }
            return CSVText.row([file, String(result.frames), ""] + csvLabels(result.top))
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

    private func frameFields(_ r: FramePrediction) -> String {
        var s = "\"frame\":\(r.index),\"timestamp\":\(JSONText.seconds(r.timestamp)),\"top\":\(topJSON(r.top))"
        if logits { s += ",\"logits\":\(logitsJSON(r.logits))" }
        return s
    }

    private func inputFields(_ file: String, result: Classification?, error: String?) -> String {
        var s = "\"file\":\(JSONText.string(file))"
        if let result {
            s += ",\"frames\":\(result.frames)"
            if let w = result.windows { s += ",\"windows\":\(w)" }
            s += ",\"top\":\(topJSON(result.top))"
            if logits { s += ",\"logits\":\(logitsJSON(result.logits))" }
        }
        if let error { s += ",\"error\":\(JSONText.string(error))" }
        return s
    }

    private func csvLabels(_ top: [RankedLabel]) -> [String] {
        (0..<topK).flatMap { i in
            i < top.count ? [top[i].label, JSONText.probability(top[i].probability)] : ["", ""]
        }
    }
}
