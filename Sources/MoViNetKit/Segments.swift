// Action segments: per-frame class probabilities turned into labelled time spans — a causal moving
// average, enter/exit hysteresis per class, gaps merged, short spans dropped — delivered in start
// order as soon as each span can no longer change.

import MoViNet

/// How per-frame probabilities become spans (``SpanDetector``, ``VideoClassifier/segments(_:options:)``).
/// The defaults were chosen on glued clips of the shared samples (README, "Action segments").
public struct SegmentOptions: Sendable, Equatable {
    /// A span of a class opens when its smoothed probability is at least this.
    public var enter: Float
    /// An open span closes at the first frame whose smoothed probability is below this.
    public var exit: Float
    /// Spans shorter than this many seconds (after merging) are dropped.
    public var minDuration: Double
    /// Two spans of one class separated by less than this many seconds become one.
    public var mergeGap: Double
    /// Seconds of the causal moving average applied to each class's probability before the
    /// thresholds (the frames in `(t − smooth, t]`); 0 uses each frame's own probability.
    public var smooth: Double
    /// The bounded temporal context the per-frame predictions are made with.
    public var context: ContextOptions

    /// Options with the given values; every default is the CLI's.
    public init(enter: Float = 0.5, exit: Float = 0.3, minDuration: Double = 1.0, mergeGap: Double = 0.5,
                smooth: Double = 0.4, context: ContextOptions = ContextOptions()) {
        self.enter = enter
        self.exit = exit
        self.minDuration = minDuration
        self.mergeGap = mergeGap
        self.smooth = smooth
        self.context = context
    }

    /// Throws ``MoViNetKitError/invalidRequest(_:)`` for a value out of range.
    public func validate() throws(MoViNetKitError) {
        if !(enter > 0 && enter <= 1) { throw .invalidRequest("enter must be more than 0 and at most 1, got \(enter)") }
        if !(exit >= 0 && exit <= enter) {
            throw .invalidRequest("exit must be between 0 and enter (\(enter)), got \(exit)")
        }
        for (name, value) in [("minDuration", minDuration), ("mergeGap", mergeGap), ("smooth", smooth)]
        where !(value >= 0) || !value.isFinite {
            throw .invalidRequest("\(name) must be 0 or more seconds, got \(value)")
        }
        try context.validate()
    }
}

/// A labelled time span: one class above its thresholds from ``start`` to ``end``.
public struct Segment: Sendable, Equatable {
    /// Seconds: the time of the span's first frame.
    public var start: Double
    /// Seconds: the time of the first frame after the span (at the end of the input, the last
    /// frame's time plus one frame period).
    public var end: Double
    /// The class index (the logit's position).
    public var index: Int
    /// The class name.
    public var label: String
    /// The mean smoothed probability over the span's frames.
    public var mean: Float
    /// The highest smoothed probability in the span.
    public var peak: Float

    /// A span with every field given.
    public init(start: Double, end: Double, index: Int, label: String, mean: Float, peak: Float) {
        self.start = start
        self.end = end
        self.index = index
        self.label = label
        self.mean = mean
        self.peak = peak
    }

    /// `end − start`, in seconds.
    public var duration: Double { end - start }
}

/// Turns a track of per-frame probabilities into spans, frame by frame.
///
/// Feed every frame in time order with ``add(timestamp:probabilities:)``; each call returns the
/// spans that became final with that frame, in start order (a span is final once it has ended and
/// its merge gap has passed without the class coming back, and no span that started earlier is
/// still open). ``finish(end:)`` closes what is open at the end of the input.
///
/// ```swift
/// var detector = SpanDetector(labels: classifier.labels, options: SegmentOptions())
/// for try await p in classifier.stream("clip.mp4", context: ContextOptions()) {
///     for span in detector.add(timestamp: p.timestamp, probabilities: p.probabilities) { print(span) }
/// }
/// for span in detector.finish() { print(span) }
/// ```
public struct SpanDetector: Sendable {
    /// The thresholds, durations and smoothing in use.
    public let options: SegmentOptions
    private let labels: Labels
    /// Seconds one frame lasts, for the end of a span still open at the end of the input; nil:
    /// the last interval between frames.
    private let frameDuration: Double?

    /// A class's span being built: open (above the exit threshold) or closed but still mergeable.
    private struct Run {
        var start: Double
        var end: Double?          // nil while open
        var sum: Double = 0       // smoothed probabilities of the span's frames
        var frames = 0
        var peak: Float = 0
    }

    /// Recent frames inside the smoothing window: (timestamp, probabilities).
    private var window: [(Double, [Float])] = []
    private var windowSum: [Double] = []
    private var runs: [Int: Run] = [:]
    private var done: [Segment] = []
    private var lastTimestamp: Double?
    private var previousTimestamp: Double?
    /// Slack for comparing times that went through decimal and binary rounding.
    private static let epsilon = 1e-6

    /// A detector for probabilities over `labels`' classes.
    ///
    /// - Parameters:
    ///   - labels: the class names spans are labelled with.
    ///   - options: thresholds, durations and smoothing (the context is not used here).
    ///   - frameDuration: seconds one frame lasts (1 / fps); nil: the last interval between frames.
    public init(labels: Labels, options: SegmentOptions, frameDuration: Double? = nil) {
        self.labels = labels
        self.options = options
        self.frameDuration = frameDuration.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The spans of a whole track at once: `probabilities[i]` (one value per class) at
    /// `timestamps[i]`, in time order.
    public static func spans(timestamps: [Double], probabilities: [[Float]], labels: Labels,
                             options: SegmentOptions = SegmentOptions(), frameDuration: Double? = nil) -> [Segment] {
        var detector = SpanDetector(labels: labels, options: options, frameDuration: frameDuration)
        var spans: [Segment] = []
        for (t, p) in zip(timestamps, probabilities) { spans += detector.add(timestamp: t, probabilities: p) }
        return spans + detector.finish()
    }

    /// The probabilities after `probabilities` are smoothed with the frames before: what the
    /// thresholds are compared with. Returns the spans that became final, in start order.
    public mutating func add(timestamp t: Double, probabilities: [Float]) -> [Segment] {
        if windowSum.isEmpty { windowSum = [Double](repeating: 0, count: probabilities.count) }
        precondition(probabilities.count == windowSum.count, "SpanDetector: the class count changed")
        window.append((t, probabilities))
        for c in probabilities.indices { windowSum[c] += Double(probabilities[c]) }
        while let first = window.first, window.count > 1, first.0 <= t - options.smooth + Self.epsilon {
            for c in first.1.indices { windowSum[c] -= Double(first.1[c]) }
            window.removeFirst()
        }
        let n = Double(window.count)
        for c in windowSum.indices {
            let p = Float(windowSum[c] / n)
            step(class: c, p: p, at: t)
        }
        // A closed run whose merge gap has passed is final.
        for (c, run) in runs {
            if let end = run.end, t - end >= options.mergeGap - Self.epsilon {
                runs[c] = nil
                keep(run, class: c)
            }
        }
        previousTimestamp = lastTimestamp
        lastTimestamp = t
        return release(all: false)
    }

    /// Closes the spans still open at the end of the input (at `end`; nil: the last frame's time
    /// plus one frame period) and returns every span not yet returned, in start order.
    public mutating func finish(end: Double? = nil) -> [Segment] {
        let last = lastTimestamp ?? 0
        let period = frameDuration ?? previousTimestamp.map { last - $0 } ?? 0
        let close = end ?? last + period
        for (c, var run) in runs {
            if run.end == nil { run.end = close }
            keep(run, class: c)
        }
        runs = [:]
        return release(all: true)
    }

    private mutating func step(class c: Int, p: Float, at t: Double) {
        if var run = runs[c] {
            if run.end == nil {
                if p < options.exit {
                    run.end = t
                } else {
                    add(p, to: &run)
                }
                runs[c] = run
                return
            }
            if let end = run.end, t - end >= options.mergeGap - Self.epsilon {
                // The gap is too long to merge: the closed span is final, and this frame may open another.
                runs[c] = nil
                keep(run, class: c)
            } else {
                if p >= options.enter {
                    // Back within the merge gap: the gap joins the span.
                    run.end = nil
                    add(p, to: &run)
                    runs[c] = run
                }
                return
            }
        }
        if p >= options.enter {
            var run = Run(start: t)
            add(p, to: &run)
            runs[c] = run
        }
    }

    private func add(_ p: Float, to run: inout Run) {
        run.sum += Double(p)
        run.frames += 1
        run.peak = max(run.peak, p)
    }

    private mutating func keep(_ run: Run, class c: Int) {
        guard let end = run.end, end - run.start >= options.minDuration - Self.epsilon else { return }
        done.append(Segment(start: run.start, end: end, index: c,
                            label: c < labels.count ? labels.names[c] : "class \(c)",
                            mean: Float(run.sum / Double(max(1, run.frames))), peak: run.peak))
    }

    /// The final spans that no unfinished run can precede, in start order.
    private mutating func release(all: Bool) -> [Segment] {
        guard !done.isEmpty else { return [] }
        done.sort { ($0.start, $0.index) < ($1.start, $1.index) }
        let limit = all ? Double.infinity : runs.values.map(\.start).min() ?? .infinity
        let ready = done.prefix { $0.start <= limit }
        done.removeFirst(ready.count)
        return Array(ready)
    }
}
