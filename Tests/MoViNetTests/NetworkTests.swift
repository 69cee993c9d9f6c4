// Whole networks: the fast path against the naive reference for every flavour, stream chunking
// against frame-by-frame stepping, threads, strict weight mapping errors.

import MoViNet
import XCTest

/// A reduced MoViNet table with channel counts that are not multiples of 8 (exercises padding).
let tinySpec = ArchitectureSpec(
    id: "custom", stemChannels: 5,
    blocks: [
        BlockSpec(outChannels: 6, layers: [LayerSpec(expand: 12, kernel: [1, 5, 5], stride: 2)]),
        BlockSpec(outChannels: 10, layers: [LayerSpec(expand: 20, kernel: [3, 3, 3], stride: 2),
                                            LayerSpec(expand: 18, kernel: [3, 3, 3], stride: 1)]),
        BlockSpec(outChannels: 10, layers: [LayerSpec(expand: 20, kernel: [5, 3, 3], stride: 1),
                                            LayerSpec(expand: 14, kernel: [1, 3, 3], stride: 1)]),
    ],
    headChannels: 12, classifierHidden: 16)

final class NetworkTests: XCTestCase {
    let (h, w, frames) = (23, 21, 6)

    func clip(_ frames: Int, seed: UInt64 = 3) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return randomArray(frames * h * w * 3, &rng, 0, 1)
    }

    func check(_ flavour: Flavour, batchNorm: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let arch = Architecture(spec: tinySpec, flavour: flavour, numClasses: 7)
        let imported = RandomWeights.model(arch, seed: 11, batchNorm: batchNorm)
        let model = try MoViNetModel(imported)
        XCTAssertEqual(model.info.id, "custom", file: file, line: line)
        XCTAssertEqual(model.info.numClasses, 7, file: file, line: line)
        XCTAssertEqual(model.architecture, arch, file: file, line: line)
        let x = clip(frames)
        let naive = NaiveNetwork(imported, arch).run(x, frames: frames, h: h, w: w)
        let runner = try MoViNetRunner(model: model, height: h, width: w)
        if flavour.causal {
            XCTAssertEqual(model.info.kind, .stream, file: file, line: line)
            let n = h * w * 3
            for t in 0..<frames {
                let got = x[(t * n)..<((t + 1) * n)].withUnsafeBufferPointer { runner.step($0) }
                XCTAssertLessThan(relativeError(got, naive[t]), 1e-4, "frame \(t)", file: file, line: line)
            }
            XCTAssertEqual(runner.framesSeen, frames, file: file, line: line)
        } else {
            XCTAssertEqual(model.info.kind, .base, file: file, line: line)
            let got = x.withUnsafeBufferPointer { runner.classify(clip: $0, frames: frames) }
            XCTAssertLessThan(relativeError(got, naive[0]), 1e-4, file: file, line: line)
            // Nothing carries over between base clips.
            let again = x.withUnsafeBufferPointer { runner.classify(clip: $0, frames: frames) }
            XCTAssertEqual(again, got, file: file, line: line)
        }
    }

    func testStreamOfficialFlavourMatchesNaive() throws { try check(.stream) }

    func testStreamInt8FlavourMatchesNaive() throws { try check(.int8Stream, batchNorm: false) }

    func testStreamWithClassicHardSigmoidMatchesNaive() throws {
        var f = Flavour.stream
        f.gate = .hardSigmoidLinear
        f.classifierActivation = .hardSwish
        try check(f)
    }

    func testBaseMatchesNaive() throws { try check(.base) }

    func testBaseWithoutSEMatchesNaive() throws {
        var f = Flavour.base
        f.se = .none
        try check(f, batchNorm: false)
    }

    /// One chunk of T frames == T single-frame steps: same final logits and same state.
    func testChunkEqualsFrameByFrame() throws {
        for flavour in [Flavour.stream, .int8Stream] {
            let arch = Architecture(spec: tinySpec, flavour: flavour, numClasses: 7)
            let model = try MoViNetModel(RandomWeights.model(arch, seed: 5))
            let x = clip(7, seed: 9)
            let n = h * w * 3
            let a = try MoViNetRunner(model: model, height: h, width: w)
            var last: [Float] = []
            for t in 0..<7 { last = x[(t * n)..<((t + 1) * n)].withUnsafeBufferPointer { a.step($0) } }
            let b = try MoViNetRunner(model: model, height: h, width: w)
            // 3 + 4 frames in two chunks, after a reset following unrelated frames.
            _ = clip(2, seed: 1).withUnsafeBufferPointer { b.classify(clip: $0, frames: 2) }
            b.reset()
            XCTAssertEqual(b.framesSeen, 0)
            _ = x[0..<(3 * n)].withUnsafeBufferPointer { b.classify(clip: $0, frames: 3) }
            let chunked = x[(3 * n)...].withUnsafeBufferPointer { b.classify(clip: $0, frames: 4) }
            XCTAssertEqual(chunked, last, "\(flavour.activation)")
            XCTAssertEqual(a.streamState(), b.streamState())
            XCTAssertEqual(b.framesSeen, 7)
            let state = b.streamState()
            XCTAssertEqual(state["state_head_pool_frame_count"], [7])
            XCTAssertEqual(state["state_block1_layer0_stream_buffer"]?.count, 2 * 3 * 3 * 20)  // 23×21 → 12×11 → 6×6 → 3×3
        }
    }

    func testThreadsGiveIdenticalResults() throws {
        for id in ["a0-stream", "a0-base"] {
            let model = try MoViNetModel(RandomWeights.model(id: id, classes: 600, seed: 2))
            var rng = SeededGenerator(seed: 4)
            let t = 3, size = 64
            let x = randomArray(t * size * size * 3, &rng, 0, 1)
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                let r = try MoViNetRunner(model: model, height: size, width: size, threads: threads)
                results.append(x.withUnsafeBufferPointer { r.classify(clip: $0, frames: t) })
            }
            XCTAssertEqual(results[0], results[1], id)
            XCTAssertEqual(results[0], results[2], id)
        }
    }

    func testInferenceNamesBuiltInTablesAndCountsClasses() throws {
        for spec in ArchitectureSpec.builtIn {
            let arch = Architecture(spec: spec, flavour: .stream, numClasses: 3)
            let model = try MoViNetModel(RandomWeights.model(arch))
            XCTAssertEqual(model.info.id, spec.id)
            XCTAssertEqual(model.info.numClasses, 3)
            XCTAssertEqual(model.info.inputSize, spec.id == "a2" ? 224 : 172)
        }
        // Without a stated flavour: (2+1)D stream from feature_temporal, 3D base from 5-D kernels.
        var stream = try RandomWeights.model(id: "a0-stream")
        stream.flavour = nil
        XCTAssertEqual(try MoViNetModel(stream).info.flavour, .stream)
        var base = try RandomWeights.model(id: "a1-base")
        base.flavour = nil
        XCTAssertEqual(try MoViNetModel(base).info.flavour, .base)
        XCTAssertEqual(try MoViNetModel(base).info.id, "a1")
    }

    func testStrictMappingNamesTheTensor() throws {
        let good = RandomWeights.model(Architecture(spec: tinySpec, flavour: .stream, numClasses: 7))
        var missing = good
        missing.tensors["block1_layer1/feature_temporal/bn/gamma"] = nil
        XCTAssertThrowsError(try MoViNetModel(missing)) {
            XCTAssertTrue("\($0)".contains("block1_layer1/feature_temporal/bn/gamma"), "\($0)")
        }
        var extra = good
        extra.tensors["block0_layer0/surprise"] = Tensor(zeros: [3])
        XCTAssertThrowsError(try MoViNetModel(extra)) {
            XCTAssertTrue("\($0)".contains("unused tensor block0_layer0/surprise"), "\($0)")
        }
        var wrong = good
        wrong.tensors["block2_layer0/se/expand/bias"] = Tensor(zeros: [19])
        XCTAssertThrowsError(try MoViNetModel(wrong)) {
            XCTAssertTrue("\($0)".contains("block2_layer0/se/expand/bias has shape [19], expected [20]"), "\($0)")
        }
        var noRezero = good
        noRezero.tensors["block2_layer1/rezero/scale"] = nil
        XCTAssertThrowsError(try MoViNetModel(noRezero)) { XCTAssertTrue("\($0)".contains("rezero/scale")) }
        XCTAssertThrowsError(try MoViNetModel(ImportedModel(source: "empty.x", format: .tflite, tensors: [:]))) {
            XCTAssertEqual(($0 as? ModelError)?.path, "empty.x")
        }
    }
}
