// Hostile videos (issue 12): timestamps at the edge of Int64, a jump of 2^40 s, a GIF screen of
// 65535 × 65535 with 100,000 one-pixel frames. Each ends with a one-line error or a bounded result.

import Foundation
import VideoDecoding
import XCTest

final class HostileVideoTests: XCTestCase {
    /// pts of the order of 2^62 s (fps 5, time base 1/1) trapped converting the slot to Int64.
    func testSamplerTakesAnyTimestamp() {
        for extreme in [0x1p62, -0x1p62, 0x1p100, .infinity, -.infinity, .nan, Double(Int64.max)] {
            var s = FrameSampler(fps: 5)
            XCTAssertEqual(s.take(timestamp: 0), 0)
            let copies = s.take(timestamp: extreme)
            XCTAssertGreaterThanOrEqual(copies, 0, "\(extreme)")
            XCTAssertGreaterThanOrEqual(s.take(timestamp: -extreme), 0, "\(extreme)")
            XCTAssertGreaterThanOrEqual(s.finish(endTimestamp: extreme), 0, "\(extreme)")
        }
        var s = FrameSampler(fps: 5)
        _ = s.take(timestamp: 0)
        XCTAssertEqual(s.take(timestamp: 0x1p62), 1 << 61)   // clamped slot, no overflow
        XCTAssertEqual(s.take(timestamp: .nan), 0)            // a frame without a usable time
    }

    /// Three frames 2^40 s apart (NUT, time base 1/65536): the first frame would be repeated
    /// 5.5 × 10^12 times. The sampler's limit ends the input with one line instead.
    func testTimestampJumpOf2To40SecondsIsAnError() throws {
        let dir = try TestFiles.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("jump.nut").path
        _ = try TestFiles.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=red:s=16x16:r=1:d=3",
                                     "-vf", "setpts=N*1099511627776/TB", "-enc_time_base", "1", "-c:v", "ffv1",
                                     "-f", "nut", "-y", path])
        let frames = try SampledFrames(path: path, fps: 5)
        var yielded = 0
        XCTAssertThrowsError(try { while try frames.next() != nil { yielded += 1 } }()) { error in
            guard case VideoDecodingError.tooLarge(let p, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(detail.contains("timestamps jump from 0.0 s to 1099511627776.0 s: frame 0 would be repeated 5497558138880 times"), detail)
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(yielded, 0)
    }

    /// The screen descriptor, then `frames` one-pixel images (no palette: black), then the trailer.
    func gif(width: Int, height: Int, frames: Int) -> [UInt8] {
        var b = Array("GIF89a".utf8) + [UInt8(width & 255), UInt8(width >> 8), UInt8(height & 255), UInt8(height >> 8), 0, 0, 0]
        let image: [UInt8] = [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]
        b.reserveCapacity(b.count + frames * image.count + 1)
        for _ in 0..<frames { b += image }
        return b + [0x3B]
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let dir = try TestFiles.tempDir()
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// 65535 × 65535 (12 GB of canvas) with 100,000 frames: refused at the screen descriptor.
    func testHugeGIFScreenIsRefused() throws {
        let path = try write(gif(width: 65535, height: 65535, frames: 100_000), "huge.gif")
        XCTAssertThrowsError(try VideoSource(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): frame size 65535×65535 exceeds 16384 px a side")
        }
    }

    /// The same 100,000 one-pixel frames on a small screen: all decoded, sampled on a bounded grid
    /// (each frame shows for the 1/10 s browsers give a zero delay: 10,000 s at 5 fps).
    func testHundredThousandOnePixelFramesAreBounded() throws {
        let path = try write(gif(width: 16, height: 16, frames: 100_000), "many.gif")
        let frames = try SampledFrames(path: path, fps: 1)
        var sampled = 0
        while try frames.next() != nil { sampled += 1 }
        XCTAssertEqual(frames.decodedCount, 100_000)
        XCTAssertEqual(sampled, 10_000)
    }
}
