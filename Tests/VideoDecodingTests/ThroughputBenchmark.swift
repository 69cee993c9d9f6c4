// Decode + sample + resize throughput on a long video named by $MOVINET_BENCH_VIDEO (skipped
// otherwise). Prints the numbers; asserts only that every sampled frame was resized.
// swift test -c release --filter ThroughputBenchmark (with MOVINET_BENCH_VIDEO=/tmp/long.mp4)

import Foundation
import VideoDecoding
import XCTest

final class ThroughputBenchmark: XCTestCase {
    func testDecodeSampleResize() throws {
        guard let path = ProcessInfo.processInfo.environment["MOVINET_BENCH_VIDEO"], !path.isEmpty else {
            throw XCTSkip("set MOVINET_BENCH_VIDEO to a video file to run this benchmark")
        }
        let fps = Double(ProcessInfo.processInfo.environment["MOVINET_BENCH_FPS"] ?? "") ?? 5
        let size = 172
        var input = [Float](repeating: 0, count: size * size * 3)
        var checksum: Float = 0
        let start = Date()
        let frames = try SampledFrames(path: path, fps: fps)
        var resizeSeconds = 0.0
        while let f = try frames.next() {
            let t = Date()
            f.rgb.withUnsafeBufferPointer { src in
                input.withUnsafeMutableBufferPointer { dst in
                    Preprocess.resize(rgb: src, width: f.width, height: f.height, size: size, centerCrop: false,
                                      into: dst, multiplier: 1 / 255)
                }
            }
            resizeSeconds += Date().timeIntervalSince(t)
            checksum += input[input.count / 2]
        }
        let seconds = Date().timeIntervalSince(start)
        let info = frames.source.info
        print("""
            benchmark \(path): \(info.width)×\(info.height) \(info.codec), \(frames.decodedCount) decoded, \
            \(frames.sampledCount) sampled at \(fps) fps, \(String(format: "%.2f", seconds)) s total: \
            \(String(format: "%.0f", Double(frames.decodedCount) / seconds)) decoded frames/s, \
            \(String(format: "%.1f", (info.duration ?? 0) / seconds))× real time; resize to \(size): \
            \(String(format: "%.2f", resizeSeconds * 1000 / Double(max(1, frames.sampledCount)))) ms/frame \
            (checksum \(checksum))
            """)
        XCTAssertGreaterThan(frames.sampledCount, 0)
    }
}
