// The release CLI on crafted model files (issue 12): one line on stderr and status 3, never a
// signal. The files are committed fixtures patched in a few bytes (TFLitePatch).

import Foundation
import TestSupport
import XCTest

final class HostileModelTests: XCTestCase {
    static let tflite = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite")

    /// (name, patched file): a DEQUANTIZE output larger than its input (the SIGSEGV in
    /// `transposed` and the heap corruption), a zero point of Int64.min, a 16384-px input.
    func craftedModels(in dir: URL) throws -> [(String, URL)] {
        var out: [(String, URL)] = []
        var p = try TFLitePatch(contentsOf: Self.tflite.appendingPathComponent("micro96_float16.tflite"))
        let target = try XCTUnwrap(p.operators().filter { $0.code == 6 }.compactMap(\.outputs.first)
            .first { p.shape(ofTensor: $0).count == 4 })
        p.setDimension(ofTensor: target, 0, to: Int32(p.shape(ofTensor: target)[0] + 1))
        out.append(("dequantize", dir.appendingPathComponent("dequantize.tflite")))
        try p.write(to: out.last!.1)

        var z = try TFLitePatch(contentsOf: Self.tflite.appendingPathComponent("tiny_stream_int8w.tflite"))
        z.setZeroPoint(ofTensor: try XCTUnwrap(z.zeroPointTensors().first).tensor, 0, to: .min)
        out.append(("zero point", dir.appendingPathComponent("zeropoint.tflite")))
        try z.write(to: out.last!.1)

        var s = try TFLitePatch(contentsOf: Self.tflite.appendingPathComponent("micro96_float16.tflite"))
        let image = try XCTUnwrap(s.subgraphInputs.first { s.name(ofTensor: $0).contains("image") })
        s.setDimension(ofTensor: image, 2, to: 16384)
        s.setDimension(ofTensor: image, 3, to: 16384)
        out.append(("input size", dir.appendingPathComponent("huge-input.tflite")))
        try s.write(to: out.last!.1)
        return out
    }

    func testCraftedModelsGiveOneLineAndStatusThree() throws {
        let dir = try temporaryDirectory(self)
        for (what, model) in try craftedModels(in: dir) {
            for arguments in [["bench", "--model", model.path, "--frames", "2"],
                              ["classify", "--model", model.path, "nothing.gif"]] {
                let r = try Binary.run(arguments)
                XCTAssertEqual(r.status, 3, "\(what) \(arguments[0]): \(r.stderr)")
                XCTAssertTrue(r.stderr.hasPrefix("movinet: \(model.path): "), "\(what): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(what): \(r.stderr)")
                XCTAssertEqual(r.stdout, "", what)
            }
        }
    }
}
