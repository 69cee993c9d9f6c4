// Engine parity on imported TFLite models: our official-flavour fixtures against LiteRT.
// (The real int8 A0 file is checked in RealWeightsTests.)
//
// Needs the engine behind the MoViNetModel/MoViNetRunner facade. Heavy: run with
// `swift test -c release --filter TFLiteParityTests`.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class TFLiteParityTests: XCTestCase {
    static let fixtures = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite")

    func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Runs `frames` (T·S·S·3 floats in [0,1]) one frame per step and compares every frame's
    /// logits with `reference` (T·classes): max|Δ| ≤ 1e-4 · max|ref| per frame.
    func checkParity(model path: String, frames: [Float], size: Int, reference: [Float], classes: Int,
                     tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        let imported = try TFLiteImporter.load(path: path)
        XCTAssertEqual(imported.inputSize, size, file: file, line: line)
        let model = try MoViNetModel(imported)
        XCTAssertEqual(model.info.numClasses, classes, file: file, line: line)
        let runner = try MoViNetRunner(model: model, height: size, width: size)
        let frameSize = size * size * 3
        let count = frames.count / frameSize
        XCTAssertEqual(reference.count, count * classes, file: file, line: line)
        for t in 0..<count {
            let logits = frames[(t * frameSize)..<((t + 1) * frameSize)].withUnsafeBufferPointer { runner.step($0) }
            let ref = reference[(t * classes)..<((t + 1) * classes)]
            let peak = ref.map(abs).max() ?? 0
            let worst = zip(logits, ref).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertEqual(logits.count, classes, file: file, line: line)
            XCTAssertLessThanOrEqual(worst, tolerance * peak, "frame \(t): max|Δ| \(worst), max|ref| \(peak)",
                                     file: file, line: line)
        }
    }

    func testOfficialFlavourFixtures() throws {
        let clip = try floats(Self.fixtures.appendingPathComponent("tiny_stream.clip.f32"))
        // int8w: LiteRT's hybrid kernels quantize activations, so the reference is the same graph
        // with dequantized float weights (float_logits).
        for (name, reference) in [("float32", "logits"), ("float16", "logits"), ("int8w", "float_logits")] {
            let ref = try floats(Self.fixtures.appendingPathComponent("tiny_stream_\(name).\(reference).f32"))
            try checkParity(model: Self.fixtures.appendingPathComponent("tiny_stream_\(name).tflite").path,
                            frames: clip, size: 32, reference: ref, classes: 7)
        }
    }

    /// float16 at 96×96: the file's head mean multiplies by float16(1/9) and its SE gate by
    /// float16(0.16667), both 2.4e-4 off the exact values; the importer folds the difference into
    /// the following linear convs, so the engine matches LiteRT on the file as it is. Both run
    /// float32 on the same dequantized weights: measured 1.9e-7 relative (7.9e-5 without the folds).
    func testFloat16RoundedFormulaConstants() throws {
        let clip = try floats(Self.fixtures.appendingPathComponent("micro96.clip.f32"))
        let ref = try floats(Self.fixtures.appendingPathComponent("micro96_float16.logits.f32"))
        try checkParity(model: Self.fixtures.appendingPathComponent("micro96_float16.tflite").path,
                        frames: clip, size: 96, reference: ref, classes: 3, tolerance: 1e-5)
    }
}
