// Display matrices: the turn chosen for each of the eight rotations/mirrorings (FFmpeg 5.1's
// rules), the RGB turn against a naive twin built from transpose and flips, and decoded frames of
// phone-style clips against ffmpeg's own autorotated output, byte for byte.

import Foundation
import TestSupport
import VideoDecoding
import XCTest

final class OrientationTests: XCTestCase {
    /// The eight matrices [a b; c d] and what FFmpeg's CLI does with each; `rotate=270` metadata
    /// (a phone held upright, stored sideways) writes [0 1; -1 0].
    static let cases: [(name: String, matrix: (Int32, Int32, Int32, Int32), expected: Orientation)] = [
        ("identity", (1, 0, 0, 1), .upright),
        ("rotate=270", (0, 1, -1, 0), .clockwise),
        ("rotate=90", (0, -1, 1, 0), .counterclockwise),
        ("rotate=180", (-1, 0, 0, -1), .upsideDown),
        ("hflip", (-1, 0, 0, 1), .mirrored),
        ("vflip", (1, 0, 0, -1), .flipped),
        ("transpose", (0, 1, 1, 0), .transposed),
        ("antitranspose", (0, -1, -1, 0), .antitransposed),
    ]

    func testEachMatrixGivesFFmpegsTurn() {
        for c in Self.cases {
            let m = Tools.displayMatrix(c.matrix.0, c.matrix.1, c.matrix.2, c.matrix.3)
            let decided = Orientation.forDisplayMatrix(m)
            XCTAssertEqual(decided.orientation, c.expected, c.name)
            XCTAssertNil(decided.unsupportedAngle, c.name)
        }
        // 45°: FFmpeg would resample with its rotate filter; we keep the frame and report the angle.
        let s = Int32((sqrt(0.5) * 65536).rounded())
        let odd = Orientation.forDisplayMatrix([s, s, 0, -s, s, 0, 0, 0, 1 << 30])
        XCTAssertEqual(odd.orientation, .upright)
        XCTAssertEqual(odd.unsupportedAngle ?? 0, 45, accuracy: 0.5)
    }

    // MARK: naive twin

    /// (height, width) pixels, each an array of 3 bytes.
    typealias Image = [[[UInt8]]]
    func transpose(_ a: Image) -> Image { (0..<a[0].count).map { c in a.map { $0[c] } } }
    func hflip(_ a: Image) -> Image { a.map { Array($0.reversed()) } }
    func vflip(_ a: Image) -> Image { Array(a.reversed()) }

    func naive(_ o: Orientation, _ a: Image) -> Image {
        switch o {
        case .upright: return a
        case .clockwise: return hflip(transpose(a))
        case .counterclockwise: return vflip(transpose(a))
        case .transposed: return transpose(a)
        case .antitransposed: return vflip(hflip(transpose(a)))
        case .upsideDown: return vflip(hflip(a))
        case .mirrored: return hflip(a)
        case .flipped: return vflip(a)
        }
    }

    func testRGBTurnEqualsTransposeAndFlipsComposed() {
        let width = 5, height = 3
        let rgb = (0..<(width * height * 3)).map { UInt8($0) }
        let image: Image = (0..<height).map { y in (0..<width).map { x in Array(rgb[((y * width + x) * 3)..<((y * width + x) * 3 + 3)]) } }
        for o in Orientation.allCases {
            let turned = o.apply(rgb: rgb, width: width, height: height)
            let expected = naive(o, image)
            XCTAssertEqual(turned.height, expected.count, "\(o)")
            XCTAssertEqual(turned.width, expected[0].count, "\(o)")
            XCTAssertEqual(turned.rgb, expected.flatMap { $0.flatMap { $0 } }, "\(o)")
        }
    }

    // MARK: against ffmpeg

    func sampled(_ path: String, fps: Double = 5, autorotate: Bool = true) throws -> (VideoInfo, [VideoFrame]) {
        let frames = try SampledFrames(path: path, fps: fps, options: DecodingOptions(autorotate: autorotate))
        var out: [VideoFrame] = []
        while let f = try frames.next() { out.append(f) }
        return (frames.source.info, out)
    }

    /// Our frames of `path` equal `ffmpeg -i path -vf fps=5 -pix_fmt rgb24` (which autorotates).
    func assertMatchesFFmpeg(_ path: String, _ message: String, noAutorotate: Bool = false,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let (info, ours) = try sampled(path, autorotate: !noAutorotate)
        let theirs = try Tools.ffmpegFrames(path, input: noAutorotate ? ["-noautorotate"] : [],
                                            output: ["-vf", "fps=5"], width: info.width, height: info.height)
        XCTAssertEqual(ours.count, theirs.count, message, file: file, line: line)
        XCTAssertGreaterThan(ours.count, 0, message, file: file, line: line)
        for (k, (a, b)) in zip(ours, theirs).enumerated() {
            XCTAssertEqual(a.width, info.width, message, file: file, line: line)
            XCTAssertTrue(a.rgb == b, "\(message): frame \(k) differs from ffmpeg's", file: file, line: line)
        }
    }

    /// A 96×64 clip (wider than tall, so a wrong swap shows), 1 s at 10 fps.
    func clip(_ dir: URL, pixelFormat: String) throws -> URL {
        let url = dir.appendingPathComponent("clip-\(pixelFormat).mp4")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1", "-c:v", "libx264",
                          "-pix_fmt", pixelFormat, url.path])
        return url
    }

    func testEveryMatrixOnYUV420AndYUV422FramesEqualFFmpegsAutorotation() throws {
        let dir = try temporaryDirectory(self)
        // 4:2:0 is turned plane by plane, as FFmpeg's transpose/flip filters do; 4:2:2 is what
        // vf_transpose refuses, so FFmpeg (and we) convert to RGB24 first, then turn.
        for format in ["yuv420p", "yuv422p"] {
            let source = try clip(dir, pixelFormat: format)
            for c in Self.cases {
                let url = dir.appendingPathComponent("\(format)-\(c.name).mp4")
                try FileManager.default.copyItem(at: source, to: url)
                try Tools.setDisplayMatrix(url, Tools.displayMatrix(c.matrix.0, c.matrix.1, c.matrix.2, c.matrix.3))
                let info = try VideoSource(path: url.path).info
                XCTAssertEqual(info.orientation, c.expected, "\(format) \(c.name)")
                XCTAssertEqual(info.width, c.expected.swapsSides ? 64 : 96, "\(format) \(c.name)")
                try assertMatchesFFmpeg(url.path, "\(format) \(c.name)")
            }
        }
    }

    /// The recipe: a sample turned sideways, then `-metadata:s:v rotate=270` (ffprobe
    /// `rotation=-90`), as a phone stores a portrait video.
    func testPhoneClipIsTurnedUprightAndOptingOutKeepsItSideways() throws {
        guard let gif = try SharedFiles.url("samples/jumpingjack.gif") else { throw XCTSkip("no shared samples") }
        let dir = try temporaryDirectory(self)
        let side = dir.appendingPathComponent("side.mp4"), phone = dir.appendingPathComponent("phone.mp4")
        try Tools.ffmpeg(["-i", gif.path, "-vf", "transpose=cclock", "-c:v", "libx264", "-pix_fmt", "yuv420p", side.path])
        try Tools.ffmpeg(["-i", side.path, "-c", "copy", "-metadata:s:v", "rotate=270", phone.path])
        let probe = String(decoding: try Tools.check("ffprobe", ["-v", "error", "-select_streams", "v",
            "-show_entries", "stream_side_data=rotation", "-of", "csv=p=0", phone.path]), as: UTF8.self)
        XCTAssertEqual(probe.trimmingCharacters(in: .whitespacesAndNewlines), "-90")
        let (info, upright) = try sampled(phone.path)
        XCTAssertEqual(info.rotation, -90)
        XCTAssertEqual(info.orientation, .clockwise)
        try assertMatchesFFmpeg(phone.path, "phone.mp4")
        try assertMatchesFFmpeg(phone.path, "phone.mp4 -noautorotate", noAutorotate: true)
        // Opting out gives the stored (sideways) frames: the same as the file without the matrix.
        let (storedInfo, stored) = try sampled(phone.path, autorotate: false)
        let (_, sideFrames) = try sampled(side.path)
        XCTAssertEqual(storedInfo.orientation, .upright)
        XCTAssertEqual(storedInfo.rotation, -90)
        XCTAssertEqual(stored.map(\.rgb), sideFrames.map(\.rgb))
        XCTAssertNotEqual(stored.map(\.rgb), upright.map(\.rgb))
    }
}
