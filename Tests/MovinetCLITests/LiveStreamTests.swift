// The built binary on live inputs (issue 8): records read while the producer is still running
// (the producer waits for record 0 before it sends the rest: an ordering fact, not a timing),
// video bytes on standard input in every container a pipe can carry, an MP4 with its index at
// the end refused with its cause, network streams from a local ffmpeg sender (TCP, UDP, RTSP,
// RTMP, SRT, HTTP), -f lavfi through libavdevice, SIGINT/SIGTERM mid-stream, a closed stdout,
// the stall timeout and --realtime.

import Foundation
import XCTest

import TestSupport

/// movinet running on a pipe the test writes, its records read line by line as they come.
final class LiveRun: @unchecked Sendable {
    let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let lock = NSCondition()
    private var lines: [String] = []
    private var outputEnded = false
    private var errorText = Data()
    private let errorsDone = DispatchSemaphore(value: 0)

    init(_ arguments: [String], stdin: Bool = true) throws {
        process.executableURL = try Binary.url
        process.arguments = arguments
        process.standardInput = stdin ? input : FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        Thread.detachNewThread { [self] in
            var partial = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData
                lock.lock()
                if chunk.isEmpty {
                    if !partial.isEmpty { lines.append(String(decoding: partial, as: UTF8.self)) }
                    outputEnded = true
                    lock.broadcast()
                    lock.unlock()
                    return
                }
                partial += chunk
                while let nl = partial.firstIndex(of: 0x0A) {
                    lines.append(String(decoding: partial[partial.startIndex..<nl], as: UTF8.self))
                    partial = Data(partial[(nl + 1)...])
                }
                lock.broadcast()
                lock.unlock()
            }
        }
        Thread.detachNewThread { [self] in
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            lock.lock(); errorText = data; lock.unlock()
            errorsDone.signal()
        }
    }

    /// Writes to movinet's standard input (false once it has gone away).
    @discardableResult
    func send(_ data: Data) -> Bool {
        do { try input.fileHandleForWriting.write(contentsOf: data); return true } catch { return false }
    }

    func closeInput() { try? input.fileHandleForWriting.close() }

    /// Waits for the n-th line (0-based); nil when the output ended first or after `timeout`
    /// seconds — a generous bound that only turns a hang into a failure.
    func line(_ n: Int, timeout: TimeInterval = 60) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while lines.count <= n && !outputEnded {
            if !lock.wait(until: deadline) { return nil }
        }
        return n < lines.count ? lines[n] : nil
    }

    /// Waits for the process to end and returns its status, every line and stderr.
    /// `closing`: close movinet's standard input first (the producer's end).
    func finish(timeout: TimeInterval = 60, closing: Bool = true) -> (status: Int32, lines: [String], stderr: String) {
        if closing { closeInput() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("movinet did not end within \(timeout) s")
        }
        process.waitUntilExit()
        _ = errorsDone.wait(timeout: .now() + 10)
        lock.lock()
        while !outputEnded { if !lock.wait(until: Date().addingTimeInterval(10)) { break } }
        defer { lock.unlock() }
        return (process.terminationStatus, lines, String(decoding: errorText, as: UTF8.self))
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }
}

final class LiveStreamTests: XCTestCase {
    var model: [String] = []

    override func setUpWithError() throws {
        guard let m = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let l = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no shared files") }
        model = ["--model", m.path, "--labels", l.path, "--threads", "1"]
    }

    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no sample \(name)") }
        return url.path
    }

    func json(_ line: String) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw Tools.Failure(description: "not a JSON object: \(line)")
        }
        return o
    }

    func top1(_ record: [String: Any]) -> String? {
        ((record["top"] as? [[String: Any]])?.first?["label"]) as? String
    }

    /// A test pattern clip: `seconds` long, 25 fps, 160×120, H.264 without lookahead, in `format`.
    func pattern(_ dir: URL, seconds: Int, format: String, name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "\(seconds)",
                          "-c:v", "libx264", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-f", format, url.path])
        return url
    }

    // MARK: records leave as frames are classified

    /// The producer sends the first half of a Matroska stream and then waits — it is still
    /// running — until record 0 has been read; only then does it send the rest. Were the records
    /// held back until the end of the input (or were seconds of video probed before the first
    /// frame), record 0 would never come and the test would fail at the timeout.
    func testFirstRecordIsReadWhileTheProducerIsStillSending() throws {
        let bytes = try Data(contentsOf: try pattern(try temporaryDirectory(self), seconds: 4, format: "matroska",
                                                     name: "p.mkv"))
        for format in ["jsonl", "csv", "text"] {
            let run = try LiveRun(["stream", "--every-frame", "--format", format, "-k", "1"] + model + ["pipe:"])
            run.send(bytes.prefix(bytes.count / 2))
            let first = run.line(format == "jsonl" ? 0 : 1)   // csv: a header; text: the input's name
            XCTAssertNotNil(first, "\(format): no record before the producer finished")
            if format == "jsonl", let first { XCTAssertEqual(try json(first)["frame"] as? Int, 0) }
            run.send(bytes.suffix(from: bytes.count / 2))
            let end = run.finish()
            XCTAssertEqual(end.status, 0, end.stderr)
            let records = end.lines.filter { !$0.isEmpty && $0 != "pipe:" && !$0.hasPrefix("file,") }
            XCTAssertEqual(records.count, 20, "\(format): \(end.lines)")   // 4 s at 5 fps
        }
    }

    /// `ffmpeg -re` paces the producer in real time; its bytes go through this test into movinet.
    /// Record 0 is read before ffmpeg has exited.
    func testRecordsFromARealTimeFFmpegProducerArriveBeforeItEnds() throws {
        let run = try LiveRun(["stream", "--every-frame", "--format", "jsonl", "-k", "1"] + model + ["pipe:"])
        let sender = Process()
        sender.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sender.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i",
                            "testsrc2=size=160x120:rate=25", "-t", "3", "-c:v", "libx264", "-tune", "zerolatency",
                            "-flush_packets", "1", "-cluster_time_limit", "40", "-f", "matroska", "-"]
        let out = Pipe()
        sender.standardOutput = out
        try sender.run()
        let relay = Thread {
            while case let chunk = out.fileHandleForReading.availableData, !chunk.isEmpty { run.send(chunk) }
            run.closeInput()
        }
        relay.start()
        let first = run.line(0)
        let senderRunning = sender.isRunning
        XCTAssertNotNil(first)
        XCTAssertTrue(senderRunning, "ffmpeg had already finished when record 0 was read")
        sender.waitUntilExit()
        let end = run.finish()
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertEqual(end.lines.count, 15)
        XCTAssertEqual(try end.lines.map { try json($0)["frame"] as? Int }, Array(0..<15))
    }

    // MARK: video bytes on standard input

    func testEveryPipeFormatGivesTheFilesTopLabel() throws {
        let clip = try sample("carving_ice.mp4")
        let dir = try temporaryDirectory(self)
        let file = try Binary.run(["classify", "--format", "jsonl"] + model + [clip])
        XCTAssertEqual(file.status, 0, file.stderr)
        let expected = top1(try json(file.stdout.split(separator: "\n")[0].description))
        XCTAssertEqual(expected, "carving ice")
        let remux: [(String, [String])] = [
            ("mkv", ["-c", "copy", "-f", "matroska"]), ("webm", ["-c:v", "libvpx", "-b:v", "1M", "-f", "webm"]),
            ("ts", ["-c", "copy", "-f", "mpegts"]), ("flv", ["-c", "copy", "-f", "flv"]),
            ("nut", ["-c", "copy", "-f", "nut"]), ("mp4", ["-c", "copy", "-movflags", "+faststart", "-f", "mp4"]),
            ("frag.mp4", ["-c", "copy", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4"]),
        ]
        for (ext, args) in remux {
            let path = dir.appendingPathComponent("clip.\(ext)").path
            try Tools.ffmpeg(["-i", clip] + args + [path])
            for name in ext == "mkv" ? ["pipe:", "pipe:0", "/dev/stdin"] : ["pipe:"] {
                let r = try Binary.shell("cat '\(path)' | \"$MOVINET\" classify --format jsonl "
                                         + model.joined(separator: " ") + " \(name)")
                XCTAssertEqual(r.status, 0, "\(ext) via \(name): \(r.stderr)")
                let record = try json(String(decoding: r.stdout, as: UTF8.self))
                XCTAssertEqual(top1(record), expected, "\(ext) via \(name)")
                XCTAssertEqual(record["file"] as? String, name)
            }
        }
        // pipe:N reads descriptor N.
        let mkv = dir.appendingPathComponent("clip.mkv").path
        let r = try Binary.shell("\"$MOVINET\" classify --format jsonl " + model.joined(separator: " ")
                                 + " pipe:3 3< '\(mkv)'")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(top1(try json(String(decoding: r.stdout, as: UTF8.self))), expected)
    }

    func testGIFOnAPipeGivesJumpingJacks() throws {
        let gif = try sample("jumpingjack.gif")
        let r = try Binary.shell("cat '\(gif)' | \"$MOVINET\" classify -k 1 " + model.joined(separator: " ") + " pipe:")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(String(decoding: r.stdout, as: UTF8.self).contains("jumping jacks"))
    }

    func testMP4WithItsIndexAtTheEndOnAPipeSaysSoInOneLine() throws {
        let clip = try sample("carving_ice.mp4")
        let layout = Tools.mp4Boxes([UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))).map(\.type)
        XCTAssertLessThan(layout.firstIndex(of: "mdat") ?? 99, layout.firstIndex(of: "moov") ?? -1,
                          "the sample is expected to have its moov at the end: \(layout)")
        let r = try Binary.shell("cat '\(clip)' | \"$MOVINET\" classify --format jsonl "
                                 + model.joined(separator: " ") + " pipe:")
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("movinet: pipe:: an MP4/MOV with its index (moov) at the end"), r.stderr)
        XCTAssertTrue(r.stderr.contains("-movflags +faststart"), r.stderr)
        XCTAssertTrue(r.stderr.contains("frag_keyframe+empty_moov"), r.stderr)
        XCTAssertNotNil(try json(String(decoding: r.stdout, as: UTF8.self))["error"])
    }

    // MARK: ending

    func testSIGINTMidStreamEndsWithValidRecordsTheResultAnd130() throws {
        let bytes = try Data(contentsOf: try pattern(try temporaryDirectory(self), seconds: 4, format: "matroska",
                                                     name: "p.mkv"))
        for (sig, status, format) in [(SIGINT, Int32(130), "jsonl"), (SIGTERM, Int32(143), "json")] {
            let run = try LiveRun(["stream", "--every-frame", "--format", format, "-k", "1"] + model + ["pipe:"])
            run.send(bytes.prefix(bytes.count / 2))
            if format == "jsonl" {
                XCTAssertNotNil(run.line(0))
            } else {
                XCTAssertNotNil(run.line(1))   // "[" then the input's opening
            }
            run.signal(sig)   // the pipe stays open: movinet must stop reading by itself
            let end = run.finish()
            XCTAssertEqual(end.status, status, end.stderr)
            if format == "jsonl" {
                let records = try end.lines.map(json)
                let frames = records.filter { $0["frame"] != nil }
                XCTAssertGreaterThan(frames.count, 0)
                XCTAssertEqual(frames.map { $0["frame"] as? Int }, Array(0..<frames.count))
                let last = try XCTUnwrap(records.last)
                XCTAssertNil(last["frame"])
                XCTAssertEqual(last["frames"] as? Int, frames.count)
                XCTAssertNil(last["error"])
                XCTAssertTrue((last["warnings"] as? [String] ?? []).contains { $0.contains("stopped by SIGINT") },
                              "\(last)")
            } else {
                let document = end.lines.joined(separator: "\n")
                let parsed = try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [[String: Any]]
                let input = try XCTUnwrap(parsed?.first, document)
                let predictions = try XCTUnwrap(input["predictions"] as? [[String: Any]])
                XCTAssertGreaterThan(predictions.count, 0)
                XCTAssertEqual(input["frames"] as? Int, predictions.count)
            }
        }
    }

    func testAClosedStandardOutputEndsQuietly() throws {
        let mkv = try pattern(try temporaryDirectory(self), seconds: 4, format: "matroska", name: "p.mkv")
        // The producer (this test, through a FIFO) keeps the pipe open after the file: movinet
        // must end on its closed stdout, not on the end of its input.
        let fifo = mkv.deletingLastPathComponent().appendingPathComponent("in.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = open(fifo, O_RDWR | O_NONBLOCK)   // does not wait for a reader; holds the FIFO open
        XCTAssertGreaterThanOrEqual(writer, 0)
        final class Flag: @unchecked Sendable { var done = false }
        let finished = Flag(), writing = DispatchSemaphore(value: 0)
        defer { finished.done = true; writing.wait(); close(writer) }
        let bytes = [UInt8](try Data(contentsOf: mkv))
        Thread.detachNewThread {
            var sent = 0
            while sent < bytes.count && !finished.done {
                let n = bytes.withUnsafeBytes { write(writer, $0.baseAddress! + sent, min(4096, bytes.count - sent)) }
                if n > 0 { sent += n } else { usleep(5000) }   // full: the reader has not caught up
            }
            writing.signal()
        }
        let r = try Binary.shell("\"$MOVINET\" stream --every-frame --format jsonl " + model.joined(separator: " ")
                                 + " pipe: < '\(fifo)' | head -1", timeout: 60)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").count, 1)
        XCTAssertEqual(r.stderr, "")
    }

    func testAStalledPipeEndsWithAnErrorRecordAfterItsFrames() throws {
        let bytes = try Data(contentsOf: try pattern(try temporaryDirectory(self), seconds: 2, format: "matroska",
                                                     name: "p.mkv"))
        let run = try LiveRun(["stream", "--every-frame", "--format", "jsonl", "--stall-timeout", "1"] + model
                              + ["pipe:"])
        run.send(bytes)   // and never closed: only the stall can end it
        let end = run.finish(timeout: 60, closing: false)
        XCTAssertEqual(end.status, 1, end.stderr)
        let records = try end.lines.map(json)
        XCTAssertGreaterThanOrEqual(records.filter { $0["frame"] != nil }.count, 8)
        let last = try XCTUnwrap(records.last)
        XCTAssertTrue((last["error"] as? String ?? "").contains("no data for 1 s"), "\(last)")
        XCTAssertEqual(end.stderr.split(separator: "\n").count, 1, end.stderr)
    }

    // MARK: network streams and devices

    /// Whether a socket of `proto` ("tcp", "udp") is bound to `port` on this machine.
    static func bound(_ port: Int, proto: String) -> Bool {
        let hex = String(format: ":%04X", port)
        for file in ["/proc/net/\(proto)", "/proc/net/\(proto)6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 3, fields[1].hasSuffix(hex), proto == "udp" || fields[3] == "0A" { return true }
            }
        }
        return false
    }

    static func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// movinet listens on `url` (after `options`); once the port is bound, ffmpeg sends 2 s of
    /// test pattern to `target` in `format`. Returns movinet's end.
    func receive(_ url: String, options: [String] = [], port: Int, proto: String = "tcp", format: String,
                 target: String, senderOptions: [String] = [], realtime: Bool = true)
        throws -> (status: Int32, lines: [String], stderr: String) {
        let run = try LiveRun(["stream", "--every-frame", "--format", "jsonl", "-k", "1", "--stall-timeout", "3"]
                              + options + model + [url], stdin: false)
        var waited = 0
        while !Self.bound(port, proto: proto) && waited < 400 { usleep(25_000); waited += 1 }
        XCTAssertTrue(Self.bound(port, proto: proto), "movinet never listened on \(port)")
        let sender = try Tools.run("ffmpeg", ["-nostdin", "-v", "error"] + (realtime ? ["-re"] : [])
                                   + ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "2",
                                      "-c:v", "libx264", "-tune", "zerolatency", "-pix_fmt", "yuv420p"]
                                   + senderOptions + ["-f", format, target])
        XCTAssertEqual(sender.status, 0, sender.stderr)
        return run.finish()
    }

    func checkFrames(_ end: (status: Int32, lines: [String], stderr: String), _ what: String,
                     least: Int = 7) throws {
        let frames = try end.lines.map(json).filter { $0["frame"] != nil }
        XCTAssertGreaterThanOrEqual(frames.count, least, "\(what): \(end.stderr)")
        XCTAssertEqual(frames.first?["timestamp"] as? Double, 0, what)   // the stream's own time
        XCTAssertEqual(frames.map { $0["frame"] as? Int }, Array(0..<frames.count), what)
    }

    func testTCPAndRTMPFromALocalSender() throws {
        let tcp = Self.freePort()
        let a = try receive("tcp://127.0.0.1:\(tcp)?listen=1", port: tcp, format: "mpegts",
                            target: "tcp://127.0.0.1:\(tcp)", realtime: false)
        XCTAssertEqual(a.status, 0, a.stderr)
        try checkFrames(a, "tcp", least: 10)
        let rtmp = Self.freePort()
        let b = try receive("rtmp://127.0.0.1:\(rtmp)/live/test", options: ["--input-option", "listen=1"], port: rtmp,
                            format: "flv", target: "rtmp://127.0.0.1:\(rtmp)/live/test", realtime: false)
        XCTAssertEqual(b.status, 0, b.stderr)
        try checkFrames(b, "rtmp", least: 10)
    }

    func testUDPEndsByItsStallTimeoutAfterTheFrames() throws {
        let port = Self.freePort()
        let end = try receive("udp://127.0.0.1:\(port)", port: port, proto: "udp", format: "mpegts",
                              target: "udp://127.0.0.1:\(port)?pkt_size=1316")
        // UDP has no end: the sender's silence ends it, with an error record after the frames.
        XCTAssertEqual(end.status, 1, end.stderr)
        try checkFrames(end, "udp")
        let last = try json(try XCTUnwrap(end.lines.last))
        XCTAssertTrue((last["error"] as? String ?? "").contains("no data for 3 s"), "\(last)")
        XCTAssertTrue(end.stderr.contains("no data for 3 s (--stall-timeout)"), end.stderr)
    }

    func testRTSPFromALocalSender() throws {
        let port = Self.freePort()
        let end = try receive("rtsp://127.0.0.1:\(port)/live", options: ["--input-option", "rtsp_flags=listen"],
                              port: port, format: "rtsp", target: "rtsp://127.0.0.1:\(port)/live",
                              senderOptions: ["-rtsp_transport", "tcp"])
        XCTAssertEqual(end.status, 0, end.stderr)
        try checkFrames(end, "rtsp")
    }

    func testSRTFromALocalSender() throws {
        let port = Self.freePort()
        let end = try receive("srt://127.0.0.1:\(port)?mode=listener", port: port, proto: "udp", format: "mpegts",
                              target: "srt://127.0.0.1:\(port)?mode=caller")
        XCTAssertEqual(end.status, 0, end.stderr)
        try checkFrames(end, "srt")
    }

    /// An MPEG-TS stream over HTTP; then a server that sends a few bytes and goes silent, which
    /// --stall-timeout ends with an error record.
    func testHTTPStreamAndAStalledServer() throws {
        let dir = try temporaryDirectory(self)
        _ = try pattern(dir, seconds: 2, format: "mpegts", name: "p.ts")
        let server = try TestHTTPServer(root: dir, test: self)
        let good = try Binary.run(["stream", "--every-frame", "--format", "jsonl"] + model
                                  + [server.base("good").appendingPathComponent("p.ts").absoluteString])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertEqual(good.stdout.split(separator: "\n").count, 10)
        let stalled = try Binary.run(["stream", "--every-frame", "--format", "jsonl", "--stall-timeout", "1"] + model
                                     + [server.base("stall").appendingPathComponent("p.ts").absoluteString],
                                     timeout: 30)
        XCTAssertEqual(stalled.status, 1, stalled.stderr)
        let last = try json(try XCTUnwrap(stalled.stdout.split(separator: "\n").last.map(String.init)))
        XCTAssertTrue((last["error"] as? String ?? "").contains("no data for 1 s"), "\(last)")
    }

    func testLavfiThroughLibavdevice() throws {
        let r = try Binary.run(["stream", "--every-frame", "--format", "jsonl", "-f", "lavfi"] + model
                               + ["testsrc2=size=160x120:rate=25:duration=2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 10)
        let bad = try Binary.run(["classify", "-f", "no-such-format"] + model + ["x"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown input format 'no-such-format'"), bad.stderr)
        let option = try Binary.run(["classify", "-f", "lavfi", "--input-option", "no_such_option=1"] + model
                                    + ["testsrc2=duration=1"])
        XCTAssertEqual(option.status, 1)
        XCTAssertTrue(option.stderr.contains("option 'no_such_option' is not an option"), option.stderr)
    }

    // MARK: falling behind

    /// Frames read as fast as a file gives them arrive faster than the model runs: --realtime
    /// skips some (each record says how many before it), and every sampled frame is either
    /// classified or counted as skipped. Without it none is skipped.
    func testRealtimeSkipsAndCountsWhatItSkipped() throws {
        let clip = try sample("mmaction2_demo.mp4")
        let r = try Binary.run(["stream", "--every-frame", "--format", "jsonl", "--realtime", "--fps", "0",
                                ] + model + [clip])
        XCTAssertEqual(r.status, 0, r.stderr)
        let records = try r.stdout.split(separator: "\n").map { try json(String($0)) }
        let frames = records.filter { $0["frame"] != nil }
        let skipped = frames.map { $0["skipped"] as? Int ?? -1 }
        XCTAssertFalse(skipped.contains(-1))
        let closing = try XCTUnwrap(records.last)
        XCTAssertEqual(closing["skipped"] as? Int, skipped.reduce(0, +))
        let all = try Binary.run(["inspect", "--fps", "0", "--format", "json", clip])
        let sampled = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])?
            .first?["frames"] as? Int)
        XCTAssertEqual(frames.count + skipped.reduce(0, +), sampled)
        XCTAssertEqual(frames.last?["frame"] as? Int, sampled - 1, "the last frame is always classified")
        XCTAssertGreaterThan(skipped.reduce(0, +), 0, "a file read at full speed outruns the model")
        XCTAssertTrue(r.stderr.contains("realtime: skipped"), r.stderr)
    }
}
