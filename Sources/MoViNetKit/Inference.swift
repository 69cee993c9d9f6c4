// Runs one input through the model: stream models frame by frame, base models in windows whose
// probabilities are averaged. Produces per-frame results (for --every-frame) and the input's result.

import Foundation
import MoViNet

/// A label with its rank data.
public struct RankedLabel: Sendable, Equatable {
    public var index: Int
    public var label: String
    public var probability: Float

    public init(index: Int, label: String, probability: Float) {
        self.index = index
        self.label = label
        self.probability = probability
    }
}

/// The prediction after one sampled frame (stream models).
public struct FrameResult: Sendable {
    public var frame: Int
    public var timestamp: Double
    public var top: [RankedLabel]
    public var logits: [Float]?

    public init(frame: Int, timestamp: Double, top: [RankedLabel], logits: [Float]?) {
        self.frame = frame
        self.timestamp = timestamp
        self.top = top
        self.logits = logits
    }
}

/// The prediction for a whole input.
public struct InputResult: Sendable {
    public var frames: Int            // sampled frames fed to the model
    public var windows: Int?          // base models: windows averaged
    public var top: [RankedLabel]
    public var logits: [Float]?       // stream: after the last frame; base: mean over windows

    public init(frames: Int, windows: Int?, top: [RankedLabel], logits: [Float]?) {
        self.frames = frames
        self.windows = windows
        self.top = top
        self.logits = logits
    }
}

/// Everything about processing that is the same for every input.
public struct InferenceSettings: Sendable {
    public var topK: Int
    public var threshold: Float
    public var keepLogits: Bool
    public var fps: Double
    public var size: Int
    public var window: Int
    public var centerCrop: Bool
    public var everyFrame: Bool
    /// Keep every frame's full probability vector (for the plot).
    public var keepProbabilities: Bool

    public init(topK: Int, threshold: Float, keepLogits: Bool, fps: Double, size: Int, window: Int,
                centerCrop: Bool, everyFrame: Bool, keepProbabilities: Bool) {
        self.topK = topK
        self.threshold = threshold
        self.keepLogits = keepLogits
        self.fps = fps
        self.size = size
        self.window = window
        self.centerCrop = centerCrop
        self.everyFrame = everyFrame
        self.keepProbabilities = keepProbabilities
    }
}

/// Probabilities over time, for `--plot`.
public struct ProbabilityTrack: Sendable {
    public var timestamps: [Double] = []
    public var probabilities: [[Float]] = []   // (frames, classes)
    public init() {}
}

/// What inference needs from a model runner: MoViNetRunner, or a test double.
public protocol FrameClassifier: AnyObject {
    var classifierKind: ModelKind { get }
    var classCount: Int { get }
    func reset()
    /// Stream: one frame (S·S·3 floats) in, the logits after it out.
    func step(_ frame: UnsafeBufferPointer<Float>) -> [Float]
    /// Base: a clip of `frames` frames in, its logits out.
    func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float]
}

extension MoViNetRunner: FrameClassifier {
    public var classifierKind: ModelKind { model.info.kind }
    public var classCount: Int { model.info.numClasses }
}

public enum Inference {
    /// The top-k labels with probability ≥ threshold.
    public static func rank(_ probabilities: [Float], labels: Labels, k: Int, threshold: Float) -> [RankedLabel] {
        MoViNet.topK(probabilities, k: k).map(\.index)
            .filter { probabilities[$0] >= threshold }
            .map { RankedLabel(index: $0, label: $0 < labels.count ? labels.names[$0] : "class \($0)",
                               probability: probabilities[$0]) }
    }

    /// Runs `frames` through `runner`. `onFrame` gets each sampled frame's result when
    /// `settings.everyFrame` (stream models only).
    public static func run(_ frames: FrameStream, runner: FrameClassifier, labels: Labels, settings: InferenceSettings,
                           path: String, track: inout ProbabilityTrack?,
                           onFrame: (FrameResult) -> Void, onProgress: (Int) -> Void) throws -> InputResult {
        runner.reset()
        switch runner.classifierKind {
        case .stream:
            var last: [Float]?
            var count = 0
            while let frame = try frames.next() {
                let logits = frame.pixels.withUnsafeBufferPointer { runner.step($0) }
                count += 1
                onProgress(1)
                if settings.everyFrame || track != nil {
                    let p = softmax(logits)
                    if settings.everyFrame {
                        onFrame(FrameResult(frame: frame.index, timestamp: frame.timestamp,
                                            top: rank(p, labels: labels, k: settings.topK, threshold: settings.threshold),
                                            logits: settings.keepLogits ? logits : nil))
                    }
                    track?.timestamps.append(frame.timestamp)
                    track?.probabilities.append(p)
                }
                last = logits
            }
            guard let logits = last else { throw InputError(path: path, problem: "no frames to classify") }
            let p = softmax(logits)
            return InputResult(frames: count, windows: nil,
                               top: rank(p, labels: labels, k: settings.topK, threshold: settings.threshold),
                               logits: settings.keepLogits ? logits : nil)
        case .base:
            let frameFloats = settings.size * settings.size * 3
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
            while let frame = try frames.next() {
                clip.replaceSubrange((inWindow * frameFloats)..<((inWindow + 1) * frameFloats), with: frame.pixels)
                inWindow += 1
                count += 1
                onProgress(1)
                if inWindow == settings.window { flush() }
            }
            if inWindow > 0 { flush() }
            guard windows > 0 else { throw InputError(path: path, problem: "no frames to classify") }
            let mean = probabilitySum.map { $0 / Float(windows) }
            return InputResult(frames: count, windows: windows,
                               top: rank(mean, labels: labels, k: settings.topK, threshold: settings.threshold),
                               logits: settings.keepLogits ? logitSum.map { $0 / Float(windows) } : nil)
        }
    }
}

/// An input that could not be classified, for reasons outside the decoder and the `.npy` reader.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}
