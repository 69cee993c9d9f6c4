// Content sniffing for folder scans: every container and raw stream ffmpeg writes is recognised by
// FFmpeg's probe (no file extension involved), audio, subtitles, text and noise are not; and file
// names that are not UTF-8 survive the trip through a Swift string.

import Foundation
import TestSupport
import VideoDecoding
import XCTest

final class MediaProbeTests: XCTestCase {
    /// (file name without a telling extension, ffmpeg arguments making it from a test pattern).
    static let videos: [(String, [String])] = [
        ("ts", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"]),
        ("m2ts", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts", "-mpegts_m2ts_mode", "1"]),
        ("mxf", ["-r", "25", "-c:v", "mpeg2video", "-f", "mxf"]),
        ("y4m", ["-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe"]),
        ("dv", ["-s", "720x576", "-r", "25", "-pix_fmt", "yuv420p", "-c:v", "dvvideo", "-f", "dv"]),
        ("h264", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "h264"]),
        ("hevc", ["-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", "-f", "hevc"]),
        ("ivf", ["-c:v", "libvpx", "-f", "ivf"]),
        ("apng", ["-f", "apng"]),
        ("png", ["-frames:v", "1", "-c:v", "png", "-f", "image2pipe"]),
        ("jpeg", ["-frames:v", "1", "-c:v", "mjpeg", "-f", "image2pipe"]),
        ("gif", ["-f", "gif"]),
        ("mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4"]),
        ("webm", ["-c:v", "libvpx-vp9", "-f", "webm"]),
        ("mkv", ["-c:v", "mpeg4", "-f", "matroska"]),
        ("avi", ["-c:v", "mpeg4", "-f", "avi"]),
    ]

    func testEveryVideoFormatIsRecognisedByContent() throws {
        let dir = try temporaryDirectory(self)
        for (name, args) in Self.videos {
            let url = dir.appendingPathComponent("video-\(name).data")
            try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1"] + args + [url.path])
            XCTAssertEqual(MediaProbe.probe(url.path).isVideo, true, "\(name): \(MediaProbe.probe(url.path))")
        }
    }

    func testAudioSubtitlesTextAndNoiseAreNot() throws {
        let dir = try temporaryDirectory(self)
        func made(_ name: String, _ args: [String]) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try Tools.ffmpeg(args + [url.path])
            return url
        }
        let sine = ["-f", "lavfi", "-i", "sine=duration=1"]
        let png = try made("cover.png", ["-f", "lavfi", "-i", "testsrc2=size=32x32", "-frames:v", "1"])
        var files = [
            try made("a.wav", sine), try made("b.mp3", sine + ["-c:a", "libmp3lame"]),
            try made("c.m4a", sine + ["-c:a", "aac"]),
            try made("d.mp3", sine + ["-i", png.path, "-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "png",
                                      "-disposition:v", "attached_pic"]),
        ]
        let text = dir.appendingPathComponent("e.srt")
        try "1\n00:00:00,000 --> 00:00:01,000\nhello\n".write(to: text, atomically: true, encoding: .utf8)
        let notes = dir.appendingPathComponent("f.txt")
        try "just some notes\n".write(to: notes, atomically: true, encoding: .utf8)
        var rng = SystemRandomNumberGenerator()
        let noise = dir.appendingPathComponent("g.bin")
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: noise)
        let empty = dir.appendingPathComponent("h.empty")
        try Data().write(to: empty)
        files += [text, notes, noise, empty]
        for url in files {
            XCTAssertEqual(MediaProbe.probe(url.path).isVideo, false, "\(url.lastPathComponent): \(MediaProbe.probe(url.path))")
        }
        XCTAssertEqual(MediaProbe.probe(files[3].path), .notVideo(reason: "no video stream (a cover picture, audio only)"))
    }

    // MARK: names

    func testNamesThatAreNotUTF8RoundTripThroughStrings() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 1...12, using: &rng)).map { _ in UInt8.random(in: 1...255, using: &rng) }
            XCTAssertEqual(FileNames.bytes(FileNames.decode(bytes)), bytes)
        }
        XCTAssertEqual(FileNames.decode(Array("café ☃.mp4".utf8)), "café ☃.mp4")   // UTF-8 stays as it is
        let latin1: [UInt8] = Array("caf".utf8) + [0xE9] + Array(".gif".utf8)
        XCTAssertEqual(FileNames.decode(latin1).unicodeScalars.map(\.value), [0x63, 0x61, 0x66, 0xEFE9, 0x2E, 0x67, 0x69, 0x66])
        // UTF-8 that spells an escape scalar is escaped too, so the mapping stays one to one.
        let spelled = Array("\u{EFE9}".utf8)
        XCTAssertEqual(FileNames.decode(spelled).unicodeScalars.count, 3)
        XCTAssertEqual(FileNames.bytes(FileNames.decode(spelled)), spelled)
    }

    func testAFileNamedInLatin1IsDecoded() throws {
        guard let gif = try SharedFiles.url("samples/jumpingjack.gif") else { throw XCTSkip("no shared samples") }
        let dir = try temporaryDirectory(self)
        let name = dir.path + "/" + FileNames.decode(Array("caf".utf8) + [0xE9] + Array(".gif".utf8))
        let data = try Data(contentsOf: gif)
        let fd = FileNames.open(name, O_WRONLY | O_CREAT | O_TRUNC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        XCTAssertEqual(Directory.names(dir.path), [FileNames.decode(Array("caf".utf8) + [0xE9] + Array(".gif".utf8))])
        XCTAssertEqual(FileStatus.of(name)?.kind, .regular)
        XCTAssertEqual(MediaProbe.probe(name), .video(format: "gif"))
        let source = try VideoSource(path: name)
        var frames = 0
        while try source.nextFrame() != nil { frames += 1 }
        XCTAssertEqual(frames, 13)
        // An MP4 under such a name goes to FFmpeg, which must get the same bytes.
        let mp4 = dir.path + "/" + FileNames.decode([0xFF, 0xFE] + Array(":x.mp4".utf8))
        let tmp = dir.appendingPathComponent("plain.mp4")
        try Tools.ffmpeg(["-i", gif.path, "-c:v", "libx264", "-pix_fmt", "yuv420p", tmp.path])
        XCTAssertEqual(FileNames.withCPath(tmp.path) { from in FileNames.withCPath(mp4) { rename(from, $0) } }, 0)
        let video = try VideoSource(path: mp4)
        XCTAssertEqual(video.info.codec, "h264")
        XCTAssertNotNil(try video.nextFrame())
    }
}

extension MediaProbe.Verdict {
    var isVideo: Bool { if case .video = self { return true } else { return false } }
}
