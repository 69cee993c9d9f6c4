// GIF compositing against pixels worked out by hand from the GIF89a rules, on GIFs made here with
// giflib's encoder; disposal 2/3 also cross-checked with FFmpeg's GIF decoder.

import Foundation
import VideoDecoding
import XCTest

final class GIFCompositingTests: XCTestCase {
    // Palette letters for the expected pictures.
    static let colours: [Character: TestGIF.RGB] = [
        "K": (0, 0, 0), "R": (255, 0, 0), "G": (0, 255, 0), "B": (0, 0, 255), "W": (255, 255, 255), "Y": (255, 255, 0),
    ]
    static let global: [TestGIF.RGB] = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)]   // K R G B

    /// "RRRR/RGRR/…" → RGB24 bytes.
    func picture(_ rows: String) -> [UInt8] {
        rows.split(separator: "/").flatMap { $0.flatMap { c -> [UInt8] in
            let (r, g, b) = Self.colours[c]!
            return [r, g, b]
        } }
    }

    func decode(_ gif: TestGIF) throws -> (frames: [VideoFrame], warnings: [String], path: String) {
        let dir = try TestFiles.tempDir()
        let path = dir.appendingPathComponent("t.gif").path
        try gif.write(to: path)
        let (frames, warnings) = try TestFiles.decodeAll(path)
        return (frames, warnings, path)
    }

    func full(_ index: UInt8, disposal: Int = 1) -> TestGIF.Frame {
        TestGIF.Frame(width: 4, height: 4, indices: Array(repeating: index, count: 16), disposal: disposal)
    }

    func testDoNotDisposeTransparencyOffsetsAndLocalPalette() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, background: 3, frames: [
            full(1),
            TestGIF.Frame(left: 1, top: 1, width: 2, height: 2, indices: [2, 0, 0, 2], transparent: 0),
            TestGIF.Frame(left: 0, top: 0, width: 1, height: 4, indices: [1, 1, 1, 1], palette: [(255, 255, 255), (255, 255, 0)]),
        ])
        let (frames, warnings, _) = try decode(gif)
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(frames.map { "\($0.width)×\($0.height)" }, ["4×4", "4×4", "4×4"])
        XCTAssertEqual(frames[0].rgb, picture("RRRR/RRRR/RRRR/RRRR"))
        XCTAssertEqual(frames[1].rgb, picture("RRRR/RGRR/RRGR/RRRR"))
        XCTAssertEqual(frames[2].rgb, picture("YRRR/YGRR/YRGR/YRRR"))
    }

    func testUnspecifiedDisposalKeepsTheFrame() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, background: 3, frames: [
            full(1, disposal: 0),
            TestGIF.Frame(left: 2, top: 0, width: 2, height: 1, indices: [2, 2], disposal: 0),
            TestGIF.Frame(left: 0, top: 3, width: 1, height: 1, indices: [0], disposal: 0),
        ])
        let (frames, _, _) = try decode(gif)
        XCTAssertEqual(frames.map(\.rgb), [
            picture("RRRR/RRRR/RRRR/RRRR"), picture("RRGG/RRRR/RRRR/RRRR"), picture("RRGG/RRRR/RRRR/KRRR"),
        ])
    }

    func testFirstFrameTransparencyAndUncoveredScreenAreBlack() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, background: 1, frames: [
            TestGIF.Frame(left: 1, top: 1, width: 2, height: 2, indices: [2, 3, 3, 2], transparent: 3),
        ])
        let (frames, _, _) = try decode(gif)
        XCTAssertEqual(frames.map(\.rgb), [picture("KKKK/KGKK/KKGK/KKKK")])
    }

    func testRestoreToBackgroundFillsTheRectangleWithTheBackgroundColour() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, background: 3, frames: [
            full(1),
            TestGIF.Frame(left: 1, top: 1, width: 2, height: 2, indices: [2, 2, 2, 2], disposal: 2),
            TestGIF.Frame(left: 0, top: 0, width: 1, height: 1, indices: [0]),
        ])
        let (frames, _, path) = try decode(gif)
        XCTAssertEqual(frames.map(\.rgb), [
            picture("RRRR/RRRR/RRRR/RRRR"), picture("RRRR/RGGR/RGGR/RRRR"), picture("KRRR/RBBR/RBBR/RRRR"),
        ])
        XCTAssertEqual(frames.map(\.rgb), try TestFiles.ffmpegFrames(path, width: 4, height: 4, ["-fps_mode", "passthrough"]))
    }

    func testRestoreToPreviousPutsBackWhatWasUnder() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, background: 3, frames: [
            full(1),
            TestGIF.Frame(left: 2, top: 2, width: 2, height: 2, indices: [3, 3, 3, 3]),
            TestGIF.Frame(left: 1, top: 1, width: 2, height: 2, indices: [2, 2, 2, 2], disposal: 3),
            TestGIF.Frame(left: 3, top: 0, width: 1, height: 1, indices: [0], disposal: 3),
            TestGIF.Frame(left: 0, top: 3, width: 1, height: 1, indices: [2]),
        ])
        let (frames, _, path) = try decode(gif)
        XCTAssertEqual(frames.map(\.rgb), [
            picture("RRRR/RRRR/RRRR/RRRR"),
            picture("RRRR/RRRR/RRBB/RRBB"),
            picture("RRRR/RGGR/RGGB/RRBB"),
            picture("RRRK/RRRR/RRBB/RRBB"),   // frame 2 undone, frame 3 drawn
            picture("RRRR/RRRR/RRBB/GRBB"),   // frame 3 undone too
        ])
        XCTAssertEqual(frames.map(\.rgb), try TestFiles.ffmpegFrames(path, width: 4, height: 4, ["-fps_mode", "passthrough"]))
    }

    func testInterlacedImageDecodesLikeTheProgressiveOne() throws {
        let w = 5, h = 11   // 11 rows: every interlace pass has rows
        let indices = (0..<(w * h)).map { UInt8($0 % 16) }
        var palette: [TestGIF.RGB] = []
        for i in 0..<16 {
            let v = UInt8(i * 16)
            palette.append((v, 255 - v, UInt8(i * 7)))
        }
        var frames: [[UInt8]] = []
        for interlace in [false, true] {
            let gif = TestGIF(width: w, height: h, global: palette, frames: [
                TestGIF.Frame(width: w, height: h, indices: indices, interlace: interlace),
            ])
            frames.append(try decode(gif).frames[0].rgb)
        }
        var expected: [UInt8] = []
        for i in indices {
            let c = palette[Int(i)]
            expected += [c.0, c.1, c.2]
        }
        XCTAssertEqual(frames[0], expected)
        XCTAssertEqual(frames[1], expected)
    }

    func testSubFrameReachingPastTheScreenIsClipped() throws {
        let gif = TestGIF(width: 4, height: 4, global: Self.global, frames: [
            full(1),
            TestGIF.Frame(left: 2, top: 3, width: 4, height: 2, indices: Array(repeating: 2, count: 8)),
        ])
        let (frames, _, _) = try decode(gif)
        XCTAssertEqual(frames[1].rgb, picture("RRRR/RRRR/RRRR/RRGG"))
    }

    func testDelaysBecomeTimestamps() throws {
        var f = [full(1), full(2), full(3), full(1)]
        for (i, d) in [5, 0, 1, 20].enumerated() { f[i].delay = d }
        let (frames, _, _) = try decode(TestGIF(width: 4, height: 4, global: Self.global, frames: f))
        // Delays under 2/100 s are shown for 1/10 s, as browsers and FFmpeg do.
        XCTAssertEqual(frames.map(\.timestamp), [0, 0.05, 0.15, 0.25])
        XCTAssertEqual(frames.map { $0.duration ?? -1 }, [0.05, 0.1, 0.1, 0.2])
        XCTAssertEqual(frames.map(\.index), [0, 1, 2, 3])
        let info = try VideoSource(path: try decode(TestGIF(width: 4, height: 4, global: Self.global, frames: f)).path).info
        XCTAssertEqual(info.frameCountHint, 4)
        XCTAssertEqual(info.duration ?? 0, 0.45, accuracy: 1e-9)
        XCTAssertEqual(info.container, "gif")
    }
}
