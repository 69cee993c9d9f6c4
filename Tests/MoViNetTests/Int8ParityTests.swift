// The int8 path on the TF Hub A0 stream int8 TFLite file: per-frame logits equal to LiteRT's
// (XNNPACK) int8 execution, bit for bit, on the three shared samples fed as exact tensors.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class Int8ParityTests: XCTestCase {
    func load() throws -> MoViNetModel {
        guard let url = try SharedFiles.url("models/movinet_a0_stream_int8.tflite") else {
            throw XCTSkip("int8 model not available")
        }
        return try MoViNetModel(path: url.path)
    }

    /// A sample's exact 172×172 input frames (floats in [0, 1]) and LiteRT's int8 logits after each.
    func referenceRun(_ sample: String) throws -> (frames: [[Float]], logits: [Float]) {
        guard let framesURL = try SharedFiles.url("reference/\(sample).frames172.u8"),
              let logitsURL = try SharedFiles.url("reference/\(sample).litert_a0_stream_int8.logits.f32")
        else { throw XCTSkip("reference files not available") }
        let bytes = [UInt8](try Data(contentsOf: framesURL))
        let logits = try Data(contentsOf: logitsURL).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let n = 172 * 172 * 3
        let frames = (0..<(bytes.count / n)).map { t in bytes[(t * n)..<((t + 1) * n)].map { Float($0) / 255 } }
        return (frames, logits)
    }

    func testLogitsEqualLiteRT() throws {
        let model = try load()
        XCTAssertNotNil(model.quantized, model.quantizedUnavailable ?? "")
        XCTAssertEqual(try model.resolve(.auto), .int8)
        // Every kernel set this machine runs (AVX-512 VNNI, AVX2, the portable fallback), one and
        // two threads; the portable set at one thread only (it is slow in the same arithmetic).
        let runs = KernelSet.usable().flatMap { kernels in (kernels == .portable ? [1] : [1, 2]).map { ($0, kernels) } }
        print("Int8ParityTests: kernel sets \(KernelSet.usable().map(\.rawValue)) (cpu: \(CPUFeatures.current.summary))")
        for (threads, kernels) in runs {
            let runner = try MoViNetRunner(model: model, height: 172, width: 172, threads: threads, kernels: kernels)
            XCTAssertEqual(runner.precision, .int8)
            var compared = 0
            for sample in ["jumpingjack.gif", "carving_ice.mp4", "mmaction2_demo.mp4"] {
                let (frames, reference) = try referenceRun(sample)
                XCTAssertEqual(reference.count, frames.count * 600)
                runner.reset()
                var differing = 0
                for (t, frame) in frames.enumerated() {
                    let got = frame.withUnsafeBufferPointer { runner.step($0) }
                    let want = Array(reference[(t * 600)..<((t + 1) * 600)])
                    differing += zip(got, want).filter { $0 != $1 }.count
                    XCTAssertEqual(topK(got, k: 1)[0].index, topK(want, k: 1)[0].index, "\(sample) frame \(t)")
                    compared += 600
                }
                XCTAssertEqual(differing, 0, "\(sample), \(threads) thread(s), \(kernels): logits differing from LiteRT's")
            }
            XCTAssertEqual(compared, 51_000)
        }
    }

    /// `advance` leaves out the classifier; `logits()` after the last frame runs it on the state
    /// that frame left: LiteRT's last-frame logits, bit for bit, after any number of frames
    /// (int8), and the same logits as stepping (float).
    func testLogitsAfterAdvancingEqualStepping() throws {
        let model = try load()
        let program = try XCTUnwrap(model.quantized)
        XCTAssertGreaterThan(program.classifierStepCount, 2, "the TF Hub graph splits before its classifier")
        let (frames, reference) = try referenceRun("jumpingjack.gif")
        let int8 = try MoViNetRunner(model: model, height: 172, width: 172, threads: 2)
        for count in [1, 5, frames.count] {
            int8.reset()
            for frame in frames.prefix(count) { frame.withUnsafeBufferPointer { int8.advance($0) } }
            XCTAssertEqual(int8.framesSeen, count)
            XCTAssertEqual(int8.logits(), Array(reference[((count - 1) * 600)..<(count * 600)]), "after \(count) frames")
        }
        let float = try MoViNetRunner(model: model, height: 172, width: 172, precision: .float)
        let stepped = try MoViNetRunner(model: model, height: 172, width: 172, precision: .float)
        var last: [Float] = []
        for frame in frames.prefix(4) {
            frame.withUnsafeBufferPointer { float.advance($0) }
            last = frame.withUnsafeBufferPointer { stepped.step($0) }
        }
        XCTAssertEqual(float.logits(), last)
    }

    func testPrecisionChoices() throws {
        let model = try load()
        XCTAssertEqual(try model.resolve(.float), .float)
        XCTAssertThrowsError(try MoViNetRunner(model: model, height: 160, width: 160, precision: .int8)) { error in
            XCTAssertTrue("\(error)".contains("172×172"), "\(error)")
        }
        // Other sizes still run in float.
        XCTAssertEqual(try MoViNetRunner(model: model, height: 160, width: 160, precision: .float).precision, .float)
        let float = try MoViNetModel(try RandomWeights.model(id: "a0-stream"))
        XCTAssertNil(float.quantized)
        XCTAssertEqual(try float.resolve(.auto), .float)
        XCTAssertThrowsError(try float.resolve(.int8)) { error in
            XCTAssertTrue("\(error)".contains("no int8 activations"), "\(error)")
        }
    }
}
