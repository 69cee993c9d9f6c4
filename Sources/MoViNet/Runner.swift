// Executes a MoViNetModel: the public runner, which owns one video's stream state and runs it in
// int8 (QuantizedRunner) or in float32 (FloatRunner below: the activation buffers, allocated once
// and grown only for longer clips, and a chunk of T frames layer by layer in one pass).

/// Runs one video at a time through a model: owns the activation buffers and the stream state.
/// Not thread-safe; use one runner per concurrently processed video.
public final class MoViNetRunner {
    public let model: MoViNetModel
    public let height: Int
    public let width: Int
    public let threads: Int
    /// The arithmetic this runner executes in: `.int8` or `.float` (never `.auto`).
    public let precision: Precision

    /// Exactly one of the two runs the frames: the int8 plan, or the float32 network.
    private let quantized: QuantizedRunner?
    private let float: FloatRunner?

    /// A runner for frames of `height` × `width`; `precision` `.auto` runs int8 files in int8, with
    /// the int8 `kernels` (default: what CPUID and `MOVINET_KERNELS` select). Throws a
    /// ``ModelError`` for an unusable size or a precision the model cannot run in (int8 runs at
    /// the size the file was exported for only).
    public init(model: MoViNetModel, height: Int, width: Int, threads: Int = 1, precision: Precision = .auto,
                kernels: KernelSet = .selected) throws {
        guard height >= 1, width >= 1, height <= 16384, width <= 16384 else {
            throw ModelError("", "unsupported frame size \(height)×\(width)")
        }
        self.precision = try model.resolve(precision, size: height == width ? height : -1)
        self.model = model
        self.height = height
        self.width = width
        self.threads = max(1, threads)
        if self.precision == .int8, let program = model.quantized {
            quantized = QuantizedRunner(program: program, threads: threads, kernels: kernels)
            float = nil
        } else {
            quantized = nil
            // An int8 file's float weights are prepared here, on the first float runner.
            float = try FloatRunner(model.architecture, model.floatWeights(), height: height, width: width,
                                    threads: threads)
        }
    }

    /// Frames consumed since the last reset (stream models).
    public private(set) var framesSeen = 0

    /// Clears the stream state (between videos).
    public func reset() {
        framesSeen = 0
        float?.state.reset()
        quantized?.reset()
    }

    /// Stream models: consumes one frame (height·width·3 floats, RGB in [0,1], row-major) and
    /// returns the logits after it. (Base models: classifies the single frame as a clip.)
    public func step(_ frame: UnsafeBufferPointer<Float>) -> [Float] {
        classify(clip: frame, frames: 1)
    }

    /// Stream models: consumes one frame as `step` does but leaves out the classifier, which only
    /// turns the pooled state into logits: call ``logits()`` after the last frame whose logits are
    /// wanted (`classify` without per-frame output needs them once per video).
    public func advance(_ frame: UnsafeBufferPointer<Float>) {
        precondition(frame.count == height * width * 3, "advance: \(frame.count) floats for one \(height)×\(width)×3 frame")
        if let quantized {
            quantized.advance(frame.baseAddress!)
        } else {
            float!.advance(frame.baseAddress!, frames: 1)
            if !model.architecture.flavour.causal { return }
        }
        framesSeen += 1
    }

    /// The logits after the frames consumed so far (after ``advance(_:)``; `step` and `classify`
    /// return them already). Before any frame they mean nothing.
    public func logits() -> [Float] {
        if let quantized { return Array(quantized.logits()) }
        return float!.currentLogits()
    }

    /// Base models: classifies a clip of `frames` frames (frames·height·width·3 floats) and
    /// returns its logits. Stream models: consumes the clip as one chunk, continuing from the
    /// current state (call `reset()` between videos), and returns the logits after its last frame —
    /// the same as stepping through it frame by frame.
    public func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float] {
        precondition(frames >= 1 && clip.count == frames * height * width * 3,
                     "classify: \(clip.count) floats for \(frames) frames of \(height)×\(width)×3")
        if let quantized {
            let n = height * width * 3
            var out = UnsafeBufferPointer<Float>(start: nil, count: 0)
            for f in 0..<frames { out = quantized.step(clip.baseAddress! + f * n) }
            framesSeen += frames
            return Array(out)
        }
        let logits = float!.classify(clip.baseAddress!, frames: frames)
        if model.architecture.flavour.causal { framesSeen += frames }
        return logits
    }

    /// The float32 stream state in TFM's names and layouts (channels unpadded, stream buffers
    /// oldest frame first), for tests and comparisons with TensorFlow; empty for an int8 runner.
    public func streamState() -> [String: [Float]] { float?.state.snapshot() ?? [:] }
}

/// The float32 network's execution: activation buffers, stream state, and the forward pass.
final class FloatRunner {
    let height: Int
    let width: Int
    let arch: Architecture
    let w: NetworkWeights
    let parallel: Parallel
    let stemSize: (Int, Int)
    let res: [(inH: Int, inW: Int, outH: Int, outW: Int)]
    let state: StreamState
    private var capacity = 0
    private var x = FloatBuffer(count: 0), y = FloatBuffer(count: 0), e = FloatBuffer(count: 0)
    private var f = FloatBuffer(count: 0), g = FloatBuffer(count: 0), s = FloatBuffer(count: 0)
    private var seZ = FloatBuffer(count: 0), seR = FloatBuffer(count: 0), seGate = FloatBuffer(count: 0)
    private var head = FloatBuffer(count: 0), headMeans = FloatBuffer(count: 0), meanPartials = FloatBuffer(count: 0)
    private let pooled: FloatBuffer, hidden: FloatBuffer, logits: FloatBuffer
    private let taps: UnsafeMutablePointer<UnsafePointer<Float>>
    private let history: UnsafeMutablePointer<UnsafePointer<Float>>

    init(_ arch: Architecture, _ w: NetworkWeights, height: Int, width: Int, threads: Int) throws {
        self.height = height
        self.width = width
        self.arch = arch
        self.w = w
        parallel = Parallel(threads: threads)
        let r = arch.resolutions(height: height, width: width)
        stemSize = r.stem
        res = r.layers
        try MoViNetRunner.checkBudget(arch, w, stem: r.stem, res: r.layers, height: height, width: width)
        state = StreamState(arch, r.layers)
        pooled = FloatBuffer(count: w.headP)
        hidden = FloatBuffer(count: w.classifierHead.nPadded)
        logits = FloatBuffer(count: w.classifierLogits.nPadded)
        let maxKt = max(1, arch.layers.map(\.kt).max() ?? 1)
        taps = .allocate(capacity: maxKt)
        history = .allocate(capacity: maxKt)
        ensureCapacity(1)
    }

    deinit {
        taps.deallocate()
        history.deallocate()
    }

    /// The logits after `frames` frames (T, H, W, 3) run as one chunk.
    func classify(_ clip: UnsafePointer<Float>, frames: Int) -> [Float] {
        advance(clip, frames: frames)
        return currentLogits()
    }

    /// Runs `frames` frames up to the pooled features, leaving the classifier to `currentLogits`.
    func advance(_ clip: UnsafePointer<Float>, frames: Int) {
        ensureCapacity(frames)
        forward(clip, frames: frames)
    }

    /// The classifier's logits on the features pooled so far.
    func currentLogits() -> [Float] {
        classifier()
        return Array(UnsafeBufferPointer(start: logits.pointer, count: arch.numClasses))
    }

    private func ensureCapacity(_ frames: Int) {
        guard frames > capacity else { return }
        var xy = stemSize.0 * stemSize.1 * w.stemP, ee = 0, ff = 0, ss = 0, z = 0, hr = 0, gate = 0
        let last = res.last.map { $0.outH * $0.outW } ?? stemSize.0 * stemSize.1
        var partials = spatialMeanScratch(frames: 1, pixels: last, channels: w.headP)
        for (lw, r) in zip(w.layers, res) {
            partials = max(partials, spatialMeanScratch(frames: 1, pixels: r.outH * r.outW, channels: lw.eP))
            xy = max(xy, r.outH * r.outW * lw.outP)
            ee = max(ee, r.inH * r.inW * lw.eP)
            ff = max(ff, r.outH * r.outW * lw.eP)
            ss = max(ss, r.outH * r.outW * lw.inP)
            z = max(z, 2 * lw.eP)
            hr = max(hr, lw.hiddenP)
            gate = max(gate, lw.eP)
        }
        x = FloatBuffer(count: frames * xy); y = FloatBuffer(count: frames * xy)
        e = FloatBuffer(count: frames * ee); f = FloatBuffer(count: frames * ff)
        // The temporal conv's output buffer exists only in (2+1)D models.
        g = FloatBuffer(count: arch.flavour.conv == .conv3d ? 0 : frames * ff)
        s = FloatBuffer(count: frames * ss)
        seZ = FloatBuffer(count: frames * z); seR = FloatBuffer(count: frames * hr)
        seGate = FloatBuffer(count: frames * gate)
        head = FloatBuffer(count: frames * last * w.headP); headMeans = FloatBuffer(count: frames * w.headP)
        meanPartials = FloatBuffer(count: frames * partials)
        capacity = frames
    }

    /// One pass over `frames` frames (T, H, W, 3) → `pooled`.
    private func forward(_ input: UnsafePointer<Float>, frames t: Int) {
        let flavour = arch.flavour
        let act = ElementFunction(flavour.activation)
        let spec = arch.spec
        stemConv(input, frames: t, h: height, w: width, kh: spec.stemKernel[1], kw: spec.stemKernel[2],
                 channels: w.stemP, weights: w.stem.pointer, bias: w.stemBias.pointer, x.pointer, act, parallel)
        for (i, lw) in w.layers.enumerated() {
            let L = lw.layer, r = res[i]
            let pin = r.inH * r.inW, pout = r.outH * r.outW
            pointwise(x.pointer, lda: lw.inP, rows: t * pin, lw.expansion, e.pointer, ldc: lw.eP, act, parallel)
            let geometry = SpatialGeometry(h: r.inH, w: r.inW, kh: L.kh, kw: L.kw, stride: L.stride)
            var feature = f.pointer
            if flavour.conv == .conv3d {
                depthwiseConv(e.pointer, frames: t, geometry, channels: lw.eP, kt: L.kt, padT: (L.kt - 1) / 2,
                              weights: lw.feature.pointer, bias: lw.featureBias.pointer, f.pointer, act, parallel)
            } else {
                depthwiseConv(e.pointer, frames: t, geometry, channels: lw.eP, kt: 1, padT: 0,
                              weights: lw.feature.pointer, bias: lw.featureBias.pointer, f.pointer, act, parallel)
                if let temporal = lw.temporal, let tb = lw.temporalBias {
                    let ring = state.rings[i]!
                    ring.historyPointers(history)
                    // One frame: the conv itself moves the frame into the ring's oldest slot.
                    temporalConv(f.pointer, frames: t, pixels: pout, channels: lw.eP, kt: L.kt, history: history,
                                 weights: temporal.pointer, bias: tb.pointer, g.pointer, act, taps: taps,
                                 recycleOldest: t == 1, parallel)
                    if t == 1 { ring.tookOldestSlot() } else { ring.append(f.pointer, frames: t) }
                    feature = g.pointer
                }
            }
            if let reduce = lw.seReduce, let expand = lw.seExpand {
                squeezeExcite(feature, frames: t, pixels: pout, lw, reduce, expand, layerIndex: i)
            }
            let out = y.pointer
            if L.residual == .identity {
                pointwise(feature, lda: lw.eP, rows: t * pout, lw.projection, out, ldc: lw.outP,
                          residual: x.pointer, .identity, parallel)
            } else {
                var src = UnsafePointer(x.pointer)
                if L.stride == 2 {
                    averagePool3x3s2(x.pointer, frames: t, h: r.inH, w: r.inW, channels: lw.inP, s.pointer, parallel)
                    src = UnsafePointer(s.pointer)
                }
                pointwise(src, lda: lw.inP, rows: t * pout, lw.skip!, out, ldc: lw.outP, .identity, parallel)
                pointwise(feature, lda: lw.eP, rows: t * pout, lw.projection, out, ldc: lw.outP,
                          residual: out, .identity, parallel)
            }
            swap(&x, &y)
        }
        let lastC = roundUp8(arch.lastChannels)
        let last = res.last.map { $0.outH * $0.outW } ?? stemSize.0 * stemSize.1
        pointwise(x.pointer, lda: lastC, rows: t * last, w.headProject, head.pointer, ldc: w.headP, act, parallel)
        spatialMean(head.pointer, frames: t, pixels: last, channels: w.headP, headMeans.pointer,
                    partials: meanPartials.pointer, parallel)
        if flavour.causal {
            state.accumulateHead(headMeans.pointer, frames: t, into: pooled.pointer)
        } else {
            temporalMean(headMeans.pointer, frames: t, channels: w.headP, pooled.pointer)
        }
    }

    /// The classifier on the pooled features → `logits`.
    private func classifier() {
        pointwise(pooled.pointer, lda: w.headP, rows: 1, w.classifierHead, hidden.pointer,
                  ldc: w.classifierHead.nPadded, ElementFunction(arch.flavour.classifierActivation), parallel)
        pointwise(hidden.pointer, lda: w.classifierHead.nPadded, rows: 1, w.classifierLogits, logits.pointer,
                  ldc: w.classifierLogits.nPadded, .identity, parallel)
    }

    /// Squeeze-excitation in place on `x` (T, pixels, eP): '2plus3d' gates each frame from
    /// concat(running mean, frame mean); '3d' gates the whole clip from its mean.
    private func squeezeExcite(_ x: UnsafeMutablePointer<Float>, frames t: Int, pixels: Int, _ lw: LayerWeights,
                               _ reduce: PackedMatrix, _ expand: PackedMatrix, layerIndex i: Int) {
        let eP = lw.eP
        let means = seGate.pointer   // (T, eP) frame means, then overwritten by the gates
        spatialMean(x, frames: t, pixels: pixels, channels: eP, means, partials: meanPartials.pointer, parallel)
        let gateFn = ElementFunction(arch.flavour.gate), act = ElementFunction(arch.flavour.activation)
        if arch.flavour.se == .se2plus3d {
            state.accumulateSE(layer: i, means: means, frames: t, channels: eP, into: seZ.pointer)
            pointwise(seZ.pointer, lda: 2 * eP, rows: t, reduce, seR.pointer, ldc: lw.hiddenP, act, parallel)
            pointwise(seR.pointer, lda: lw.hiddenP, rows: t, expand, seGate.pointer, ldc: eP, gateFn, parallel)
        } else {
            temporalMean(means, frames: t, channels: eP, seZ.pointer)
            pointwise(seZ.pointer, lda: eP, rows: 1, reduce, seR.pointer, ldc: lw.hiddenP, act, parallel)
            pointwise(seR.pointer, lda: lw.hiddenP, rows: 1, expand, seGate.pointer, ldc: eP, gateFn, parallel)
            for k in 1..<max(t, 1) { (seGate.pointer + k * eP).update(from: seGate.pointer, count: eP) }
        }
        scaleChannels(x, frames: t, pixels: pixels, channels: eP, gates: seGate.pointer, parallel)
    }
}

extension FrameRing {
    /// The oldest slot now holds the newest frame (written in place by `temporalConv`).
    func tookOldestSlot() { head = (head + 1) % slots }
}
