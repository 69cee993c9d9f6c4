// The built binary on what people actually feed it (issue 14): phone videos, folders holding FIFOs
// and sockets, FIFOs named explicitly, full disks, --plot through links and devices, damaged H.264,
// CRLF label files, still images, names that are not UTF-8, `-` lists read as they arrive and
// NUL-separated, the versioned JSON schema, and --start/--duration.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

import TestSupport

final class RealWorldInputTests: XCTestCase {
    var model: [String] = []

    override func setUpWithError() throws {
        guard let m = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let l = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no shared files") }
        model = ["--model", m.path, "--labels", l.path]
    }

    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no sample \(name)") }
        return url.path
    }

    func records(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw Tools.Failure(description: "not a JSON object: \($0)")
            }
            return o
        }
    }

    func top1(_ record: [String: Any]) -> String? {
        ((record["top"] as? [[String: Any]])?.first?["label"]) as? String
    }

    func phoneClip(_ dir: URL) throws -> URL {
        let side = dir.appendingPathComponent("side.mp4"), phone = dir.appendingPathComponent("phone.mp4")
        try Tools.ffmpeg(["-i", try sample("jumpingjack.gif"), "-vf", "transpose=cclock", "-c:v", "libx264",
                          "-pix_fmt", "yuv420p", side.path])
        try Tools.ffmpeg(["-i", side.path, "-c", "copy", "-metadata:s:v", "rotate=270", phone.path])
        return phone
    }

    // MARK: 1. phone videos

    func testPhoneClipGivesJumpingJacksAndInspectShowsTheRotation() throws {
        let phone = try phoneClip(try temporaryDirectory(self)).path
        let r = try Binary.run(["classify", "--format", "jsonl"] + model + [phone])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(top1(try records(r.stdout)[0]), "jumping jacks")
        let off = try Binary.run(["classify", "--format", "jsonl", "--no-autorotate"] + model + [phone])
        XCTAssertNotEqual(top1(try records(off.stdout)[0]), "jumping jacks")
        let text = try Binary.run(["inspect", phone])
        XCTAssertTrue(text.stdout.contains("  rotation    -90 (display matrix; turned: transpose=clock)\n"), text.stdout)
        let json = try Binary.run(["inspect", "--format", "json", "--no-autorotate", phone])
        let report = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(report["rotation"] as? Double, -90)
        XCTAssertEqual(report["orientation"] as? String, "none")
    }

    // MARK: 2, 3. folders and FIFOs

    func testFolderWithAFIFOASocketAndATSFinishesAndClassifiesTheTS() throws {
        let dir = try temporaryDirectory(self)
        let ts = dir.appendingPathComponent("clip.ts")
        try Tools.ffmpeg(["-i", try sample("carving_ice.mp4"), "-c", "copy", "-f", "mpegts", ts.path])
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("fifo").path, 0o600), 0)
        let s = try Binary.shell("""
            python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \(dir.path)/sock
            """)
        XCTAssertEqual(s.status, 0, s.stderr)
        try "notes".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["classify", "--format", "jsonl"] + model + [dir.path], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try records(r.stdout)
        XCTAssertEqual(out.map { $0["file"] as? String }, [ts.path])
        XCTAssertEqual(top1(out[0]), "carving ice")
        XCTAssertEqual(r.stderr, "movinet: \(dir.path): skipped 3 files that are not media (--verbose lists them)\n")
        let verbose = try Binary.run(["classify", "--verbose", "--format", "jsonl"] + model + [dir.path])
        XCTAssertEqual(verbose.stderr.split(separator: "\n"), [
            "movinet: \(dir.path)/fifo: skipped: FIFO", "movinet: \(dir.path)/notes.txt: skipped: not a video",
            "movinet: \(dir.path)/sock: skipped: socket",
        ])
    }

    func testAFIFOAndAProcessSubstitutionNamedExplicitlyAreReadAsStreams() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let r = try Binary.shell("""
            cat '\(gif)' > '\(fifo)' &
            "$MOVINET" classify --format jsonl \(model.joined(separator: " ")) '\(fifo)' && \
            bash -c '"$MOVINET" classify --format jsonl \(model.joined(separator: " ")) <(cat "$0")' '\(gif)'
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try records(String(decoding: r.stdout, as: UTF8.self))
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out.map(top1), ["jumping jacks", "jumping jacks"])
        XCTAssertEqual(out[0]["frames"] as? Int, 8)
        XCTAssertEqual(out[1]["frames"] as? Int, 8)
    }

    // MARK: 4. write errors

    func testResultsThatCannotBeWrittenEndWithOneLineAndStatusFour() throws {
        let gif = try sample("jumpingjack.gif")
        let commands: [[String]] = [
            ["classify"] + model + [gif], ["classify", "--format", "json"] + model + [gif],
            ["stream", "--every-frame"] + model + [gif], ["models", "list"], ["inspect", gif],
            ["inspect", "--format", "json", gif], ["bench", "--random", "a0-stream", "--frames", "2"], ["--help"],
            ["classify", "--help"],
        ]
        let cache = try temporaryDirectory(self).path
        for command in commands {
            let r = try Binary.run(command, environment: ["MOVINET_CACHE": cache], stdoutPath: "/dev/full")
            XCTAssertEqual(r.status, 4, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr, "movinet: cannot write the results to standard output: No space left on device\n",
                           "\(command)")
        }
    }

    /// `| head` closes the pipe early: the run stops with status 4 and no message (not SIGPIPE's
    /// 141). 8 frames × 600 classes of JSON lines (≈ 300 KB) cannot all fit in the pipe's buffer.
    func testAClosedPipeEndsQuietlyWithStatusFour() throws {
        let gif = try sample("jumpingjack.gif")
        let dir = try temporaryDirectory(self).path
        let r = try Binary.shell("""
            { "$MOVINET" stream --every-frame --top-k 600 --format jsonl \(model.joined(separator: " ")) '\(gif)' \
                2> '\(dir)/stderr'; echo $? > '\(dir)/status'; } | head -c 100 > /dev/null
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/status", encoding: .utf8), "4\n")
        XCTAssertEqual(try String(contentsOfFile: dir + "/stderr", encoding: .utf8), "")
    }

    // MARK: 5. --plot

    func testPlotIsWrittenThroughFIFOsLinksAndDevicesAndDashIsStandardOutput() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        let plot = ["stream", "--format", "jsonl"] + model
        // A FIFO: written into, not replaced.
        let fifo = dir.appendingPathComponent("plot.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let viaFIFO = try Binary.shell("""
            cat '\(fifo)' > '\(dir.path)/from-fifo.svg' & "$MOVINET" \(plot.joined(separator: " ")) --plot '\(fifo)' '\(gif)' > /dev/null; wait
            """)
        XCTAssertEqual(viaFIFO.status, 0, viaFIFO.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir.path + "/from-fifo.svg", encoding: .utf8).hasPrefix("<svg"))
        XCTAssertEqual(FileStatusKind.of(fifo), "fifo")
        // A symbolic link: its target gets the plot, the link stays a link.
        try "old".write(toFile: dir.path + "/target.svg", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link.svg", withDestinationPath: "target.svg")
        XCTAssertEqual(try Binary.run(plot + ["--plot", dir.path + "/link.svg", gif]).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.path + "/link.svg"), "target.svg")
        XCTAssertTrue(try String(contentsOfFile: dir.path + "/target.svg", encoding: .utf8).hasPrefix("<svg"))
        // A device: written to, left a device.
        XCTAssertEqual(try Binary.run(plot + ["--plot", "/dev/null", gif]).status, 0)
        XCTAssertEqual(FileStatusKind.of("/dev/null"), "character device")
        // A regular file is replaced whole, keeping its permissions.
        let regular = dir.path + "/plot.svg"
        try "old".write(toFile: regular, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(regular, 0o640), 0)
        XCTAssertEqual(try Binary.run(plot + ["--plot", regular, gif]).status, 0)
        XCTAssertTrue(try String(contentsOfFile: regular, encoding: .utf8).hasPrefix("<svg"))
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: regular)[.posixPermissions] as? Int), 0o640)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".movinet") }, [])
        // '-' is standard output: the SVG instead of the records; no file named '-'.
        let dash = try Binary.run(plot + ["--plot", "-", gif], directory: dir)
        XCTAssertEqual(dash.status, 0, dash.stderr)
        XCTAssertTrue(dash.stdout.hasPrefix("<svg"), String(dash.stdout.prefix(80)))
        XCTAssertTrue(XMLParser(data: Data(dash.stdout.utf8)).parse())
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/-"))
        // A path that cannot be written: one line, status 1.
        let bad = try Binary.run(plot + ["--plot", dir.path + "/no/such/dir/p.svg", gif])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "movinet: \(dir.path)/no/such/dir/p.svg: cannot write the plot: No such file or directory\n")
    }

    // MARK: 6. damage

    func testABitFlippedH264FileCarriesItsWarningsInEveryMachineFormat() throws {
        let dir = try temporaryDirectory(self)
        let clean = dir.appendingPathComponent("clean.mp4"), damaged = dir.appendingPathComponent("damaged.mp4")
        try Tools.ffmpeg(["-i", try sample("carving_ice.mp4"), "-an", "-c:v", "copy", clean.path])
        try Tools.flipBits(clean, to: damaged)
        let jsonl = try Binary.run(["classify", "--quiet", "--format", "jsonl"] + model + [clean.path, damaged.path])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        XCTAssertEqual(jsonl.stderr, "")
        let out = try records(jsonl.stdout)
        XCTAssertEqual(out[0]["warnings"] as? [String], [])
        let warnings = try XCTUnwrap(out[1]["warnings"] as? [String])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("damaged video: 1 decode error (first: Invalid data found when processing input), "),
                      warnings[0])
        let loud = try Binary.run(["classify", "--format", "jsonl"] + model + [damaged.path])
        XCTAssertTrue(loud.stderr.hasPrefix("movinet: warning: \(damaged.path): damaged video: "), loud.stderr)
        let perFrame = try Binary.run(["stream", "--every-frame", "--format", "jsonl"] + model + [damaged.path])
        let last = try XCTUnwrap(try records(perFrame.stdout).last)
        XCTAssertNil(last["frame"])
        XCTAssertEqual((last["warnings"] as? [String])?.count, 1)
        XCTAssertEqual(last["frames"] as? Int, 22)
        let csv = try Binary.run(["classify", "--format", "csv", "-k", "1"] + model + [damaged.path])
        let rows = try parseCSV(csv.stdout)
        XCTAssertEqual(rows[0], ["file", "frames", "error", "warnings", "label_1", "probability_1"])
        XCTAssertTrue(rows[1][3].hasPrefix("damaged video: "), rows[1][3])
    }

    // MARK: 7. labels

    func testLabelFilesWithCRLFAndABOMAreAccepted() throws {
        guard let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no labels") }
        let dir = try temporaryDirectory(self)
        let names = try String(contentsOf: labels, encoding: .utf8).split(separator: "\n")
        let crlf = dir.appendingPathComponent("labels-crlf.txt")
        try Data([0xEF, 0xBB, 0xBF] + Array(names.joined(separator: "\r\n").utf8) + [0x0D, 0x0A]).write(to: crlf)
        let r = try Binary.run(["classify", "--format", "jsonl", "--model", model[1], "--labels", crlf.path,
                                try sample("jumpingjack.gif")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(top1(try records(r.stdout)[0]), "jumping jacks")
    }

    func testWithoutTheDefaultLabelsEveryRecordSaysSo() throws {
        let cache = try temporaryDirectory(self).path
        let gif = try sample("jumpingjack.gif")
        for extra in [["classify", "--format", "jsonl"], ["stream", "--every-frame", "--format", "jsonl"]] {
            let r = try Binary.run(extra + ["--offline", "--cache-dir", cache, "--model", model[1], gif])
            XCTAssertEqual(r.status, 0, r.stderr)   // README: a missing default list is not status 3
            XCTAssertTrue(r.stderr.contains("printing class numbers"), r.stderr)
            let out = try records(r.stdout)
            XCTAssertFalse(out.isEmpty)
            for record in out { XCTAssertEqual(record["labels"] as? Bool, false, "\(record)") }
            XCTAssertEqual(top1(out.last!)?.hasPrefix("class "), true)
        }
        let csv = try Binary.run(["classify", "--format", "csv", "--offline", "--cache-dir", cache, "--model", model[1], gif])
        XCTAssertEqual(try parseCSV(csv.stdout)[1][3], "no label list: classes are numbered")
        let named = try Binary.run(["classify", "--format", "jsonl"] + model + [gif])
        XCTAssertNil(try records(named.stdout)[0]["labels"])
    }

    // MARK: 8. short clips, still images, names, lists, schema, spans

    func testStillImagesAndOneOrTwoFrameClipsAreClassified() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        var files: [String] = []
        for (name, args) in [("still.png", ["-frames:v", "1"]), ("still.jpg", ["-frames:v", "1"]),
                             ("one.mp4", ["-frames:v", "1", "-pix_fmt", "yuv420p"]),
                             ("two.mp4", ["-frames:v", "2", "-r", "30", "-pix_fmt", "yuv420p"])] {
            let url = dir.appendingPathComponent(name)
            try Tools.ffmpeg(["-i", gif] + args + [url.path])
            files.append(url.path)
        }
        let r = try Binary.run(["classify", "--format", "jsonl"] + model + files)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try records(r.stdout).map { $0["frames"] as? Int }, [1, 1, 1, 1])
        // A folder of them finds them all (images are what FFmpeg's probe recognises too).
        let folder = try Binary.run(["classify", "--format", "jsonl"] + model + [dir.path])
        XCTAssertEqual(try records(folder.stdout).count, 4)
    }

    func testNamesThatAreNotUTF8AreFoundAndWrittenBack() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        let r = try Binary.shell("""
            cd '\(dir.path)' && cp '\(gif)' "$(printf 'caf\\351.gif')" && \
            "$MOVINET" classify -k 1 \(model.joined(separator: " ")) "$(printf 'caf\\351.gif')" && \
            "$MOVINET" classify -k 1 --format jsonl \(model.joined(separator: " ")) . && \
            printf 'caf\\351.gif\\n' | "$MOVINET" classify -k 1 --format csv \(model.joined(separator: " ")) -
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = [UInt8](r.stdout)
        let raw = Array("caf".utf8) + [0xE9] + Array(".gif".utf8)
        // Text and CSV give the name's own bytes back; JSON escapes the byte as \udce9, which
        // Python's surrogateescape (os.fsencode) turns back into it.
        XCTAssertEqual(Array(out.prefix(raw.count + 1)), raw + [0x0A])
        let text = String(decoding: r.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("{\"schema\":1,\"file\":\"./caf\\udce9.gif\",\"frames\":8"), text)
        XCTAssertTrue(Tools.find(raw + Array(",8,,,jumping jacks".utf8), in: out) != nil, text)
    }

    func testADashListIsClassifiedAsItsLinesArrive() throws {
        let gif = try sample("jumpingjack.gif")
        let process = Process()
        process.executableURL = try Binary.url
        process.arguments = ["classify", "--format", "jsonl", "-k", "1"] + model + ["-"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data((gif + "\n").utf8))
        // The first record must come while standard input is still open.
        let firstLine = expectation(description: "first record before the list ends")
        nonisolated(unsafe) var first = Data()
        DispatchQueue.global().async {
            while !first.contains(0x0A) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                first += chunk
            }
            firstLine.fulfill()
        }
        wait(for: [firstLine], timeout: 60)
        XCTAssertTrue(String(decoding: first, as: UTF8.self).contains("jumping jacks"))
        input.fileHandleForWriting.write(Data((gif + "\n").utf8))
        try input.fileHandleForWriting.close()
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(String(decoding: first + rest, as: UTF8.self).split(separator: "\n").count, 2)
    }

    func testNULSeparatedListsCarryAnyName() throws {
        let dir = try temporaryDirectory(self)
        let odd = dir.appendingPathComponent("two\nlines.gif")
        try FileManager.default.copyItem(atPath: try sample("jumpingjack.gif"), toPath: odd.path)
        let r = try Binary.shell("""
            find '\(dir.path)' -type f -print0 | "$MOVINET" classify -0 --format jsonl -k 1 \(model.joined(separator: " "))
            """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try records(String(decoding: r.stdout, as: UTF8.self))
        XCTAssertEqual(out.map { $0["file"] as? String }, [odd.path])
        XCTAssertEqual(top1(out[0]), "jumping jacks")
        let usage = try Binary.run(["classify", "-0", "x.gif"])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("-0 describes the '-' list"), usage.stderr)
    }

    func testEveryJSONRecordHasTheSchemaAndFramesIsAlwaysANumber() throws {
        let gif = try sample("jumpingjack.gif")
        var objects: [[String: Any]] = []
        for command in [["classify", "--format", "jsonl"], ["classify", "--format", "json"],
                        ["stream", "--format", "jsonl", "--every-frame"], ["stream", "--format", "json", "--every-frame"]] {
            let r = try Binary.run(command + model + [gif, "/nonexistent.gif"])
            XCTAssertEqual(r.status, 1, r.stderr)
            if command.contains("json") {
                objects += try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            } else {
                objects += try records(r.stdout)
            }
        }
        let inspect = try Binary.run(["inspect", "--format", "json", gif])
        let reports = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]])
        objects += reports
        for o in objects {
            XCTAssertEqual(o["schema"] as? Int, 1, "\(o)")
            if let frames = o["frames"] { XCTAssertTrue(frames is NSNumber, "\(o)") }
        }
        XCTAssertEqual(reports[0]["frames"] as? Int, 8)
        XCTAssertEqual((reports[0]["samples"] as? [Any])?.count, 8)
        let perFrame = objects.first { $0["predictions"] != nil }
        XCTAssertEqual((perFrame?["predictions"] as? [Any])?.count, 8)
        XCTAssertEqual(perFrame?["frames"] as? Int, 8)
    }

    func testStartAndDurationClassifyAPartOfTheVideo() throws {
        let video = try sample("mmaction2_demo.mp4")
        let r = try Binary.run(["stream", "--every-frame", "--format", "jsonl", "-k", "1", "--start", "0:03",
                                "--duration", "2"] + model + [video])
        XCTAssertEqual(r.status, 0, r.stderr)
        let frames = try records(r.stdout)
        XCTAssertEqual(frames.count, 10)
        for (k, f) in frames.enumerated() {
            XCTAssertEqual((f["timestamp"] as? NSNumber)?.doubleValue ?? -1, 3 + Double(k) / 5, accuracy: 1e-9)
        }
        let past = try Binary.run(["classify", "--format", "jsonl", "--start", "20"] + model + [video])
        XCTAssertEqual(past.status, 1)
        XCTAssertEqual(try records(past.stdout)[0]["error"] as? String,
                       "no frames from 20.0 s on: the video ends at 9.964 s")
        for bad in [["--start", "-1"], ["--duration", "0"], ["--start", "1:75:00"], ["--start", "x"]] {
            let u = try Binary.run(["classify"] + bad + [video])
            XCTAssertEqual(u.status, 2, "\(bad): \(u.stderr)")
        }
    }
}

/// The kind of file at a path, as `stat` reports it, for checks that a path stayed what it was.
enum FileStatusKind {
    static func of(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "missing" }
        switch st.st_mode & S_IFMT {
        case S_IFIFO: return "fifo"
        case S_IFCHR: return "character device"
        case S_IFREG: return "regular"
        case S_IFLNK: return "link"
        default: return "other"
        }
    }
}
