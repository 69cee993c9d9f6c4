// The output formats: CSV quoting, JSON validity (checked by Foundation's JSON parser), error
// records keeping machine output aligned with the inputs.

import Foundation
import XCTest

import MoViNet
import MovinetCLI
import MoViNetKit
import VideoDecoding

final class FormatTests: XCTestCase {
    let top = [RankedLabel(index: 3, label: "jumping jacks", probability: 0.9),
               RankedLabel(index: 7, label: "tai \"chi\", slow", probability: 0.05)]

    func result(_ logits: [Float] = []) -> Classification {
        Classification(frames: 13, windows: nil, top: top, probabilities: [], logits: logits)
    }

    func frame(_ index: Int, _ timestamp: Double, top: [RankedLabel], logits: [Float] = []) -> FramePrediction {
        FramePrediction(index: index, timestamp: timestamp, top: top, probabilities: [], logits: logits)
    }

    /// A whole document for three inputs, the second failed.
    func document(_ format: OutputFormat, perFrame: Bool = false, logits: Bool = false) -> String {
        let w = RecordWriter(format: format, topK: 2, perFrame: perFrame, logits: logits)
        var s = w.header()
        let files = ["a.gif", "bad,\"name\".mp4", "c\nd.mp4"]
        for (i, f) in files.enumerated() {
            s += w.inputStart(f, position: i)
            if i == 1 {
                s += w.inputEnd(f, result: nil, error: "not a video or GIF file", framesWritten: 0)
                continue
            }
            var written = 0
            if perFrame {
                for k in 0..<3 {
                    s += w.frame(frame(k, Double(k) / 5, top: top, logits: logits ? [1.5, -2, .nan] : []),
                                 file: f, nth: written)
                    written += 1
                }
            }
            s += w.inputEnd(f, result: perFrame ? nil : result(logits ? [1.5, -2, 0.25] : []),
                            error: nil, framesWritten: written)
        }
        return s + w.footer(inputs: files.count)
    }

    func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    func testCSVQuoting() {
        XCTAssertEqual(CSVText.field("plain"), "plain")
        XCTAssertEqual(CSVText.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVText.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVText.field("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVText.field("cr\rhere"), "\"cr\rhere\"")
        XCTAssertEqual(CSVText.field(" padded"), "\" padded\"")
        XCTAssertEqual(CSVText.row(["a", "b,c", ""]), "a,\"b,c\",\n")
    }

    func testFileNameBytesThatAreNotUTF8BecomeSurrogateEscapes() {
        let name = FileNames.decode(Array("caf".utf8) + [0xE9] + Array(".gif".utf8))
        XCTAssertEqual(JSONText.string(name), "\"caf\\udce9.gif\"")
        XCTAssertEqual(CSVText.field(name), name)   // raw in CSV: StandardOutput writes the byte itself
    }

    func testAMissingLabelListIsSaidInEveryJSONRecord() throws {
        let w = RecordWriter(format: .jsonl, topK: 1, perFrame: true, labels: false)
        let frameRecord = try json(w.frame(frame(0, 0, top: top), file: "a.gif", nth: 0)) as? [String: Any]
        XCTAssertEqual(frameRecord?["labels"] as? Bool, false)
        let input = RecordWriter(format: .jsonl, topK: 1, perFrame: false, labels: false)
        let record = try json(input.inputEnd("a.gif", result: result(), error: nil, framesWritten: 0)) as? [String: Any]
        XCTAssertEqual(record?["labels"] as? Bool, false)
    }

    func testJSONStringEscapingRoundTrips() throws {
        for s in ["plain", "quote \" and \\ backslash", "tab\there\nnewline", "\u{01}\u{1F}", "snow ☃ 🎬", "\u{2028}"] {
            let parsed = try json(JSONText.string(s)) as? String
            XCTAssertEqual(parsed, s)
        }
        XCTAssertEqual(JSONText.float(.nan), "null")
        XCTAssertEqual(JSONText.probability(0.5), "0.500000")
    }

    func testJSONLinesAreEachValidWithAnErrorRecord() throws {
        let lines = document(.jsonl, logits: true).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "")
        XCTAssertEqual(lines.count - 1, 3)
        let records = try lines.dropLast().map { try json(String($0)) as? [String: Any] }
        XCTAssertEqual(records.map { $0?["file"] as? String }, ["a.gif", "bad,\"name\".mp4", "c\nd.mp4"])
        XCTAssertEqual(records[1]?["error"] as? String, "not a video or GIF file")
        XCTAssertNil(records[1]?["top"])
        let firstTop = records[0]?["top"] as? [[String: Any]]
        XCTAssertEqual(firstTop?.first?["label"] as? String, "jumping jacks")
        XCTAssertEqual(firstTop?.first?["index"] as? Int, 3)
        XCTAssertEqual((firstTop?.first?["probability"] as? NSNumber)?.doubleValue ?? 0, 0.9, accuracy: 1e-6)
        XCTAssertEqual(records[0]?["frames"] as? Int, 13)
        XCTAssertEqual(records.map { $0?["schema"] as? Int }, [1, 1, 1])
        XCTAssertEqual(records[0]?["warnings"] as? [String], [])
        XCTAssertNil(records[0]?["labels"])
        XCTAssertEqual((records[0]?["logits"] as? [NSNumber])?.map(\.floatValue), [1.5, -2, 0.25])
    }

    func testJSONDocumentIsValid() throws {
        for perFrame in [false, true] {
            let doc = try json(document(.json, perFrame: perFrame, logits: true)) as? [[String: Any]]
            XCTAssertEqual(doc?.count, 3, "perFrame \(perFrame)")
            XCTAssertEqual(doc?[1]["error"] as? String, "not a video or GIF file")
            for record in doc ?? [] {
                XCTAssertEqual(record["schema"] as? Int, 1)
                XCTAssertNotNil(record["warnings"] as? [String])
            }
            if perFrame {
                let frames = doc?[0]["predictions"] as? [[String: Any]]
                XCTAssertEqual(frames?.count, 3)
                XCTAssertEqual(doc?[0]["frames"] as? Int, 3)
                XCTAssertEqual((frames?[2]["timestamp"] as? NSNumber)?.doubleValue ?? 0, 0.4, accuracy: 1e-9)
                XCTAssertTrue((frames?[0]["logits"] as? [Any])?[2] is NSNull)   // NaN → null
                XCTAssertEqual((doc?[1]["predictions"] as? [Any])?.count, 0)
                XCTAssertEqual(doc?[1]["frames"] as? Int, 0)
            }
        }
        XCTAssertNotNil(try json(RecordWriter(format: .json, topK: 1, perFrame: false).header()
                                 + RecordWriter(format: .json, topK: 1, perFrame: false).footer(inputs: 0)))
    }

    func testPerFrameJSONAfterAMidwayFailureStaysValid() throws {
        let w = RecordWriter(format: .json, topK: 1, perFrame: true)
        var s = w.header() + w.inputStart("x.mp4", position: 0)
        s += w.frame(frame(0, 0, top: top), file: "x.mp4", nth: 0)
        s += w.inputEnd("x.mp4", result: nil, error: "decode failed at frame 1", framesWritten: 1) + w.footer(inputs: 1)
        let doc = try json(s) as? [[String: Any]]
        XCTAssertEqual((doc?[0]["predictions"] as? [Any])?.count, 1)
        XCTAssertEqual(doc?[0]["frames"] as? Int, 1)
        XCTAssertEqual(doc?[0]["error"] as? String, "decode failed at frame 1")
    }

    func testCSVHasOneHeaderAndOneRowPerInput() throws {
        let text = document(.csv)
        let rows = try parseCSV(text)
        XCTAssertEqual(rows.first, ["file", "frames", "error", "warnings", "label_1", "probability_1", "label_2",
                                    "probability_2"])
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows[1], ["a.gif", "13", "", "", "jumping jacks", "0.900000", "tai \"chi\", slow", "0.050000"])
        XCTAssertEqual(rows[2], ["bad,\"name\".mp4", "", "not a video or GIF file", "", "", "", "", ""])
        XCTAssertEqual(rows[3][0], "c\nd.mp4")
        let perFrame = try parseCSV(document(.csv, perFrame: true))
        XCTAssertEqual(perFrame.first?.prefix(5), ["file", "frame", "timestamp", "error", "warnings"])
        XCTAssertEqual(perFrame.count, 1 + 3 + 1 + 3)
        XCTAssertTrue(perFrame.allSatisfy { $0.count == 9 })
        // Warnings go into their column, joined; per frame they close the input with a row of their own.
        let w = RecordWriter(format: .csv, topK: 1, perFrame: false)
        let warned = Classification(frames: 2, windows: nil, top: [top[0]], probabilities: [], logits: [],
                                    warnings: ["damaged video: 3 decode errors", "truncated?"])
        XCTAssertEqual(try parseCSV(w.inputEnd("x.mp4", result: warned, error: nil, framesWritten: 0))[0],
                       ["x.mp4", "2", "", "damaged video: 3 decode errors; truncated?", "jumping jacks", "0.900000"])
        let f = RecordWriter(format: .csv, topK: 1, perFrame: true)
        XCTAssertEqual(try parseCSV(f.inputEnd("x.mp4", result: warned, error: nil, framesWritten: 2))[0],
                       ["x.mp4", "", "", "", "damaged video: 3 decode errors; truncated?", "", ""])
        XCTAssertEqual(f.inputEnd("y.mp4", result: result(), error: nil, framesWritten: 2), "")
    }

    func testTextFormat() {
        let w = RecordWriter(format: .text, topK: 2, perFrame: false)
        XCTAssertEqual(w.inputEnd("a.gif", result: result(), error: nil, framesWritten: 0),
                       "a.gif\n  0.900  jumping jacks\n  0.050  tai \"chi\", slow\n")
        XCTAssertEqual(w.inputEnd("b.gif", result: nil, error: "bad", framesWritten: 0), "")
        let f = RecordWriter(format: .text, topK: 1, perFrame: true)
        XCTAssertEqual(f.frame(frame(12, 2.4, top: [top[0]]), file: "a", nth: 0),
                       "    12     2.400s  jumping jacks 0.900\n")
    }

    func testRankAppliesTopKAndThreshold() {
        let labels = Labels(names: ["a", "b", "c", "d"])
        let p: [Float] = [0.1, 0.5, 0.05, 0.35]
        XCTAssertEqual(Inference.rank(p, labels: labels, k: 3, threshold: 0).map(\.label), ["b", "d", "a"])
        XCTAssertEqual(Inference.rank(p, labels: labels, k: 3, threshold: 0.3).map(\.label), ["b", "d"])
    }
}

/// A small RFC 4180 reader (quoted fields may hold commas, quotes and newlines).
func parseCSV(_ text: String) throws -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(field); field = "" }
        else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        else { field.append(c) }
    }
    XCTAssertFalse(quoted, "unterminated quote")
    XCTAssertTrue(row.isEmpty && field.isEmpty, "no final newline")
    return rows
}
