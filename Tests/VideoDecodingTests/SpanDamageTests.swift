// What users feed the decoder beyond plain files: a span of a video (--start/--duration, against
// `ffmpeg -ss -t -i`), damaged H.264 (errors counted as ffmpeg counts them), inputs too short for
// the frame rate (a still image, one or two frames), and FIFOs named explicitly.

import Foundation
import TestSupport
import VideoDecoding
import XCTest

final class SpanDamageTests: XCTestCase {
    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no shared sample \(name)") }
        return url.path
    }

    func sampled(_ path: String, fps: Double = 5, _ options: DecodingOptions = DecodingOptions())
        throws -> (SampledFrames, [VideoFrame]) {
        let frames = try SampledFrames(path: path, fps: fps, options: options)
        var out: [VideoFrame] = []
        while let f = try frames.next() { out.append(f) }
        return (frames, out)
    }

    // MARK: spans

    func testSpansEqualFFmpegSeekingAndTrimming() throws {
        // 3.3 s starts between frames whose fps slots round differently unless the start is taken
        // into the stream's time base as ffmpeg does (one rescale, in integers).
        let spans: [(String, Double, Double)] = [
            ("mmaction2_demo.mp4", 3.3, 5), ("mmaction2_demo.mp4", 0.5, 2), ("mmaction2_demo.mp4", 7.1, 30),
            ("mmaction2_demo.mp4", 9.9, 1), ("carving_ice.mp4", 1.1, 0.5), ("jumpingjack.gif", 0.3, 1),
        ]
        for (name, start, duration) in spans {
            let path = try sample(name)
            let (frames, ours) = try sampled(path, DecodingOptions(start: start, duration: duration))
            let info = frames.source.info
            let theirs = try Tools.ffmpegFrames(path, input: ["-ss", "\(start)", "-t", "\(duration)"],
                                                output: ["-vf", "fps=5"], width: info.width, height: info.height)
            let label = "\(name) from \(start) s for \(duration) s"
            XCTAssertGreaterThan(ours.count, 0, label)
            XCTAssertEqual(ours.count, theirs.count, label)
            XCTAssertTrue(zip(ours, theirs).allSatisfy { $0.rgb == $1 }, "\(label): frames differ from ffmpeg's")
            XCTAssertTrue(ours.allSatisfy { $0.timestamp >= start - 1e-9 }, label)
            XCTAssertEqual(frames.source.warnings, [], label)
        }
    }

    func testAStartPastTheEndSaysWhereTheVideoEnds() throws {
        XCTAssertThrowsError(try sampled(try sample("mmaction2_demo.mp4"), DecodingOptions(start: 20))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no frames from 20.0 s on: the video ends at 9.96"), text)
        }
    }

    // MARK: damage

    func testBitFlippedH264CountsDecodeErrorsAndConcealedFramesLikeFFmpeg() throws {
        let dir = try temporaryDirectory(self)
        let clean = dir.appendingPathComponent("clean.mp4"), damaged = dir.appendingPathComponent("damaged.mp4")
        try Tools.ffmpeg(["-i", try sample("carving_ice.mp4"), "-an", "-c:v", "copy", clean.path])
        try Tools.flipBits(clean, to: damaged)

        let cleanSource = try VideoSource(path: clean.path)
        while try cleanSource.nextFrame() != nil {}
        XCTAssertEqual(cleanSource.damage, DecodeDamage())
        XCTAssertEqual(cleanSource.warnings, [])

        let source = try VideoSource(path: damaged.path)
        var decoded = 0
        while try source.nextFrame() != nil { decoded += 1 }
        // ffmpeg's own account of the same file, single-threaded so that it is deterministic: its
        // "Error while decoding stream" lines (failed decode calls) and "corrupt decoded frame"
        // lines (frames returned with errors concealed) — and the frames it decodes.
        let report = try Tools.run("ffmpeg", ["-nostdin", "-threads", "1", "-i", damaged.path, "-f", "null", "-"])
        let errors = report.stderr.components(separatedBy: "Error while decoding stream").count - 1
        let corrupt = report.stderr.components(separatedBy: "corrupt decoded frame").count - 1
        let frameCount = try Tools.ffmpegFrames(damaged.path, output: ["-vsync", "passthrough"], width: 172, height: 172).count
        print("damaged.mp4: ffmpeg \(errors) decode errors, \(corrupt) corrupt frames, \(frameCount) frames; "
              + "ours \(source.damage), \(decoded) frames")
        XCTAssertGreaterThan(errors, 0)
        XCTAssertEqual(source.damage.decodeErrors, errors)
        XCTAssertEqual(decoded, frameCount)
        // Frame threading conceals differently from run to run (ffmpeg's own count varies too), so
        // the count is only bounded: at least one, at most every frame.
        XCTAssertGreaterThan(corrupt, 0)
        XCTAssertGreaterThan(source.damage.concealedFrames, 0)
        XCTAssertLessThanOrEqual(source.damage.concealedFrames, decoded)
        XCTAssertEqual(source.warnings.count, 1)
        XCTAssertTrue(source.warnings[0].hasPrefix("damaged video: \(errors) decode error"), source.warnings[0])
        XCTAssertTrue(source.warnings[0].contains("frames with concealed errors"), source.warnings[0])
    }

    // MARK: too short for the rate

    func testStillImagesAndOneOrTwoFrameClipsGiveOneFrame() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        let clips = [("still.png", ["-frames:v", "1"]), ("still.jpg", ["-frames:v", "1"]),
                     ("one.mp4", ["-frames:v", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p"]),
                     ("two.mp4", ["-frames:v", "2", "-r", "30", "-c:v", "libx264", "-pix_fmt", "yuv420p"])]
        for (name, args) in clips {
            let url = dir.appendingPathComponent(name)
            try Tools.ffmpeg(["-i", gif] + args + [url.path])
            let (frames, ours) = try sampled(url.path)
            // ffmpeg's fps filter gives these nothing at 5 fps; we give the last decoded frame once.
            let every = try Tools.ffmpegFrames(url.path, output: ["-vsync", "passthrough"], width: 300, height: 300)
            XCTAssertEqual(ours.count, 1, name)
            XCTAssertEqual(frames.decodedCount, every.count, name)
            XCTAssertTrue(ours.first?.rgb == every.last, "\(name): not ffmpeg's last frame")
        }
    }

    // MARK: FIFOs

    /// Writes `data` into the FIFO at `path` from another thread (opening it blocks until read).
    func feed(_ path: String, _ data: Data) -> Thread {
        let thread = Thread {
            if let h = FileHandle(forWritingAtPath: path) { h.write(data); try? h.close() }
        }
        thread.start()
        return thread
    }

    func testFIFONamedExplicitlyIsReadAsAStream() throws {
        let dir = try temporaryDirectory(self)
        let gif = try sample("jumpingjack.gif")
        let ts = dir.appendingPathComponent("clip.ts")
        try Tools.ffmpeg(["-i", try sample("carving_ice.mp4"), "-c", "copy", "-f", "mpegts", ts.path])
        for file in [gif, ts.path] {
            let fifo = dir.appendingPathComponent("fifo-\(UUID().uuidString)").path
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            _ = feed(fifo, try Data(contentsOf: URL(fileURLWithPath: file)))
            let (_, viaFIFO) = try sampled(fifo)
            let (_, direct) = try sampled(file)
            XCTAssertGreaterThan(direct.count, 0)
            XCTAssertEqual(viaFIFO.map(\.rgb), direct.map(\.rgb), file)
        }
    }
}
