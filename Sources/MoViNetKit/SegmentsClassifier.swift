// The segments API of VideoClassifier: per-frame predictions under a bounded context, and the
// labelled time spans made from them.

import Foundation
import MoViNet

extension VideoClassifier {
    /// The prediction after every sampled frame of `input`, each looking back only about
    /// `context.seconds` (see ``ContextOptions``), as an AsyncSequence computed on a thread of its
    /// own with back-pressure, like ``stream(_:bufferLimit:)-(String,_)``. Stream models only; a base model's
    /// sequence throws ``MoViNetKitError/invalidRequest(_:)``.
    ///
    /// - Parameters:
    ///   - input: a file path, a URL FFmpeg opens, `-` for standard input, or a `.npy` array.
    ///   - context: how far back each prediction looks, and how many runners do the work.
    ///   - bufferLimit: predictions computed ahead of the consumer at most (back-pressure).
    public func stream(_ input: String, context: ContextOptions, bufferLimit: Int = 2) -> FramePredictions {
        contextPredictions(input, frames: nil, context: context, bufferLimit: bufferLimit)
    }

    /// The per-frame predictions of frames from a source of the caller's (each ``inputSize`` ×
    /// ``inputSize`` × 3 floats in [0, 1]) under a bounded context; `name` is how errors name it.
    public func stream(frames: FrameStream, name: String, context: ContextOptions, bufferLimit: Int = 2)
        -> FramePredictions {
        contextPredictions(name, frames: frames, context: context, bufferLimit: bufferLimit)
    }

    /// The labelled time spans of `input` (``Segment``, in start order): per-frame predictions
    /// under `options.context`, smoothed and thresholded by ``SpanDetector``. Runs on a thread of
    /// its own; cancelling the task stops it.
    ///
    /// - Throws: ``MoViNetKitError/input(path:problem:)`` when the input cannot be read,
    ///   ``MoViNetKitError/invalidRequest(_:)`` for a base model or options out of range.
    public func segments(_ input: String, options: SegmentOptions = SegmentOptions()) async throws(MoViNetKitError)
        -> [Segment] {
        try options.validate()
        var detector = SpanDetector(labels: labels, options: options, frameDuration: frameDuration)
        var spans: [Segment] = []
        do {
            for try await p in stream(input, context: options.context) {
                spans += detector.add(timestamp: p.timestamp, probabilities: p.probabilities)
            }
        } catch let error as MoViNetKitError {
            throw error
        } catch {
            throw .input(error, path: input)
        }
        if Task.isCancelled { throw .cancelled }
        return spans + detector.finish()
    }

    /// Seconds one sampled frame lasts (1 / fps); nil with fps 0 (every frame: their own times).
    public var frameDuration: Double? { options.fps > 0 ? 1 / options.fps : nil }

    private func contextPredictions(_ input: String, frames given: FrameStream?, context: ContextOptions,
                                    bufferLimit: Int) -> FramePredictions {
        let source = UncheckedSendable(given)
        return FramePredictions(bufferLimit: bufferLimit) { channel in
            do throws(MoViNetKitError) {
                let result = try self.runWithContext(input, frames: source.value, context: context,
                                                     send: { try channel.send($0) },
                                                     isCancelled: { channel.isCancelled })
                channel.finish(ProductionOutcome(classification: result))
            } catch {
                channel.finish(ProductionOutcome(error: error))
            }
        }
    }

    /// The per-frame loop: every frame through the context's runners, each prediction to `send`.
    private func runWithContext(_ input: String, frames given: FrameStream?, context: ContextOptions,
                                send: (FramePrediction) throws -> Void,
                                isCancelled: () -> Bool) throws(MoViNetKitError) -> Classification {
        try context.validate()
        guard kind == .stream else {
            throw .invalidRequest(
                "\(modelName) is a base model; per-frame predictions need a stream model (e.g. a0-stream-int8)")
        }
        // Each input gets its own runners (the pool holds one per input in progress).
        var runners: [MoViNetRunner] = []
        for _ in 0..<context.runners { runners.append(try makeRunner()) }
        let frames: FrameStream
        if let given {
            frames = given
        } else {
            frames = try openFrames(input)
        }
        if frames.frameSize != inputSize {
            throw .invalidRequest("\(input): frames are \(frames.frameSize) px but the model takes \(inputSize) px")
        }
        let context = ContextRunners(runners, options: context)
        var last: (logits: [Float], probabilities: [Float])?
        var count = 0
        do {
            while true {
                if isCancelled() { throw MoViNetKitError.cancelled }
                let next: SampledFrame?
                do { next = try frames.next() } catch { throw MoViNetKitError.input(error, path: input) }
                guard let frame = next else { break }
                let out = frame.pixels.withUnsafeBufferPointer { context.step($0, timestamp: frame.timestamp) }
                count += 1
                try send(FramePrediction(index: frame.index, timestamp: frame.timestamp,
                                         top: rank(out.probabilities), probabilities: out.probabilities,
                                         logits: out.logits))
                last = out
            }
        } catch let error as MoViNetKitError {
            throw error
        } catch {
            throw .input(error, path: input)
        }
        guard let last else { throw .input(path: input, problem: "no frames to classify") }
        return Classification(frames: count, windows: nil, top: rank(last.probabilities),
                              probabilities: last.probabilities, logits: last.logits, warnings: frames.warnings)
    }

    private func rank(_ probabilities: [Float]) -> [RankedLabel] {
        Inference.rank(probabilities, labels: labels, k: options.topK, threshold: options.threshold)
    }
}
