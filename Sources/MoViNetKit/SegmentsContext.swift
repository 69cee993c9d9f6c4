// A bounded temporal context for stream models: the head of a MoViNet stream model averages over
// every frame since its last reset, so one long run cannot follow a change of action. Here k
// runners are reset every `seconds`, staggered by seconds / k, and each frame's prediction is the
// freshest runner that has seen at least `warmUp` seconds (or the blend of all such runners).

import Foundation
import MoViNet

/// How far back a per-frame prediction looks (``VideoClassifier/stream(_:context:bufferLimit:)``).
///
/// `runners` copies of the stream state are kept; runner j starts at `j · seconds / runners` and
/// is reset every `seconds`, so at any time their ages are spread `seconds / runners` apart. A
/// frame's prediction is that of the youngest runner at least `warmUp` seconds old
/// (``Combination/freshest``) — its context is between `warmUp` and `warmUp + seconds / runners`
/// seconds — or the mean probability of every runner at least that old (``Combination/blend``).
/// Until a runner is that old (the start of the input), the oldest one is used. Compute grows
/// with `runners`: each frame is fed to every runner that has started.
public struct ContextOptions: Sendable, Equatable {
    /// How runners' predictions are turned into one.
    public enum Combination: String, Sendable, Equatable, CaseIterable {
        /// The youngest runner that is warmed up.
        case freshest
        /// The mean probability of every warmed-up runner (logits: the log of that mean).
        case blend
        /// The warmed-up runner whose top class is the most probable: right after a change of
        /// action the runners that saw both are unsure and a fresh one is not.
        case confident
    }

    /// Seconds between a runner's resets: no prediction looks further back than this.
    public var seconds: Double
    /// Stream states run side by side, staggered by `seconds / runners`.
    public var runners: Int
    /// Seconds a runner must have run before its prediction is used; nil: half of ``seconds``.
    public var warmUp: Double?
    /// The freshest warmed-up runner, or the blend of all of them.
    public var combination: Combination

    /// A context with the given values; the defaults are the CLI's.
    public init(seconds: Double = 1.6, runners: Int = 8, warmUp: Double? = nil, combination: Combination = .freshest) {
        self.seconds = seconds
        self.runners = runners
        self.warmUp = warmUp
        self.combination = combination
    }

    /// The warm-up in use: ``warmUp``, or half of ``seconds``.
    public var effectiveWarmUp: Double { warmUp ?? seconds / 2 }

    /// Throws ``MoViNetKitError/invalidRequest(_:)`` for a value out of range.
    public func validate() throws(MoViNetKitError) {
        if !(seconds > 0) || !seconds.isFinite { throw .invalidRequest("context must be more than 0 seconds, got \(seconds)") }
        if runners < 1 || runners > 16 { throw .invalidRequest("context runners must be between 1 and 16, got \(runners)") }
        if let warmUp, !(warmUp >= 0 && warmUp < seconds) {
            throw .invalidRequest("context warm-up must be at least 0 and less than the context (\(seconds) s), got \(warmUp)")
        }
    }
}

/// The runners of one input under a bounded context, and which of them speaks for each frame.
final class ContextRunners {
    private let runners: [FrameClassifier]
    private let options: ContextOptions
    /// Each runner's last reset, seconds from the input's first frame; nil before it starts.
    private var resets: [Double?]
    private var first: Double?
    private static let epsilon = 1e-6

    init(_ runners: [FrameClassifier], options: ContextOptions) {
        precondition(runners.count == options.runners)
        self.runners = runners
        self.options = options
        resets = Array(repeating: nil, count: runners.count)
        runners.forEach { $0.reset() }
    }

    /// Feeds one frame at `timestamp` to every runner that has started (resetting those due) and
    /// returns the prediction's logits and probabilities.
    func step(_ frame: UnsafeBufferPointer<Float>, timestamp: Double) -> (logits: [Float], probabilities: [Float]) {
        let t = timestamp - (first ?? timestamp)
        if first == nil { first = timestamp }
        let period = options.seconds, stagger = period / Double(runners.count)
        var outputs: [(age: Double, logits: [Float])] = []
        for (j, runner) in runners.enumerated() {
            let phase = Double(j) * stagger
            guard t >= phase - Self.epsilon else { continue }
            // The latest reset time at or before t on this runner's grid (phase + m · period).
            let due = phase + ((t - phase + Self.epsilon) / period).rounded(.down) * period
            if resets[j].map({ due > $0 + Self.epsilon }) ?? true {
                runner.reset()
                resets[j] = due
            }
            outputs.append((t - (resets[j] ?? t), runner.step(frame)))
        }
        let warm = outputs.filter { $0.age >= options.effectiveWarmUp - Self.epsilon }
        switch options.combination {
        case .freshest:
            let chosen = warm.min { $0.age < $1.age } ?? outputs.max { $0.age < $1.age }!
            return (chosen.logits, softmax(chosen.logits))
        case .confident:
            let candidates = warm.isEmpty ? [outputs.max { $0.age < $1.age }!] : warm
            let scored = candidates.map { o -> (Float, [Float], [Float]) in
                let p = softmax(o.logits)
                return (p.max() ?? 0, o.logits, p)
            }
            let best = scored.max { $0.0 < $1.0 }!
            return (best.1, best.2)
        case .blend:
            let used = warm.isEmpty ? [outputs.max { $0.age < $1.age }!] : warm
            var mean = [Float](repeating: 0, count: used[0].logits.count)
            for o in used {
                let p = softmax(o.logits)
                for c in mean.indices { mean[c] += p[c] / Float(used.count) }
            }
            return (mean.map { log(max($0, .leastNormalMagnitude)) }, mean)
        }
    }
}
