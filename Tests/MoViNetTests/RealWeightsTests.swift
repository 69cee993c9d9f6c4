// Real Kinetics-600 weights: the TF Hub A0 stream int8 TFLite model, executed in float on its
// dequantized weights, against an independent float executor of the same graph (shared/reference).

import Foundation
import MoViNet
import TestSupport
import XCTest

final class RealWeightsTests: XCTestCase {
    func testInt8StreamModelMatchesDequantizedFloatReference() throws {
        guard let modelURL = try SharedFiles.url("models/movinet_a0_stream_int8.tflite") else {
            throw XCTSkip("int8 model not available")
        }
        let model = try MoViNetModel(path: modelURL.path)
        XCTAssertEqual(model.info.kind, .stream)
        XCTAssertEqual(model.info.id, "a0")
        XCTAssertEqual(model.info.numClasses, 600)
        for sample in ["jumpingjack.gif", "carving_ice.mp4", "mmaction2_demo.mp4"] {
            guard let framesURL = try SharedFiles.url("reference/\(sample).frames172.u8"),
                  let logitsURL = try SharedFiles.url("reference/\(sample).float_dequant_a0_stream_int8.logits.f32")
            else { throw XCTSkip("reference files not available") }
            let bytes = try Data(contentsOf: framesURL)
            let reference = try Data(contentsOf: logitsURL).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let n = 172 * 172 * 3
            let frames = bytes.count / n
            XCTAssertEqual(reference.count, frames * 600)
            let runner = try MoViNetRunner(model: model, height: 172, width: 172, precision: .float)
            var worst: Float = 0
            var last: [Float] = []
            for t in 0..<frames {
                let frame = bytes[(t * n)..<((t + 1) * n)].map { Float($0) / 255 }
                let got = frame.withUnsafeBufferPointer { runner.step($0) }
                last = got
                worst = max(worst, relativeError(got, Array(reference[(t * 600)..<((t + 1) * 600)])))
                // Same top class after every frame.
                XCTAssertEqual(topK(got, k: 1)[0].index, topK(Array(reference[(t * 600)..<((t + 1) * 600)]), k: 1)[0].index,
                               "\(sample) frame \(t)")
            }
            XCTAssertLessThan(worst, 1e-5, sample)  // measured ≈1.1e-6 (float32 here, float64 sums there)
            // The clip's prediction (after its last frame) is LiteRT's int8 execution's too.
            guard let litertURL = try SharedFiles.url("reference/\(sample).litert_a0_stream_int8.logits.f32") else {
                throw XCTSkip("LiteRT reference not available")
            }
            let litert = try Data(contentsOf: litertURL).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            XCTAssertEqual(litert.count, frames * 600)
            XCTAssertEqual(topK(last, k: 1)[0].index, topK(Array(litert[((frames - 1) * 600)...]), k: 1)[0].index,
                           "\(sample): final top-1 differs from LiteRT's")
        }
    }
}
