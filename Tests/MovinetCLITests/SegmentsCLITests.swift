// `movinet segments` and `stream --every-frame --format srt|vtt` through the built binary: the
// spans of the three shared samples glued together, subtitles read back by FFmpeg's parsers, the
// plot with its shaded spans, failed inputs in a batch, and the usage errors.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

import TestSupport

final class SegmentsCLITests: XCTestCase {
    var model: [String] = []

    override func setUpWithError() throws {
        guard let m = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let l = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no shared model") }
        model = ["--model", m.path, "--labels", l.path, "--threads", "1"]
    }

    func clip() throws -> (path: String, cuts: [Double]) {
        guard let made = try GluedClip.shared() else { throw XCTSkip("no shared samples") }
        return made
    }

    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no sample \(name)") }
        return url.path
    }

    func objects(_ jsonl: String) throws -> [[String: Any]] {
        try jsonl.split(separator: "\n").map {
            let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return try XCTUnwrap(o, "not an object: \($0)")
        }
    }

    /// The done-when check, through the CLI: in order, spans of the three actions, each
    /// boundary within 1.0 s of the true cut (see GluedSegmentsTests for the tolerance), no other
    /// span longer than 1 s.
    func testJSONLinesGiveTheThreeActionsInOrder() throws {
        let (path, cuts) = try clip()
        let r = try Binary.run(["segments", "--format", "jsonl"] + model + [path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let spans = try objects(r.stdout)
        XCTAssertTrue(spans.allSatisfy { Set($0.keys) == ["schema", "file", "start", "end", "label", "index", "mean", "peak"] })
        let longest = GluedClip.labels.map { label in
            spans.filter { $0["label"] as? String == label }
                .max { ($0["end"] as! Double) - ($0["start"] as! Double) < ($1["end"] as! Double) - ($1["start"] as! Double) }
        }
        let main = longest.compactMap { $0 }
        XCTAssertEqual(main.map { $0["label"] as? String }, GluedClip.labels, r.stdout)
        guard main.count == 3 else { return }
        let starts = main.map { $0["start"] as! Double }, ends = main.map { $0["end"] as! Double }
        XCTAssertEqual(starts, starts.sorted())
        for (time, cut) in [(ends[0], cuts[1]), (starts[1], cuts[1]), (ends[1], cuts[2]), (starts[2], cuts[2])] {
            XCTAssertEqual(time, cut, accuracy: 1.0, r.stdout)
        }
        // Printed in start order; nothing else lasts more than 1 s.
        let all = spans.map { $0["start"] as! Double }
        XCTAssertEqual(all, all.sorted())
        XCTAssertEqual(spans.filter { ($0["end"] as! Double) - ($0["start"] as! Double) > 1.0 }.count, 3, r.stdout)
    }

    /// SRT read back by FFmpeg's SubRip demuxer and decoder gives the same cues; the plot drawn in
    /// the same run shades the spans.
    func testSRTParsesInFFmpegAndThePlotShadesTheSpans() throws {
        let (path, _) = try clip()
        let dir = try temporaryDirectory(self)
        let svg = dir.appendingPathComponent("plot.svg")
        let r = try Binary.run(["segments", "--format", "srt", "--plot", svg.path] + model + [path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let srt = dir.appendingPathComponent("clip.srt")
        try r.stdout.write(to: srt, atomically: true, encoding: .utf8)
        let cues = r.stdout.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(cues.count, 3, r.stdout)
        XCTAssertTrue(cues[0].hasPrefix("1\n00:00:0") && cues[0].contains(" --> ") && cues[0].contains("jumping jacks"),
                      cues[0])
        let back = String(decoding: try Tools.check("ffmpeg", ["-nostdin", "-v", "error", "-i", srt.path, "-f", "srt", "-"]),
                          as: UTF8.self)
        XCTAssertEqual(back, r.stdout, "FFmpeg's SubRip parser reads the same cues back")
        let picture = try String(contentsOf: svg, encoding: .utf8)
        let parser = XMLParser(data: Data(picture.utf8))
        XCTAssertTrue(parser.parse())
        XCTAssertEqual(picture.components(separatedBy: "fill-opacity=\"0.13\"").count - 1, 3, "one band per span")
        for label in GluedClip.labels { XCTAssertTrue(picture.contains(">\(label)</text></svg>"), label) }
        XCTAssertTrue(picture.contains(">time (m:ss)<") && picture.contains(">0:10<"))
    }

    func testVTTStartsWithTheHeaderAndParsesInFFmpeg() throws {
        let (path, _) = try clip()
        let r = try Binary.run(["segments", "--format", "vtt", "--duration", "7"] + model + [path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("WEBVTT\n\n"), r.stdout)
        let vtt = try temporaryDirectory(self).appendingPathComponent("clip.vtt")
        try r.stdout.write(to: vtt, atomically: true, encoding: .utf8)
        let probe = String(decoding: try Tools.check("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name",
                                                                 "-of", "csv=p=0", vtt.path]), as: UTF8.self)
        XCTAssertEqual(probe, "webvtt\n")
        let back = String(decoding: try Tools.check("ffmpeg", ["-nostdin", "-v", "error", "-i", vtt.path, "-f", "webvtt", "-"]),
                          as: UTF8.self)
        let labels = { (s: String) in s.split(separator: "\n").filter { !$0.contains("-->") && $0 != "WEBVTT" } }
        XCTAssertEqual(labels(back), labels(r.stdout))
        XCTAssertEqual(labels(r.stdout).map { $0.split(separator: " ").dropLast().joined(separator: " ") },
                       ["jumping jacks", "carving ice"])
    }

    /// One cue per sampled frame, each from its frame's time to the next one's, parsed by FFmpeg.
    func testStreamEveryFrameSubtitles() throws {
        let gif = try sample("jumpingjack.gif")
        let frames = try objects(try Binary.run(["stream", "--every-frame", "--format", "jsonl", "--context", "1.6"]
                                                + model + [gif]).stdout)
        for format in ["srt", "vtt"] {
            let r = try Binary.run(["stream", "--every-frame", "--format", format, "--context", "1.6"] + model + [gif])
            XCTAssertEqual(r.status, 0, r.stderr)
            let cues = r.stdout.components(separatedBy: "\n\n").filter { $0.contains("-->") }
            XCTAssertEqual(cues.count, frames.count, r.stdout)
            let top = frames.map { (($0["top"] as! [[String: Any]])[0]["label"] as! String) }
            XCTAssertEqual(cues.map { $0.split(separator: "\n").last!.split(separator: " ").dropLast().joined(separator: " ") },
                           top)
            let sep = format == "srt" ? "," : "."
            XCTAssertTrue(cues[1].contains("00:00:00\(sep)200 --> 00:00:00\(sep)400"), cues[1])
            let file = try temporaryDirectory(self).appendingPathComponent("frames.\(format)")
            try r.stdout.write(to: file, atomically: true, encoding: .utf8)
            let back = try Tools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", file.path, "-f", format == "srt" ? "srt" : "webvtt", "-"])
            XCTAssertEqual(back.status, 0, back.stderr)
            XCTAssertEqual(String(decoding: back.stdout, as: UTF8.self).components(separatedBy: "-->").count - 1, frames.count)
        }
    }

    /// Live: fed through a FIFO, the first span is printed before the rest of the video has been
    /// written (the order of events: the span's line arrives, then the writer sends the rest).
    func testASpanIsPrintedAsSoonAsItHasEnded() throws {
        let (path, _) = try clip()
        let dir = try temporaryDirectory(self)
        let ts = dir.appendingPathComponent("live.ts").path
        try Tools.ffmpeg(["-i", path, "-c", "copy", "-f", "mpegts", ts])
        // The first packet at 10 s: jumping jacks has ended (5.4 s) and its merge gap passed by then.
        let packets = String(decoding: try Tools.check("ffprobe", ["-v", "error", "-select_streams", "v",
            "-show_entries", "packet=pts_time,pos", "-of", "csv=p=0", ts]), as: UTF8.self)
        let cut = try XCTUnwrap(packets.split(separator: "\n").lazy.map { $0.split(separator: ",") }
            .first { Double($0[0]) ?? 0 >= 10 }.flatMap { Int($0[1]) })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ts))
        let fifo = dir.appendingPathComponent("live.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)

        let process = Process()
        process.executableURL = try Binary.url
        process.arguments = ["segments", "--format", "jsonl"] + model + [fifo]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()

        final class Events: @unchecked Sendable {
            let lock = NSLock()
            var list: [String] = []
            var text = ""
            let firstLine = DispatchSemaphore(value: 0)
            func add(_ e: String) { lock.withLock { list.append(e) } }
        }
        let events = Events()
        let reader = Thread {
            while true {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                let hadLine = events.lock.withLock { events.text.contains("\n") }
                events.lock.withLock { events.text += String(decoding: chunk, as: UTF8.self) }
                if !hadLine && events.lock.withLock({ events.text.contains("\n") }) {
                    events.add("line")
                    events.firstLine.signal()
                }
            }
        }
        reader.start()
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: fifo))   // waits for movinet to open it
        writer.write(bytes.prefix(cut))
        events.add("first part written")
        // A guard against a hang, not a measurement: the line is expected long before.
        if events.firstLine.wait(timeout: .now() + 120) == .timedOut { events.add("timed out") }
        events.add("rest written")
        writer.write(bytes.dropFirst(cut))
        try writer.close()
        process.waitUntilExit()
        while reader.isExecuting { usleep(10_000) }
        XCTAssertEqual(process.terminationStatus, 0)
        // (The first part's write can return after the line: a FIFO write blocks until it is read.)
        let list = events.lock.withLock { events.list }
        XCTAssertFalse(list.contains("timed out"), "\(list)")
        XCTAssertLessThan(try XCTUnwrap(list.firstIndex(of: "line")), try XCTUnwrap(list.firstIndex(of: "rest written")),
                          "\(list)")
        let spans = try objects(events.lock.withLock { events.text })
        XCTAssertEqual(spans.map { $0["label"] as? String }, GluedClip.labels)
    }

    func testAFailedInputGetsARecordAndTheOthersStillPrint() throws {
        let gif = try sample("jumpingjack.gif")
        let missing = try temporaryDirectory(self).appendingPathComponent("missing.mp4").path
        let r = try Binary.run(["segments", "--format", "jsonl"] + model + [missing, gif])
        XCTAssertEqual(r.status, 1)
        let records = try objects(r.stdout)
        XCTAssertEqual(records.first?["file"] as? String, missing)
        XCTAssertNotNil(records.first?["error"] as? String)
        XCTAssertEqual(records.dropFirst().map { $0["label"] as? String }, ["jumping jacks"])
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("movinet: \(missing): "), r.stderr)
        // text: the error on stderr only, the GIF's span on stdout.
        let t = try Binary.run(["segments"] + model + [missing, gif])
        XCTAssertEqual(t.status, 1)
        XCTAssertTrue(t.stdout.hasPrefix(gif + "\n  0:00:00."), t.stdout)
        XCTAssertTrue(t.stdout.contains("jumping jacks"))
    }

    func testUsageErrorsAndBaseModelsExitTwo() throws {
        let base = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tf/tiny-base/ckpt").path
        let cases: [([String], String)] = [
            (["classify", "--format", "srt", "x.mp4"], "is for 'segments' and 'stream --every-frame'"),
            (["stream", "--format", "vtt", "x.mp4"], "--format vtt needs --every-frame"),
            (["segments", "--format", "srt", "a.mp4", "b.mp4"], "need exactly one input, got 2"),
            (["segments", "--enter", "0.2", "--exit", "0.4", "x.mp4"], "--exit must be between 0 and --enter"),
            (["segments", "--context", "0", "x.mp4"], "--context must be more than 0"),
            (["segments", "--context", "2", "--context-warmup", "3", "x.mp4"], "--context-warmup must be"),
            (["segments", "--model", base, "x.mp4"], "is a base model; 'segments' needs a stream model"),
        ]
        for (arguments, message) in cases {
            let r = try Binary.run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testHelpNamesTheOptions() throws {
        let r = try Binary.run(["segments", "--help"])
        XCTAssertEqual(r.status, 0)
        for option in ["--enter", "--exit", "--min-duration", "--merge-gap", "--smooth", "--context ", "--context-runners",
                       "--format", "srt", "vtt", "--plot", "mpv --sub-file"] {
            XCTAssertTrue(r.stdout.contains(option), option)
        }
        let s = try Binary.run(["stream", "--help"])
        XCTAssertTrue(s.stdout.contains("--context") && s.stdout.contains("srt"), s.stdout)
        XCTAssertTrue(try Binary.run(["--help"]).stdout.contains("segments"))
    }
}
