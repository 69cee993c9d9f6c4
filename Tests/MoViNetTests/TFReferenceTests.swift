// The engine against the official TensorFlow implementation: a reduced MoViNet table built with
// Model Garden code, random non-trivial weights, logits stored by Fixtures/make_tf_fixture.py.

import Foundation
import MoViNet
import XCTest

final class TFReferenceTests: XCTestCase {
    struct Fixture {
        var imported: ImportedModel
        var input: [Float]
        var logits: [[Float]]
        var frames: Int, height: Int, width: Int, classes: Int
        var states: [String: [Float]]
    }

    func load(_ kind: String) throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tf-tiny-\(kind).json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func floats(_ v: Any?) -> [Float] { (v as! [NSNumber]).map { $0.floatValue } }
        var tensors: [String: Tensor] = [:]
        for (name, value) in doc["tensors"] as! [String: [String: Any]] {
            tensors[name] = Tensor(shape: (value["shape"] as! [NSNumber]).map(\.intValue), data: floats(value["data"]))
        }
        return Fixture(
            imported: ImportedModel(source: url.path, format: .checkpoint, tensors: tensors),
            input: floats(doc["input"]), logits: (doc["logits"] as! [Any]).map(floats),
            frames: (doc["frames"] as! NSNumber).intValue, height: (doc["height"] as! NSNumber).intValue,
            width: (doc["width"] as! NSNumber).intValue, classes: (doc["classes"] as! NSNumber).intValue,
            states: ((doc["states"] as? [String: Any]) ?? [:]).mapValues(floats))
    }

    func testStreamMatchesTensorFlowFrameByFrame() throws {
        let f = try load("stream")
        let model = try MoViNetModel(f.imported)
        XCTAssertEqual(model.info.kind, .stream)
        XCTAssertEqual(model.info.flavour, .stream)
        XCTAssertEqual(model.info.id, "custom")
        let runner = try MoViNetRunner(model: model, height: f.height, width: f.width)
        let n = f.height * f.width * 3
        for t in 0..<f.frames {
            let got = f.input[(t * n)..<((t + 1) * n)].withUnsafeBufferPointer { runner.step($0) }
            XCTAssertLessThan(relativeError(got, f.logits[t]), 1e-6, "frame \(t): \(got) vs \(f.logits[t])")
        }
        // The carried state equals TF's (stream buffers oldest frame first, running sums, counts).
        let state = runner.streamState()
        XCTAssertEqual(Set(state.keys), Set(f.states.keys))
        for (name, want) in f.states {
            XCTAssertLessThan(relativeError(state[name] ?? [], want), 1e-6, name)
        }
        // The same clip as one chunk gives TF's last-frame logits.
        runner.reset()
        let chunk = f.input.withUnsafeBufferPointer { runner.classify(clip: $0, frames: f.frames) }
        XCTAssertLessThan(relativeError(chunk, f.logits[f.frames - 1]), 1e-6)
    }

    func testBaseMatchesTensorFlow() throws {
        let f = try load("base")
        let model = try MoViNetModel(f.imported)
        XCTAssertEqual(model.info.kind, .base)
        XCTAssertEqual(model.info.flavour, .base)
        let runner = try MoViNetRunner(model: model, height: f.height, width: f.width)
        let got = f.input.withUnsafeBufferPointer { runner.classify(clip: $0, frames: f.frames) }
        XCTAssertLessThan(relativeError(got, f.logits[0]), 1e-6, "\(got) vs \(f.logits[0])")
    }
}
