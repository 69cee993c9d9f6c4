// Parity with ../shared/reference (manifest.json): TensorFlow's resize of jumpingjack frames, and
// the 172×172 model-input frames of every sample (GIF via tf.io.decode_gif, videos via ffmpeg fps=5).

import Foundation
import TestSupport
import VideoDecoding
import XCTest

final class ReferenceParityTests: XCTestCase {
    func shared(_ relative: String) throws -> URL {
        guard let url = try SharedFiles.url(relative) else { throw XCTSkip("\(relative) not in ../shared") }
        return url
    }

    func sampled(_ sample: String, fps: Double) throws -> [VideoFrame] {
        let frames = try SampledFrames(path: try shared("samples/\(sample)").path, fps: fps)
        var out: [VideoFrame] = []
        while let f = try frames.next() { out.append(f) }
        XCTAssertEqual(frames.source.warnings, [])
        return out
    }

    func testResizeMatchesTensorFlowOnJumpingjack() throws {
        let ref = try Data(contentsOf: try shared("reference/jumpingjack.gif.resize172.first2.f32"))
        let expected = ref.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }   // (2, 172, 172, 3)
        let frames = try sampled("jumpingjack.gif", fps: 0)
        let n = 172 * 172 * 3
        XCTAssertEqual(expected.count, 2 * n)
        for k in 0..<2 {
            let ours = Preprocess.resized(rgb: frames[k].rgb, width: frames[k].width, height: frames[k].height, size: 172)
            let maxDiff = zip(ours, expected[(k * n)..<((k + 1) * n)]).map { abs($0 - $1) }.max()!
            print("jumpingjack frame \(k): max |ours − tf.image.resize| = \(maxDiff)")
            XCTAssertLessThanOrEqual(maxDiff, 1e-3, "frame \(k)")
            let input = Preprocess.modelInput(rgb: frames[k].rgb, width: frames[k].width, height: frames[k].height, size: 172)
            XCTAssertEqual(zip(input, ours).map { abs($0 * 255 - $1) }.max()!, 0, accuracy: 1e-3)
            XCTAssertTrue(input.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    /// Mean absolute difference (grey levels) between our rounded 172×172 frames and the reference.
    func modelFramesDifference(_ sample: String, fps: Double, expectedCount: Int) throws -> (mean: Double, max: Int) {
        let ref = [UInt8](try Data(contentsOf: try shared("reference/\(sample).frames172.u8")))
        let frames = try sampled(sample, fps: fps)
        let n = 172 * 172 * 3
        XCTAssertEqual(frames.count, expectedCount)
        XCTAssertEqual(ref.count, expectedCount * n)
        var total = 0, worst = 0
        for (k, f) in frames.enumerated() where (k + 1) * n <= ref.count {
            let ours = Preprocess.resized(rgb: f.rgb, width: f.width, height: f.height, size: 172)
            for i in 0..<n {
                let d = abs(Int(max(0, min(255, ours[i].rounded(.toNearestOrEven)))) - Int(ref[k * n + i]))
                total += d
                worst = max(worst, d)
            }
        }
        print("\(sample): \(frames.count) frames, mean |diff| \(Double(total) / Double(ref.count)), max \(worst)")
        return (Double(total) / Double(ref.count), worst)
    }

    func testJumpingjackModelFrames() throws {
        let d = try modelFramesDifference("jumpingjack.gif", fps: 0, expectedCount: 13)
        // Same pixels, same float arithmetic as TensorFlow and NumPy's round-half-to-even: identical.
        XCTAssertEqual(d.max, 0)
    }

    func testCarvingIceAtFiveFps() throws {
        let d = try modelFramesDifference("carving_ice.mp4", fps: 5, expectedCount: 22)
        XCTAssertLessThanOrEqual(d.mean, 1.0)
    }

    func testMmactionDemoAtFiveFps() throws {
        let d = try modelFramesDifference("mmaction2_demo.mp4", fps: 5, expectedCount: 50)
        XCTAssertLessThanOrEqual(d.mean, 1.0)
    }

    /// The decoder's thread count (`--jobs` gives each input its share of the cores) changes
    /// nothing in what is decoded: the same frames, bytes and timestamps with 1, 2 and all threads.
    func testDecoderThreadsGiveTheSameFrames() throws {
        for name in ["carving_ice.mp4", "mmaction2_demo.mp4"] {
            let path = try shared("samples/\(name)").path
            func frames(_ threads: Int) throws -> [VideoFrame] {
                let source = try VideoSource(path: path, options: DecodingOptions(decoderThreads: threads))
                var all: [VideoFrame] = []
                while let f = try source.nextFrame() { all.append(f) }
                return all
            }
            let auto = try frames(0)
            XCTAssertGreaterThan(auto.count, 100, name)
            for threads in [1, 2] {
                let got = try frames(threads)
                XCTAssertEqual(got.count, auto.count, "\(name), \(threads) thread(s)")
                for (a, b) in zip(got, auto) {
                    XCTAssertEqual(a.timestamp, b.timestamp, "\(name) frame \(a.index)")
                    XCTAssertTrue(a.rgb == b.rgb, "\(name) frame \(a.index), \(threads) thread(s)")
                }
            }
        }
    }
}
