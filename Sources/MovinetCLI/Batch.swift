// The work shared by `classify` and `stream`: expand and shard the inputs (a `-` list as it
// arrives), load the model, run the inputs on --jobs tasks through MoViNetKit, print records in
// input order, and pick the exit status.

import ArgumentParser
import Foundation
import MoViNet
import MoViNetKit
import VideoDecoding

public struct BatchRequest {
    public var inputs: InputOptions
    public var run: RunOptions
    public var output: OutputOptions
    public var everyFrame: Bool
    public var plotPath: String?
    /// A bounded context for the per-frame predictions (`--context`); nil: one run per input.
    public var context: ContextOptions? = nil
    /// How live inputs are opened (`-f`, `--input-option`, `--stall-timeout`).
    public var live = LiveInputOptions()
    /// `stream --realtime`: skip sampled frames rather than fall behind a live input.
    public var realtime = false
}

public enum Batch {
    /// Runs a whole batch; throws ExitCode(1) when some inputs failed, 2 for usage, 3 for the model.
    /// `check` may refuse the loaded classifier (it prints why and throws an ExitCode).
    public static func run(_ request: BatchRequest, model: ModelOptions,
                           check: (VideoClassifier) throws -> Void = { _ in }) async throws {
        let diagnostics = Diagnostics.shared
        diagnostics.quiet = request.output.quiet
        diagnostics.verbose = request.output.verbose
        let arguments = request.inputs.arguments
        let separator = request.inputs.separator
        // Without '-' the list is known at once (folders are scanned now); with '-' it is read as
        // it arrives, while the first inputs are classified — except for --plot, which needs to
        // know there is exactly one.
        var known: [String]?
        if !arguments.contains("-") || request.plotPath != nil {
            var list = Inputs.expand(arguments, separator: separator, onScan: reportScan)
            if let shard = request.inputs.shard { list = shard.select(list) }
            known = list
        }
        if let known, request.plotPath != nil && known.count != 1 {
            diagnostics.fatal("movinet: --plot needs exactly one input, got \(known.count)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let jobs = max(1, min(request.inputs.jobs, max(1, known?.count ?? request.inputs.jobs)))
        let options = ClassifierOptions(
            fps: request.run.fps, size: request.run.size, centerCrop: request.run.centerCrop,
            threads: request.run.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs),
            topK: request.output.topK, threshold: Float(request.output.threshold), window: request.run.window,
            autorotate: request.run.autorotate, start: request.run.start?.value ?? 0,
            duration: request.run.duration?.value, inputFormat: request.live.inputFormat,
            inputOptions: request.live.dictionary, stallTimeout: request.live.stallTimeout,
            realtime: request.realtime, precision: request.run.precision,
            // Inputs decoded side by side share the cores (frame threads of each decoder on every
            // core cost more than they give: a folder of 21 clips 1.2 -> 1.0 s at --jobs 2).
            decoderThreads: jobs > 1 ? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs) : 0)
        StopSignals.install()
        // Reading the list starts before the model loads: the two overlap.
        let feed: AsyncStream<String>
        if let known {
            feed = AsyncStream { c in known.forEach { c.yield($0) }; c.finish() }
        } else {
            feed = sharded(Inputs.feed(arguments, separator: separator, onScan: reportScan), request.inputs.shard)
        }
        // The first file decodes while the model loads (a short GIF is mostly import and decoding).
        let early = request.realtime ? nil : known?.first.flatMap {
            EarlyFrames.start($0, fps: options.fps, decoding: options.decoding)
        }
        defer { early?.stop() }
        let classifier = try ModelResolution.classifier(model, options: options)
        if let early { classifier.adopt(early) }
        try check(classifier)
        if request.everyFrame && classifier.kind != .stream {
            diagnostics.fatal("movinet: \(model.model): --every-frame needs a stream model (e.g. a0-stream-int8)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        var labelsKnown = true
        if case .numbered(let reason) = classifier.labelSource, reason != nil { labelsKnown = false }
        let writer = RecordWriter(format: request.output.format, topK: request.output.topK,
                                  perFrame: request.everyFrame, logits: request.output.logits, labels: labelsKnown,
                                  realtime: request.realtime, precision: classifier.precision.rawValue)
        let failures = await process(feed, classifier: classifier, writer: writer, jobs: jobs,
                                     plotPath: request.plotPath, expected: known?.count, context: request.context)
        if StandardOutput.failure != nil { return }   // runAndExit reports it
        if let signal = StopSignals.received { throw ExitCode(128 + signal) }
        if failures > 0 { throw ExitCode(ExitStatus.someFailed.rawValue) }
    }

    /// The inputs of shard K/N of `stream` (every input when `shard` is nil).
    static func sharded(_ stream: AsyncStream<String>, _ shard: Shard?) -> AsyncStream<String> {
        guard let shard else { return stream }
        return AsyncStream { c in
            let task = Task {
                var i = 0
                for await item in stream {
                    if i % shard.count == shard.index - 1 { c.yield(item) }
                    i += 1
                }
                c.finish()
            }
            c.onTermination = { _ in task.cancel() }
        }
    }

    /// What a folder scan passed over: a count on stderr, each file with `--verbose`.
    @Sendable static func reportScan(_ folder: String, _ scan: MediaFiles.Scan) {
        let diagnostics = Diagnostics.shared
        guard !scan.skipped.isEmpty else { return }
        if diagnostics.verbose {
            for s in scan.skipped { diagnostics.note("\(s.path): skipped: \(s.reason)") }
        } else {
            let n = scan.skipped.count
            diagnostics.note("\(folder): skipped \(n) file\(n == 1 ? "" : "s") that \(n == 1 ? "is" : "are") not media"
                             + " (--verbose lists them)")
        }
    }

    /// Processes `inputs` and prints their records; returns how many failed.
    public static func process(_ inputs: [String], classifier: VideoClassifier, writer: RecordWriter, jobs: Int,
                               plotPath: String?) async -> Int {
        await process(AsyncStream { c in inputs.forEach { c.yield($0) }; c.finish() }, classifier: classifier,
                      writer: writer, jobs: jobs, plotPath: plotPath, expected: inputs.count)
    }

    /// Processes the inputs of `feed` as they arrive and prints their records in order; returns
    /// how many failed. Stops taking inputs once standard output has failed. With `--plot -` the
    /// plot is what goes to standard output, so the records do not.
    public static func process(_ feed: AsyncStream<String>, classifier: VideoClassifier, writer: RecordWriter,
                               jobs: Int, plotPath: String?, expected: Int?,
                               context: ContextOptions? = nil) async -> Int {
        let recordsOut = plotPath != "-"
        let output = OrderedOutput { text in if recordsOut { StandardOutput.write(text) } }
        let progress = ProgressBar(totalFiles: expected ?? 0)
        let failures = FailureCount()
        if recordsOut { StandardOutput.write(writer.header()) }
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
        let stopped: @Sendable () -> Bool = { StandardOutput.failure != nil || InputStop.isRequested }
        let count = await OrderedOutput.run(items: counted, jobs: jobs, stop: stopped) {
            index, file in
            if stopped() { output.finish(index); return }
            output.emit(index, writer.inputStart(file, position: index))
            var framesWritten = 0
            var track: ProbabilityTrack? = plotPath == nil ? nil : ProbabilityTrack()
            var result: Classification?
            var message: String?
            do {
                if writer.perFrame || track != nil {
                    let predictions = context.map { classifier.stream(file, context: $0) } ?? classifier.stream(file)
                    for try await prediction in predictions {
                        if StandardOutput.failure != nil { break }   // nowhere to print the rest
                        progress.addFrames(1)
                        if writer.perFrame {
                            // Out as soon as it exists (when this input is the one being printed).
                            output.emit(index, writer.frame(prediction, file: file, nth: framesWritten))
                            StandardOutput.flush()
                            framesWritten += 1
                        }
                        track?.append(prediction)
                    }
                    result = predictions.classification
                } else {
                    result = try await classifier.classify(file, onFrame: { progress.addFrames($0) })
                }
                if result != nil, let signal = StopSignals.received {
                    result!.warnings.append("stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): "
                                            + "the input was not read to its end")
                }
                for w in result?.warnings ?? [] { Diagnostics.shared.warning("\(file): \(w)") }
            } catch {
                message = (error as? MoViNetKitError)?.problem ?? "\(error)"
                failures.add()
                // After a failed write the inputs in progress are cancelled: that is not their fault.
                if StandardOutput.failure == nil { Diagnostics.shared.inputError(file, message ?? "") }
            }
            if let plotPath, let track, result != nil {
                do {
                    let svg = SVGPlot.render(track, labels: classifier.labels, classes: writer.topK,
                                             title: (file as NSString).lastPathComponent,
                                             spans: SpanDetector.spans(of: track, labels: classifier.labels,
                                                                       frameDuration: classifier.frameDuration))
                    try FileOutput.write(svg, to: plotPath)
                } catch {
                    Diagnostics.shared.inputError(plotPath == "-" ? "standard output" : plotPath,
                                                  "cannot write the plot: \(error)")
                    failures.add()
                }
            }
            output.emit(index, writer.inputEnd(file, result: result, error: message, framesWritten: framesWritten))
            output.finish(index)
            StandardOutput.flush()
            progress.fileDone()
        }
        if recordsOut { StandardOutput.write(writer.footer(inputs: count)) }
        StandardOutput.flush()
        progress.finish()
        return failures.value
    }

    /// Failed inputs, counted from several tasks.
    final class FailureCount: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }
}

/// Probabilities over time, for `--plot`.
public struct ProbabilityTrack: Sendable {
    public var timestamps: [Double] = []
    public var probabilities: [[Float]] = []   // (frames, classes)
    public init() {}

    public mutating func append(_ prediction: FramePrediction) {
        timestamps.append(prediction.timestamp)
        probabilities.append(prediction.probabilities)
    }
}
