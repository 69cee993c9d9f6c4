// `movinet segments`: labelled time spans of each input (when each action happens), made from
// per-frame predictions under a bounded context; also the per-frame subtitles of
// `stream --every-frame --format srt|vtt`.

import ArgumentParser
import Foundation
import MoViNet
import MoViNetKit

extension ContextOptions.Combination: ExpressibleByArgument {}

/// `--context SECONDS` and how the bounded context is computed (shared by `segments` and `stream`).
public struct ContextTuning: ParsableArguments {
    @Option(help: ArgumentHelp("Context: stream runners side by side, staggered evenly (more: fresher predictions, more compute).",
                               valueName: "n"))
    public var contextRunners: Int = ContextOptions().runners

    @Option(help: ArgumentHelp("Context: seconds a runner must have run before it is used (default: half the context).",
                               valueName: "seconds"))
    public var contextWarmup: Double?

    @Option(help: ArgumentHelp("Context: which warmed-up runner speaks for a frame: freshest, confident (the most sure) or blend (the mean of all).",
                               valueName: "rule"))
    public var contextRule: ContextOptions.Combination = ContextOptions().combination

    public init() {}

    /// The library's options for a context of `seconds`.
    public func options(seconds: Double) -> ContextOptions {
        ContextOptions(seconds: seconds, runners: contextRunners, warmUp: contextWarmup,
                       combination: contextRule)
    }

    /// Checks the values against a context of `seconds`.
    public func check(seconds: Double) throws {
        do {
            try options(seconds: seconds).validate()
        } catch {
            throw ValidationError(error.problem.replacingOccurrences(of: "context runners", with: "--context-runners")
                .replacingOccurrences(of: "context warm-up", with: "--context-warmup")
                .replacingOccurrences(of: "context must", with: "--context must"))
        }
    }
}

/// The span thresholds and durations.
public struct SpanOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A span starts when a class's smoothed probability reaches this.", valueName: "p"))
    public var enter: Double = Double(SegmentOptions().enter)

    @Option(help: ArgumentHelp("A span ends when its class's smoothed probability falls below this.", valueName: "p"))
    public var exit: Double = Double(SegmentOptions().exit)

    @Option(help: ArgumentHelp("Spans shorter than this are dropped.", valueName: "seconds"))
    public var minDuration: Double = SegmentOptions().minDuration

    @Option(help: ArgumentHelp("Spans of one class closer than this are merged.", valueName: "seconds"))
    public var mergeGap: Double = SegmentOptions().mergeGap

    @Option(help: ArgumentHelp("Causal moving average of each class's probability over this many seconds (0: none).",
                               valueName: "seconds"))
    public var smooth: Double = SegmentOptions().smooth

    public init() {}

    public func validate() throws {
        if !(enter > 0 && enter <= 1) { throw ValidationError("--enter must be more than 0 and at most 1") }
        if !(exit >= 0 && exit <= enter) { throw ValidationError("--exit must be between 0 and --enter") }
        for (name, v) in [("--min-duration", minDuration), ("--merge-gap", mergeGap), ("--smooth", smooth)]
        where !(v >= 0) || !v.isFinite {
            throw ValidationError("\(name) must be 0 or more")
        }
    }

    public func options(context: ContextOptions) -> SegmentOptions {
        SegmentOptions(enter: Float(enter), exit: Float(exit), minDuration: minDuration, mergeGap: mergeGap,
                       smooth: smooth, context: context)
    }
}

struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "Print when each action happens in each input, as labelled time spans (or subtitles).",
        discussion: """
            Each prediction looks back only about --context seconds (stream runners reset in turn); \
            a span of a class starts when its smoothed probability reaches --enter and ends at the \
            first frame below --exit; spans of one class closer than --merge-gap are merged and \
            spans shorter than --min-duration dropped. Spans of different classes may overlap. A \
            span is printed as soon as it has ended (spans in start order); at the end of an input \
            its open spans are closed. --format srt or vtt writes subtitles (one input): \
            'mpv --sub-file=clip.srt clip.mp4' shows the actions over the video. Stream models only \
            (a base model is refused with status 2). Exit status: 0 all inputs done, 1 some inputs \
            failed, 2 usage error, 3 the model could not be loaded.
            """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: RunOptions
    @OptionGroup var spans: SpanOptions

    @Option(help: ArgumentHelp("Each prediction looks back about this far (stream runners reset every this many seconds).",
                               valueName: "seconds"))
    var context: Double = ContextOptions().seconds

    @OptionGroup var tuning: ContextTuning

    @OptionGroup(title: "Live inputs") var live: LiveInputOptions

    @Option(help: "Output format: text, jsonl, json, csv, srt or vtt (subtitles: one input).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Draw the top classes' probability over time, with the spans shaded, into this SVG file (one input only; '-' for standard output).",
                               valueName: "file.svg"))
    var plot: String?

    @Option(name: [.customShort("k"), .long], help: "Classes drawn by --plot.")
    var topK: Int = 5

    @Flag(name: .shortAndLong, help: "No progress bar, warnings or per-input error lines on stderr.")
    var quiet = false

    @Flag(help: "List on stderr each file a folder scan skipped, and why.")
    var verbose = false

    func validate() throws {
        try tuning.check(seconds: context)
        if let plot, plot.isEmpty { throw ValidationError("--plot needs a file name") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be combined") }
        if plot == "-" && format.isSubtitles { throw ValidationError("--plot - and --format \(format) both need standard output") }
    }

    func run() async throws {
        let job = SegmentsJob(inputs: inputs, run: sampling, quiet: quiet, verbose: verbose, topK: topK, live: live)
        let options = spans.options(context: tuning.options(seconds: context))
        try await job.run(model: model, oneInput: format.isSubtitles || plot != nil) { classifier in
            if classifier.kind != .stream {
                Diagnostics.shared.fatal(
                    "movinet: \(model.model): is a base model; 'segments' needs a stream model (e.g. a0-stream-int8)")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        } body: { classifier, feed, expected in
            await job.segments(feed, classifier: classifier, options: options, format: format, plotPath: plot,
                               expected: expected)
        }
    }
}

/// The batch plumbing of `segments` and of `stream`'s subtitles: inputs, model, ordered output.
struct SegmentsJob {
    let inputs: InputOptions
    let run: RunOptions
    let quiet: Bool
    let verbose: Bool
    let topK: Int
    var live = LiveInputOptions()

    /// Expands the inputs, loads the model, runs `body` over the inputs and sets the exit status.
    func run(model: ModelOptions, oneInput: Bool, check: (VideoClassifier) throws -> Void,
             body: (VideoClassifier, AsyncStream<String>, Int?) async -> Int) async throws {
        let diagnostics = Diagnostics.shared
        diagnostics.quiet = quiet
        diagnostics.verbose = verbose
        let arguments = inputs.arguments
        var known: [String]?
        if !arguments.contains("-") || oneInput {
            var list = Inputs.expand(arguments, separator: inputs.separator, onScan: Batch.reportScan)
            if let shard = inputs.shard { list = shard.select(list) }
            known = list
        }
        if let known, oneInput && known.count != 1 {
            diagnostics.fatal("movinet: subtitles and --plot need exactly one input, got \(known.count)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let jobs = max(1, min(inputs.jobs, max(1, known?.count ?? inputs.jobs)))
        let options = ClassifierOptions(
            fps: run.fps, size: run.size, centerCrop: run.centerCrop,
            threads: run.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs),
            topK: topK, threshold: 0, window: run.window, autorotate: run.autorotate,
            start: run.start?.value ?? 0, duration: run.duration?.value, inputFormat: live.inputFormat,
            inputOptions: live.dictionary, stallTimeout: live.stallTimeout, precision: run.precision)
        StopSignals.install()
        let feed: AsyncStream<String>
        if let known {
            feed = AsyncStream { c in known.forEach { c.yield($0) }; c.finish() }
        } else {
            feed = Batch.sharded(Inputs.feed(arguments, separator: inputs.separator, onScan: Batch.reportScan),
                                 inputs.shard)
        }
        let classifier = try ModelResolution.classifier(model, options: options)
        try check(classifier)
        let failures = await body(classifier, feed, known?.count)
        if StandardOutput.failure != nil { return }
        if let signal = StopSignals.received { throw ExitCode(128 + signal) }
        if failures > 0 { throw ExitCode(ExitStatus.someFailed.rawValue) }
    }

    /// Runs `feed` at `inputs.jobs` at a time; `work(index, file, emit)` prints through `emit` in
    /// input order and returns whether the input failed.
    static func ordered(_ feed: AsyncStream<String>, jobs: Int, expected: Int?, recordsOut: Bool,
                        header: String, footer: @escaping @Sendable (Int) -> String,
                        work: @escaping @Sendable (Int, String, ProgressBar, (String) -> Void) async -> Bool) async -> Int {
        let output = OrderedOutput { text in if recordsOut { StandardOutput.write(text) } }
        let progress = ProgressBar(totalFiles: expected ?? 0)
        let failures = Batch.FailureCount()
        if recordsOut { StandardOutput.write(header) }
        let counted = AsyncStream<String> { c in
            let task = Task {
                for await item in feed {
                    if expected == nil { progress.addInput() }
                    c.yield(item)
                }
                c.finish()
            }
            c.onTermination = { _ in task.cancel() }
        }
        let count = await OrderedOutput.run(items: counted, jobs: jobs, stop: { StandardOutput.failure != nil }) {
            index, file in
            if StandardOutput.failure != nil { output.finish(index); return }
            // Each record is flushed as it is made, so that a live input's spans appear when they end.
            let failed = await work(index, file, progress) { text in
                output.emit(index, text)
                StandardOutput.flush()
            }
            if failed { failures.add() }
            output.finish(index)
            StandardOutput.flush()
            progress.fileDone()
        }
        if recordsOut { StandardOutput.write(footer(count)) }
        StandardOutput.flush()
        progress.finish()
        return failures.value
    }

    /// `segments`: the spans of every input, printed as they become final.
    func segments(_ feed: AsyncStream<String>, classifier: VideoClassifier, options: SegmentOptions,
                  format: OutputFormat, plotPath: String?, expected: Int?) async -> Int {
        var labelsKnown = true
        if case .numbered(let reason) = classifier.labelSource, reason != nil { labelsKnown = false }
        let writer = SegmentWriter(format: format, labels: labelsKnown)
        let topK = self.topK
        return await Self.ordered(feed, jobs: inputs.jobs, expected: expected, recordsOut: plotPath != "-",
                                  header: writer.header(), footer: { writer.footer(inputs: $0) }) {
            index, file, progress, emit in
            emit(writer.inputStart(file, position: index))
            var detector = SpanDetector(labels: classifier.labels, options: options,
                                        frameDuration: classifier.frameDuration)
            var written = 0
            var all: [Segment] = []
            var track: ProbabilityTrack? = plotPath == nil ? nil : ProbabilityTrack()
            func write(_ spans: [Segment]) {
                for s in spans {
                    emit(writer.span(s, file: file, nth: written))
                    written += 1
                }
                if track != nil { all += spans }
            }
            var frames: Int?
            var message: String?
            var warnings: [String] = []
            do {
                let predictions = classifier.stream(file, context: options.context)
                for try await p in predictions {
                    if StandardOutput.failure != nil { break }
                    progress.addFrames(1)
                    track?.append(p)
                    write(detector.add(timestamp: p.timestamp, probabilities: p.probabilities))
                }
                if let result = predictions.classification {
                    write(detector.finish())
                    frames = result.frames
                    warnings = result.warnings
                }
                for w in warnings { Diagnostics.shared.warning("\(file): \(w)") }
            } catch {
                message = (error as? MoViNetKitError)?.problem ?? "\(error)"
                if StandardOutput.failure == nil { Diagnostics.shared.inputError(file, message ?? "") }
            }
            var failed = message != nil
            if let plotPath, let track, message == nil {
                failed = !Self.writePlot(track, spans: all, labels: classifier.labels, classes: topK, file: file,
                                         to: plotPath) || failed
            }
            emit(writer.inputEnd(file, frames: frames, error: message, warnings: warnings, spansWritten: written))
            return failed
        }
    }

    /// Writes the SVG of `track` with `spans` shaded; false (after saying why) when it cannot.
    static func writePlot(_ track: ProbabilityTrack, spans: [Segment], labels: Labels, classes: Int, file: String,
                          to path: String) -> Bool {
        do {
            let svg = SVGPlot.render(track, labels: labels, classes: classes,
                                     title: (file as NSString).lastPathComponent, spans: spans)
            try FileOutput.write(svg, to: path)
            return true
        } catch {
            Diagnostics.shared.inputError(path == "-" ? "standard output" : path, "cannot write the plot: \(error)")
            return false
        }
    }

    /// `stream --every-frame --format srt|vtt`: one cue per sampled frame with its top label, from
    /// its time to the next frame's (the last: one frame period, or the last interval with fps 0).
    func subtitleFrames(_ feed: AsyncStream<String>, classifier: VideoClassifier, context: ContextOptions?,
                        format: OutputFormat, expected: Int?) async -> Int {
        await Self.ordered(feed, jobs: 1, expected: expected, recordsOut: true,
                           header: format == .vtt ? "WEBVTT\n\n" : "", footer: { _ in "" }) {
            _, file, progress, emit in
            var pending: FramePrediction?
            var previous: Double?
            var number = 0
            func cue(_ p: FramePrediction, end: Double) {
                number += 1
                let text = p.top.first.map { "\($0.label) \(String(format: "%.2f", $0.probability))" } ?? ""
                emit(format == .srt ? Subtitles.srtCue(number: number, start: p.timestamp, end: end, text: text)
                                    : Subtitles.vttCue(start: p.timestamp, end: end, text: text))
            }
            do {
                let predictions = context.map { classifier.stream(file, context: $0) } ?? classifier.stream(file)
                for try await p in predictions {
                    if StandardOutput.failure != nil { break }
                    progress.addFrames(1)
                    if let last = pending {
                        cue(last, end: p.timestamp)
                        previous = last.timestamp
                    }
                    pending = p
                }
                if let last = pending, predictions.classification != nil {
                    let period = classifier.frameDuration ?? previous.map { last.timestamp - $0 } ?? 0.2
                    cue(last, end: last.timestamp + period)
                }
                for w in predictions.warnings { Diagnostics.shared.warning("\(file): \(w)") }
                return false
            } catch {
                let message = (error as? MoViNetKitError)?.problem ?? "\(error)"
                if StandardOutput.failure == nil { Diagnostics.shared.inputError(file, message) }
                return true
            }
        }
    }
}

extension SpanDetector {
    /// The spans of a `--plot` track with the default options (what `stream --plot` shades).
    static func spans(of track: ProbabilityTrack, labels: Labels, frameDuration: Double?) -> [Segment] {
        spans(timestamps: track.timestamps, probabilities: track.probabilities, labels: labels,
              frameDuration: frameDuration)
    }
}
