// Runs one input's sampled frames through a model runner: stream models frame by frame, base
// models in windows whose probabilities are averaged. The synchronous core under VideoClassifier.

import Foundation
import MoViNet

/// What inference needs from a model runner: `MoViNetRunner`, or a test double.
public protocol FrameClassifier: AnyObject {
    /// Stream (frame by frame, carried state) or base (whole clips).
    var classifierKind: ModelKind { get }
    /// Number of logits.
    var classCount: Int { get }
    /// Clears the stream state (between inputs).
    func reset()
    /// Stream: one frame (S·S·3 floats) in, the logits after it out.
    func step(_ frame: UnsafeBufferPointer<Float>) -> [Float]
    /// Base: a clip of `frames` frames in, its logits out.
    func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float]
    /// Stream: one frame in when its logits are not needed; returns them anyway, or nil when the
    /// runner left them for ``currentLogits()`` (by default: `step`).
    func consume(_ frame: UnsafeBufferPointer<Float>) -> [Float]?
    /// Stream: the logits after the frames consumed so far, when ``consume(_:)`` returned nil.
    func currentLogits() -> [Float]
}

extension FrameClassifier {
    public func consume(_ frame: UnsafeBufferPointer<Float>) -> [Float]? { step(frame) }
    public func currentLogits() -> [Float] {
        preconditionFailure("currentLogits() of a runner whose consume(_:) returns its logits")
    }
}

extension MoViNetRunner: FrameClassifier {
    public var classifierKind: ModelKind { model.info.kind }
    public var classCount: Int { model.info.numClasses }
    /// Leaves out the classifier: only the last frame's logits are read.
    public func consume(_ frame: UnsafeBufferPointer<Float>) -> [Float]? {
        advance(frame)
        return nil
    }
    public func currentLogits() -> [Float] { logits() }
}

/// The ranking and windowing settings shared by every input.
public struct InferenceSettings: Sendable, Equatable {
    /// Classes ranked per result.
    public var topK: Int
    /// Ranked classes below this probability are left out.
    public var threshold: Float
    /// Base models: frames per window.
    public var window: Int

    /// Settings with these values.
    public init(topK: Int, threshold: Float, window: Int) {
        self.topK = topK
        self.threshold = threshold
        self.window = window
    }
}

/// Runs inputs through runners (the per-input loop behind ``VideoClassifier``).
public enum Inference {
    /// The top-k labels with probability ≥ threshold, most probable first (ties: lower index first).
    public static func rank(_ probabilities: [Float], labels: Labels, k: Int, threshold: Float) -> [RankedLabel] {
        MoViNet.topK(probabilities, k: k).map(\.index)
            .filter { probabilities[$0] >= threshold }
            .map { RankedLabel(index: $0, label: $0 < labels.count ? labels.names[$0] : "class \($0)",
                               probability: probabilities[$0]) }
    }

    /// Runs `frames` through `runner` (reset first) and returns the input's classification.
    ///
    /// - Parameters:
    ///   - frames: the input's sampled, preprocessed frames.
    ///   - runner: the model runner (its stream state is reset first).
    ///   - labels: class names for the ranked results.
    ///   - settings: top-k, threshold and base-model window.
    ///   - path: how errors name the input.
    ///   - perFrame: stream models only: call `onFrame` with every sampled frame's prediction.
    ///   - onFrame: receives each frame's prediction, in order; throwing stops the run.
    ///   - onProgress: called with 1 after each sampled frame.
    ///   - isCancelled: polled between frames; when it says so the run throws ``MoViNetKitError/cancelled``.
    /// - Throws: ``MoViNetKitError/input(path:problem:)`` for decoding problems and inputs without
    ///   frames, ``MoViNetKitError/cancelled``, or what `onFrame` throws.
    public static func run(_ frames: FrameStream, runner: FrameClassifier, labels: Labels, settings: InferenceSettings,
                           path: String, perFrame: Bool = false,
                           onFrame: (FramePrediction) throws -> Void = { _ in }, onProgress: (Int) -> Void = { _ in },
                           isCancelled: () -> Bool = { false }) throws -> Classification {
        runner.reset()
        func nextFrame() throws -> SampledFrame? {
            if isCancelled() { throw MoViNetKitError.cancelled }
            do { return try frames.next() } catch { throw MoViNetKitError.input(error, path: path) }
        }
        switch runner.classifierKind {
        case .stream:
            var last: [Float]?
            var count = 0
            var skipped = 0
            var nextIndex = 0   // a frame with a higher index comes after skipped ones (realtime)
            while let frame = try nextFrame() {
                // Without per-frame output only the last frame's logits are read: the runner may
                // leave them (its classifier) for `currentLogits()`.
                let logits = frame.pixels.withUnsafeBufferPointer { perFrame ? runner.step($0) : runner.consume($0) }
                count += 1
                let gap = max(0, frame.index - nextIndex)
                skipped += gap
                nextIndex = frame.index + 1
                onProgress(1)
                if perFrame, let logits {
                    let p = softmax(logits)
                    try onFrame(FramePrediction(index: frame.index, timestamp: frame.timestamp,
                                                top: rank(p, labels: labels, k: settings.topK,
                                                          threshold: settings.threshold),
                                                probabilities: p, logits: logits, skipped: gap))
                }
                last = logits
            }
            guard count > 0 else { throw MoViNetKitError.input(path: path, problem: "no frames to classify") }
            let logits = last ?? runner.currentLogits()
            let p = softmax(logits)
            var warnings = frames.warnings
            if skipped > 0 {
                warnings.append("realtime: skipped \(skipped) of \(skipped + count) sampled frames to keep up with the input")
            }
            return Classification(frames: count, windows: nil,
                                  top: rank(p, labels: labels, k: settings.topK, threshold: settings.threshold),
                                  probabilities: p, logits: logits, warnings: warnings, skipped: skipped)
        case .base:
            let frameFloats = frames.frameSize * frames.frameSize * 3
            var clip = [Float](repeating: 0, count: settings.window * frameFloats)   // (window, S, S, 3)
            var inWindow = 0
            var count = 0
            var windows = 0
            var probabilitySum = [Float](repeating: 0, count: runner.classCount)
            var logitSum = probabilitySum
            func flush() {
                let logits = clip.withUnsafeBufferPointer {
                    runner.classify(clip: UnsafeBufferPointer(rebasing: $0[0..<(inWindow * frameFloats)]), frames: inWindow)
                }
                let p = softmax(logits)
                for i in probabilitySum.indices { probabilitySum[i] += p[i]; logitSum[i] += logits[i] }
                windows += 1
                inWindow = 0
            }
            while let frame = try nextFrame() {
                clip.replaceSubrange((inWindow * frameFloats)..<((inWindow + 1) * frameFloats), with: frame.pixels)
                inWindow += 1
                count += 1
                onProgress(1)
                if inWindow == settings.window { flush() }
            }
            if inWindow > 0 { flush() }
            guard windows > 0 else { throw MoViNetKitError.input(path: path, problem: "no frames to classify") }
            let mean = probabilitySum.map { $0 / Float(windows) }
            return Classification(frames: count, windows: windows,
                                  top: rank(mean, labels: labels, k: settings.topK, threshold: settings.threshold),
                                  probabilities: mean, logits: logitSum.map { $0 / Float(windows) },
                                  warnings: frames.warnings)
        }
    }
}
