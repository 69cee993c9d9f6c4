// Every bad input gives a typed error naming the file, or (damaged after some frames) those frames
// plus a warning: missing, directory, unreadable, empty, not media, no video, no frames, too large,
// truncated and bit-flipped GIFs and videos. Never a crash (run under --sanitize=address too).

import Foundation
import TestSupport
import VideoDecoding
import XCTest

final class ErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestFiles.tempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Decodes everything; returns the error thrown (at open or while decoding), if any.
    func failure(_ path: String) -> VideoDecodingError? {
        do {
            _ = try TestFiles.decodeAll(path)
            return nil
        } catch let e as VideoDecodingError {
            XCTAssertEqual(e.path, path)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), e.description)
            XCTAssertFalse(e.description.contains("\n"))
            return e
        } catch {
            XCTFail("untyped error \(error)")
            return nil
        }
    }

    func assertError(_ path: String, _ matches: (VideoDecodingError) -> Bool, line: UInt = #line) {
        guard let e = failure(path) else { return XCTFail("no error for \(path)", line: line) }
        XCTAssertTrue(matches(e), "unexpected \(e)", line: line)
    }

    func sample(_ name: String) throws -> [UInt8] {
        guard let url = try SharedFiles.url("samples/\(name)") else { throw XCTSkip("samples/\(name) not in ../shared") }
        return [UInt8](try Data(contentsOf: url))
    }

    /// A logical screen with no images: header, screen descriptor, terminator.
    func gifHeader(width: Int, height: Int) -> [UInt8] {
        Array("GIF89a".utf8) + [UInt8(width & 255), UInt8(width >> 8), UInt8(height & 255), UInt8(height >> 8), 0, 0, 0]
    }

    func testMissingFile() {
        assertError(dir.appendingPathComponent("nope.mp4").path) { if case .notFound = $0 { true } else { false } }
    }

    func testDirectory() {
        assertError(dir.path) { if case .isDirectory = $0 { true } else { false } }
    }

    func testPermissionDenied() throws {
        if geteuid() == 0 { throw XCTSkip("root reads any file; permissions cannot be denied") }
        let path = try file("secret.gif", gifHeader(width: 4, height: 4) + [0x3B])
        chmod(path, 0)
        assertError(path) { if case .permissionDenied = $0 { true } else { false } }
    }

    func testEmptyFile() throws {
        assertError(try file("empty.mp4", [])) { if case .empty = $0 { true } else { false } }
    }

    func testTextIsNotMedia() throws {
        let path = try file("notes.mp4", Array("just some words, no video here\n".utf8))
        assertError(path) { if case .notMedia = $0 { true } else { false } }
    }

    func testAudioOnlyHasNoVideoStream() throws {
        let path = dir.appendingPathComponent("tone.wav").path
        try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=d=0.3", "-y", path])
        assertError(path) { if case .noVideoStream = $0 { true } else { false } }
    }

    func testVideoWithoutFrames() throws {
        let path = dir.appendingPathComponent("zero.mkv").path
        try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "0",
                                     "-c:v", "ffv1", "-y", path])
        assertError(path) { if case .noFrames = $0 { true } else { false } }
    }

    func testGIFWithoutImages() throws {
        assertError(try file("blank.gif", gifHeader(width: 4, height: 4) + [0x3B])) {
            if case .noFrames = $0 { true } else { false }
        }
    }

    func testAbsurdGIFScreen() throws {
        assertError(try file("wide.gif", gifHeader(width: 20000, height: 10) + [0x3B])) {
            if case .tooLarge = $0 { true } else { false }
        }
        assertError(try file("huge.gif", gifHeader(width: 16384, height: 16384) + [0x3B])) {
            if case .tooLarge = $0 { true } else { false }   // each side allowed, the area is not
        }
    }

    func testAbsurdGIFSubImage() throws {
        // An image descriptor 30000 px wide on a 4×4 screen, then nothing.
        let desc: [UInt8] = [0x2C, 0, 0, 0, 0, 0x30, 0x75, 1, 0, 0]
        assertError(try file("sub.gif", gifHeader(width: 4, height: 4) + desc + [0x02, 0x02, 0x44, 0x01, 0x00, 0x3B])) {
            if case .tooLarge = $0 { true } else { false }
        }
    }

    func testAbsurdVideoSize() throws {
        let path = dir.appendingPathComponent("wide.png").path
        try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=size=16400x16", "-frames:v", "1", "-y", path])
        assertError(path) { if case .tooLarge = $0 { true } else { false } }
    }

    func testTruncatedGIFKeepsTheFramesBeforeTheDamage() throws {
        let gif = try sample("jumpingjack.gif")
        let path = try file("cut.gif", Array(gif[..<(gif.count / 2)]))
        let (frames, warnings) = try TestFiles.decodeAll(path)
        XCTAssertGreaterThan(frames.count, 0)
        XCTAssertLessThan(frames.count, 13)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("truncated") ?? false, "\(warnings)")
        // The frames before the damage are the intact file's frames.
        let whole = try TestFiles.decodeAll(try SharedFiles.url("samples/jumpingjack.gif")!.path).frames
        XCTAssertEqual(frames.map(\.rgb), whole[..<frames.count].map(\.rgb))
    }

    func testGIFTruncatedBeforeItsFirstFrame() throws {
        let gif = try sample("jumpingjack.gif")
        for n in [6, 10, 40, 800] {
            assertError(try file("cut\(n).gif", Array(gif[..<n]))) {
                if case .decodeFailed = $0 { true } else if case .noFrames = $0 { true } else { false }
            }
        }
    }

    func testTruncatedVideoKeepsTheFramesBeforeTheDamage() throws {
        for (name, codec) in [("clip.mp4", ["-c:v", "libx264", "-movflags", "+faststart"]), ("clip.mkv", ["-c:v", "ffv1"])] {
            let path = dir.appendingPathComponent(name).path
            try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=4"]
                              + codec + ["-y", path])
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let cut = try file("cut-" + name, Array(bytes[..<(bytes.count / 2)]))
            let (frames, warnings) = try TestFiles.decodeAll(cut)
            XCTAssertGreaterThan(frames.count, 10, name)
            XCTAssertLessThan(frames.count, 100, name)
            XCTAssertFalse(warnings.isEmpty, name)
        }
    }

    func testVideoWithoutItsIndexIsReportedDamaged() throws {
        // carving_ice.mp4 keeps its index (moov) at the end: half the file cannot be opened.
        let mp4 = try sample("carving_ice.mp4")
        assertError(try file("cut.mp4", Array(mp4[..<(mp4.count / 2)]))) {
            if case .decodeFailed(_, let d) = $0 { d.contains("damaged or truncated") } else { false }
        }
    }

    func testBitFlippedFilesNeverCrash() throws {
        var rng = SplitMix(seed: 0x5EED)
        let clip = dir.appendingPathComponent("flip-src.mp4").path
        try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=2",
                                     "-c:v", "libx264", "-y", clip])
        let sources: [(String, [UInt8])] = [
            ("gif", try sample("jumpingjack.gif")),
            ("mp4", [UInt8](try Data(contentsOf: URL(fileURLWithPath: clip)))),
        ]
        var outcomes: [String: Int] = [:]
        for (ext, original) in sources {
            for trial in 0..<12 {
                var bytes = original
                let flips = trial < 6 ? 1 + trial : 40 * trial
                for _ in 0..<flips {
                    // Headers matter most: half the flips land in the first 1 KB.
                    let limit = rng.next() % 2 == 0 ? min(1024, bytes.count) : bytes.count
                    bytes[Int(rng.next() % UInt64(limit))] ^= UInt8(1 << (rng.next() % 8))
                }
                let path = try file("flip\(trial).\(ext)", bytes)
                do {
                    let (frames, _) = try TestFiles.decodeAll(path)
                    XCTAssertTrue(frames.allSatisfy { $0.rgb.count == $0.width * $0.height * 3 })
                    outcomes["frames", default: 0] += 1
                } catch let e as VideoDecodingError {
                    XCTAssertEqual(e.path, path)
                    outcomes["error", default: 0] += 1
                }
            }
        }
        XCTAssertEqual(outcomes.values.reduce(0, +), 24)
    }
}

/// A small deterministic generator (SplitMix64) for the bit flips.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
