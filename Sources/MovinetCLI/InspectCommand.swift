// `movinet inspect`: what the model will see of each input — container, codec, size, rotation,
// rate, the decoded and sampled frame counts, and per sampled frame its timestamp and RGB24 SHA-256.

import ArgumentParser
import Foundation
import VideoDecoding

enum InspectFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what the model will see of videos and GIFs: format, size, rate, sampled frames.",
        discussion: """
            Per sampled frame: its timestamp, the SHA-256 of its decoded RGB24 bytes (before \
            resizing) and the SHA-256 of the model input after resizing to --size (rounded to \
            8 bits). Exit status: 0 all inputs read, 1 some failed (the others are still shown).
            """)

    @Argument(help: "Videos or GIFs: files, http(s):// or file: URLs, or - for standard input.")
    var files: [String]

    @Option(help: "Frames per second to sample, by timestamps (0 keeps every frame).")
    var fps: Double = 5

    @Option(help: "Side of the square model input the frames are resized to (172 for A0/A1, 224 for A2).")
    var size: Int = 172

    @Option(help: "Output format: text or json.")
    var format: InspectFormat = .text

    @Flag(name: .customLong("autorotate"), inversion: .prefixedNo,
          help: "Turn frames upright by the video's display matrix (phone videos), as players do.")
    var autorotate = true

    @Option(help: ArgumentHelp("Start this far into each video (seconds, MM:SS or HH:MM:SS).", valueName: "time"))
    var start: Seconds?

    @Option(help: ArgumentHelp("Read only this long a span (seconds, MM:SS or HH:MM:SS).", valueName: "time"))
    var duration: Seconds?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file") }
        if !(fps >= 0 && fps <= 1000) { throw ValidationError("--fps must be a number from 0 to 1000") }
        if size < 1 || size > 4096 { throw ValidationError("--size must be between 1 and 4096") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        if let duration, !(duration.value > 0) { throw ValidationError("--duration must be more than 0") }
    }

    var decoding: DecodingOptions {
        DecodingOptions(autorotate: autorotate, start: start?.value ?? 0, duration: duration?.value)
    }

    func run() throws {
        var reports: [InspectReport] = []
        var failed = false
        for file in files {
            let report = inspect(file)
            if let error = report.error {
                failed = true
                printError("movinet: \(file): \(error)")
            }
            for w in report.warnings ?? [] { printError("movinet: \(file): warning: \(w)") }
            if format == .text {
                StandardOutput.write(report.text)
                StandardOutput.flush()
            }
            if StandardOutput.failure != nil { return }   // runAndExit reports it
            reports.append(report)
        }
        if format == .json {
            StandardOutput.write("[\n" + reports.map { $0.json }.joined(separator: ",\n") + "\n]\n")
        }
        if failed { throw ExitCode(1) }
    }

    private func printError(_ line: String) {
        Diagnostics.shared.fatal(line)
    }

    private func inspect(_ file: String) -> InspectReport {
        do {
            let frames = try SampledFrames(path: file, fps: fps, options: decoding)
            let info = frames.source.info
            var sampled: [InspectReport.Frame] = []
            var lastIndex = -1
            var lastDigest = ("", "")
            var resized = [Float](repeating: 0, count: size * size * 3)
            var bytes = [UInt8](repeating: 0, count: size * size * 3)
            while let frame = try frames.next() {
                if frame.index != lastIndex {   // a repeated frame has the digests already computed
                    lastIndex = frame.index
                    frame.rgb.withUnsafeBufferPointer { src in
                        resized.withUnsafeMutableBufferPointer { dst in
                            Preprocess.resize(rgb: src, width: frame.width, height: frame.height, size: size,
                                              centerCrop: false, into: dst, multiplier: 1)
                        }
                    }
                    for i in 0..<bytes.count { bytes[i] = UInt8(max(0, min(255, resized[i].rounded(.toNearestOrEven)))) }
                    lastDigest = (SHA256.hexDigest(frame.rgb), SHA256.hexDigest(bytes))
                }
                sampled.append(.init(index: frame.index, timestamp: frame.timestamp, sha256: lastDigest.0,
                                     input_sha256: lastDigest.1))
            }
            return InspectReport(
                file: file, error: nil, container: info.container, codec: info.codec, width: info.width,
                height: info.height, rotation: info.rotation, orientation: info.orientation.rawValue,
                frame_rate: info.frameRate, duration: info.duration,
                decoded_frames: frames.decodedCount, sampled_frames: frames.sampledCount, fps: fps,
                input_size: size, frames: sampled, warnings: frames.source.warnings)
        } catch let error as VideoDecodingError {
            return InspectReport(file: file, error: error.problem)
        } catch {
            return InspectReport(file: file, error: "\(error)")
        }
    }
}

/// One input's inspection, or its error.
struct InspectReport {
    struct Frame {
        var index: Int           // among all decoded frames
        var timestamp: Double    // seconds
        var sha256: String       // of the decoded RGB24 bytes (height, width, 3)
        var input_sha256: String // of the resized (size, size, 3) frame rounded to UInt8
    }

    var file: String
    var error: String?
    var container: String?
    var codec: String?
    var width: Int?
    var height: Int?
    var rotation: Double?     // the display matrix's angle as ffprobe prints it; nil: none
    var orientation: String?  // the turn applied ("none", "transpose=clock", …)
    var frame_rate: Double?
    var duration: Double?
    var decoded_frames: Int?
    var sampled_frames: Int?
    var fps: Double?
    var input_size: Int?
    var frames: [Frame]?
    var warnings: [String]?

    /// One JSON object (schema 1, see `RecordWriter.schemaVersion`), keys in a fixed order:
    /// `frames` is the number of sampled frames, `samples` lists them; a failed input has only
    /// `schema`, `file` and `error`.
    var json: String {
        func str(_ v: String) -> String { JSONText.string(v) }
        func num(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
        var fields = [("schema", "\(RecordWriter.schemaVersion)"), ("file", str(file))]
        if let error {
            fields.append(("error", str(error)))
        } else {
            fields += [
                ("container", str(container ?? "")), ("codec", str(codec ?? "")),
                ("width", "\(width ?? 0)"), ("height", "\(height ?? 0)"),
                ("rotation", num(rotation)), ("orientation", str(orientation ?? "none")),
                ("frame_rate", num(frame_rate)), ("duration", num(duration)),
                ("decoded_frames", "\(decoded_frames ?? 0)"), ("frames", "\(sampled_frames ?? 0)"),
                ("fps", num(fps)), ("input_size", "\(input_size ?? 0)"),
                ("warnings", "[" + (warnings ?? []).map(str).joined(separator: ", ") + "]"),
                ("samples", "[" + (frames ?? []).map { f in
                    "\n      {\"index\": \(f.index), \"timestamp\": \(num(f.timestamp)), \"sha256\": \(str(f.sha256)), "
                        + "\"input_sha256\": \(str(f.input_sha256))}"
                }.joined(separator: ",") + ((frames ?? []).isEmpty ? "]" : "\n    ]")),
            ]
        }
        return "  {\n" + fields.map { "    \(str($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n  }"
    }

    var text: String {
        guard error == nil, let frames else { return "" }
        func num(_ x: Double?, _ digits: Int, _ unit: String) -> String {
            x.map { String(format: "%.\(digits)f", $0) + unit } ?? "unknown"
        }
        var lines = [file]
        let rows: [(String, String)] = [
            ("container", container ?? ""),
            ("codec", codec ?? ""),
            ("size", "\(width ?? 0)×\(height ?? 0)"),
            ("rotation", rotationText),
            ("frame rate", num(frame_rate, 3, " fps")),
            ("duration", num(duration, 3, " s")),
            ("decoded", "\(decoded_frames ?? 0) frames"),
            ("sampled", "\(sampled_frames ?? 0) frames " + ((fps ?? 0) > 0 ? "at \(num(fps, 3, " fps"))" : "(every frame)")),
            ("model input", "\(input_size ?? 0)×\(input_size ?? 0)"),
        ]
        for (k, v) in rows { lines.append("  " + k.padding(toLength: 12, withPad: " ", startingAt: 0) + v) }
        let indexWidth = max(5, String(frames.last?.index ?? 0).count)
        lines.append("  " + "#".leftPad(5) + " " + "frame".leftPad(indexWidth) + " " + "time (s)".leftPad(10)
                     + "  rgb24 sha256" + String(repeating: " ", count: 53) + "input sha256")
        for (i, f) in frames.enumerated() {
            lines.append("  " + String(i).leftPad(5) + " " + String(f.index).leftPad(indexWidth) + " "
                         + String(format: "%.4f", f.timestamp).leftPad(10) + "  " + f.sha256 + " " + f.input_sha256)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension InspectReport {
    /// `-90 (display matrix; turned: transpose=clock)`, `none`, or the matrix left unapplied.
    var rotationText: String {
        guard let rotation else { return "none" }
        let angle = rotation == rotation.rounded() ? "\(Int(rotation))" : String(format: "%.2f", rotation)
        let turn = orientation ?? "none"
        return angle + " (display matrix; " + (turn == "none" ? "not applied" : "turned: \(turn)") + ")"
    }
}

private extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
