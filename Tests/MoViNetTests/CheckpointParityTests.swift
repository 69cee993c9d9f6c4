// The engine against the official TF implementation on the reduced-table fixtures (reference logits
// made by tools/tf/make_reference.py; see Fixtures/tf/README.md).

import Foundation
import MoViNet
import XCTest

final class CheckpointParityTests: XCTestCase {
    private func fixture(_ name: String, _ rel: String) -> URL { CheckpointFixtures.dir(name).appendingPathComponent(rel) }

    /// max |Δ| ≤ 1e-4 · max |ref| + 1e-5 (the issue's budget).
    private func assertClose(_ got: [Float], _ ref: ArraySlice<Float>, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, ref.count, what, file: file, line: line)
        guard got.count == ref.count else { return }
        let maxRef = ref.map { abs($0) }.max() ?? 0
        let delta = zip(got, ref).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(delta, 1e-4 * maxRef + 1e-5, "\(what): max|Δ| \(delta), max|ref| \(maxRef)",
                                 file: file, line: line)
    }

    func testBaseMatchesTensorFlow() throws {
        for artifact in ["ckpt/ckpt-1", "ckpt", "savedmodel"] {
            let model = try MoViNetModel(try CheckpointImporter.load(path: fixture("tiny-base", artifact).path))
            XCTAssertEqual(model.info.kind, .base)
            XCTAssertEqual(model.info.numClasses, 10)
            for size in [32, 37] {
                let clip = try readNpyFloat32(fixture("tiny-base", "clip-\(size).npy"))
                let ref = try readNpyFloat32(fixture("tiny-base", "logits-\(size).npy"))
                let runner = try MoViNetRunner(model: model, height: size, width: size, threads: 1)
                let got = clip.data.withUnsafeBufferPointer { runner.classify(clip: $0, frames: clip.shape[0]) }
                assertClose(got, ref.data[...], "tiny-base \(artifact) \(size)")
            }
        }
    }

    func testStreamMatchesTensorFlowFrameByFrame() throws {
        for artifact in ["ckpt/ckpt-1", "savedmodel"] {
            let model = try MoViNetModel(try CheckpointImporter.load(path: fixture("tiny-stream", artifact).path))
            XCTAssertEqual(model.info.kind, .stream)
            for size in [32, 37] {
                let clip = try readNpyFloat32(fixture("tiny-stream", "clip-\(size).npy"))
                let ref = try readNpyFloat32(fixture("tiny-stream", "logits-\(size).npy"))  // (T, classes)
                let (t, classes) = (ref.shape[0], ref.shape[1])
                let frame = size * size * 3
                let runner = try MoViNetRunner(model: model, height: size, width: size, threads: 1)
                var last: [Float] = []
                for i in 0..<t {
                    last = clip.data.withUnsafeBufferPointer {
                        runner.step(UnsafeBufferPointer(rebasing: $0[(i * frame)..<((i + 1) * frame)]))
                    }
                    assertClose(last, ref.data[(i * classes)..<((i + 1) * classes)], "tiny-stream \(artifact) \(size) frame \(i)")
                }
                // One call on the clip equals the frame-by-frame run.
                runner.reset()
                let whole = clip.data.withUnsafeBufferPointer { runner.classify(clip: $0, frames: t) }
                XCTAssertEqual(whole, last, "tiny-stream \(artifact) \(size): classify(clip:) vs step(_:)")
            }
        }
    }

    /// Full-size A0–A2 references from tools/tf/parity.py (outside the repository; skips without them).
    /// Prints one table row per model, size and artifact form.
    func testFullSizeModelsMatchTensorFlow() throws {
        let env = ProcessInfo.processInfo.environment["MOVINET_TF_FIXTURES"] ?? ""
        let root = env.isEmpty ? CheckpointFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tf-fixtures") : URL(fileURLWithPath: env)
        var rows = 0
        for model in ["a0", "a1", "a2"] {
            for kind in ["base", "stream"] {
                let dir = root.appendingPathComponent("\(model)-\(kind)")
                guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("savedmodel/saved_model.pb").path) else { continue }
                for form in ["ckpt/ckpt-1", "ckpt", "savedmodel"] {
                    let net = try MoViNetModel(try CheckpointImporter.load(path: dir.appendingPathComponent(form).path))
                    for size in [model == "a2" ? 224 : 172, 171, 173] {
                        let clipURL = dir.appendingPathComponent("clip-\(size).npy")
                        guard FileManager.default.fileExists(atPath: clipURL.path) else { continue }
                        let clip = try readNpyFloat32(clipURL)
                        let ref = try readNpyFloat32(dir.appendingPathComponent("logits-\(size).npy"))
                        let runner = try MoViNetRunner(model: net, height: size, width: size, threads: 2)
                        var got: [Float] = []
                        if kind == "base" {
                            got = clip.data.withUnsafeBufferPointer { runner.classify(clip: $0, frames: clip.shape[0]) }
                        } else {
                            let frame = size * size * 3
                            for i in 0..<clip.shape[0] {
                                got += clip.data.withUnsafeBufferPointer {
                                    runner.step(UnsafeBufferPointer(rebasing: $0[(i * frame)..<((i + 1) * frame)]))
                                }
                            }
                            runner.reset()
                            let whole = clip.data.withUnsafeBufferPointer { runner.classify(clip: $0, frames: clip.shape[0]) }
                            XCTAssertEqual(whole, Array(got.suffix(whole.count)), "\(model)-\(kind) \(size): one call vs frame by frame")
                        }
                        let maxRef = ref.data.map { abs($0) }.max() ?? 0
                        let delta = zip(got, ref.data).map { abs($0 - $1) }.max() ?? .infinity
                        let budget = 1e-4 * maxRef + 1e-5
                        XCTAssertEqual(got.count, ref.data.count)
                        XCTAssertLessThanOrEqual(delta, budget, "\(model)-\(kind) \(form) \(size)")
                        func g(_ x: Float) -> String { String(format: "%.3g", Double(x)) }
                        print("| \(model) \(kind) | \(size) | \(form) | \(g(delta)) | \(g(maxRef)) | \(g(delta / budget)) | \(delta <= budget ? "pass" : "FAIL") |")
                        rows += 1
                    }
                }
            }
        }
        if rows == 0 { throw XCTSkip("no full-size TF fixtures at \(root.path)") }
    }
}
