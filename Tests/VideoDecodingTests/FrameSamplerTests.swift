// Frame-rate sampling: the fps-filter rule on hand-made timestamps, and frame-for-frame agreement
// with `ffmpeg -vf fps=N` on clips generated here (several rates, containers and a VFR clip).

import Foundation
import VideoDecoding
import XCTest

final class FrameSamplerTests: XCTestCase {
    /// Copies per frame for a list of (timestamp, duration).
    func copies(fps: Double, _ frames: [(Double, Double)]) -> [Int] {
        var s = FrameSampler(fps: fps)
        var out: [Int] = []
        for (t, _) in frames {
            let n = s.take(timestamp: t)
            if !out.isEmpty || n != 0 { out.append(n) }
            if out.isEmpty { out.append(-1) }   // placeholder for the first frame, answered next call
        }
        out.removeFirst()
        out.append(s.finish(endTimestamp: frames.last.map { $0.0 + $0.1 }))
        return out
    }

    func testThirtyToFiveKeepsTheLastFrameOfEachSlot() {
        // Slot of frame i is round(i / 6) with halves up: frames 0–2 → 0, 3–8 → 1, 9–14 → 2, …
        // Each slot shows the last frame that reached it; the end (1 s) is slot 5.
        let c = copies(fps: 5, (0..<30).map { (Double($0) / 30, 1.0 / 30) })
        XCTAssertEqual(c.indices.filter { c[$0] > 0 }, [2, 8, 14, 20, 26])
        XCTAssertEqual(c.reduce(0, +), 5)
    }

    func testSlowInputIsRepeated() {
        // 2 fps → 5 fps: slots 0, 3 (2.5 rounds up), 5; end 1.5 s → slot 8 (7.5 rounds up).
        XCTAssertEqual(copies(fps: 5, [(0, 0.5), (0.5, 0.5), (1.0, 0.5)]), [3, 2, 3])
    }

    func testZeroKeepsEveryFrame() {
        XCTAssertEqual(copies(fps: 0, [(0, 0.1), (0.1, 0.1), (0.1, 0.1), (5, 0.1)]), [1, 1, 1, 1])
    }

    func testUnknownEndFillsTheLastFrameSlotOnly() {
        var s = FrameSampler(fps: 5)
        XCTAssertEqual(s.take(timestamp: 0), 0)
        XCTAssertEqual(s.take(timestamp: 0.2), 1)
        XCTAssertEqual(s.finish(endTimestamp: nil), 1)
        XCTAssertEqual(s.finish(endTimestamp: nil), 0)   // nothing held any more
    }

    // MARK: against FFmpeg

    /// Our sampled frames equal `ffmpeg -vf fps=<fps>` frame for frame (bytes and count).
    func assertMatchesFFmpeg(_ path: String, fps: String, width: Int, height: Int,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try TestFiles.ffmpegFrames(path, width: width, height: height, ["-vf", "fps=\(fps)"])
        let parts = fps.split(separator: "/").compactMap { Double($0) }
        let rate = parts.count == 2 ? parts[0] / parts[1] : parts[0]
        let frames = try SampledFrames(path: path, fps: rate)
        var ours: [[UInt8]] = []
        while let f = try frames.next() { ours.append(f.rgb) }
        XCTAssertEqual(ours.count, expected.count, "frame count at fps=\(fps) for \(path)", file: file, line: line)
        let firstMismatch = zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        XCTAssertNil(firstMismatch, "first differing output frame at fps=\(fps) for \(path)", file: file, line: line)
        XCTAssertEqual(frames.sampledCount, ours.count)
    }

    func makeClip(_ name: String, rate: String, seconds: Double, codec: [String], filter: [String] = [],
                  in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i",
                                     "testsrc2=size=64x48:rate=\(rate):duration=\(seconds)"]
                          + filter + codec + ["-y", path])
        return path
    }

    func testConstantRateClipsMatchFFmpeg() throws {
        let dir = try TestFiles.tempDir()
        let clips = [
            try makeClip("c30.mp4", rate: "30", seconds: 3.1, codec: ["-c:v", "libx264", "-pix_fmt", "yuv420p"], in: dir),
            try makeClip("c25.mkv", rate: "25", seconds: 2.96, codec: ["-c:v", "ffv1"], in: dir),
            try makeClip("c2997.mp4", rate: "30000/1001", seconds: 3, codec: ["-c:v", "mpeg4", "-q:v", "2"], in: dir),
            try makeClip("c2.mkv", rate: "2", seconds: 3, codec: ["-c:v", "ffv1"], in: dir),
        ]
        for clip in clips {
            for fps in ["5", "1", "7", "12.5", "24000/1001"] {
                try assertMatchesFFmpeg(clip, fps: fps, width: 64, height: 48)
            }
        }
    }

    func testVariableRateClipMatchesFFmpeg() throws {
        let dir = try TestFiles.tempDir()
        // Frame times wobble around 1/30 s steps (gaps from 13 ms to 53 ms), kept as they are.
        let clip = try makeClip("vfr.mkv", rate: "30", seconds: 3, codec: ["-c:v", "ffv1"],
                                filter: ["-vf", "setpts='(N/30+0.01*sin(N))/TB'", "-fps_mode", "passthrough"], in: dir)
        for fps in ["5", "10", "24"] {
            try assertMatchesFFmpeg(clip, fps: fps, width: 64, height: 48)
        }
    }
}
