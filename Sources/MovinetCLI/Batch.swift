// The work shared by `classify` and `stream`: expand and shard the inputs, load the model, run
// the inputs on --jobs tasks through MoViNetKit, print records in input order, and pick the exit
// status.

import ArgumentParser
import Foundation
import MoViNet
import MoViNetKit

public struct BatchRequest {
    public var inputs: InputOptions
    public var run: RunOptions
    public var output: OutputOptions
    public var everyFrame: Bool
    public var plotPath: String?
}

public enum Batch {
    /// Runs a whole batch; throws ExitCode(1) when some inputs failed, 2 for usage, 3 for the model.
    /// `check` may refuse the loaded classifier (it prints why and throws an ExitCode).
    public static func run(_ request: BatchRequest, model: ModelOptions,
                           check: (VideoClassifier) throws -> Void = { _ in }) async throws {
        let diagnostics = Diagnostics.shared
        diagnostics.quiet = request.output.quiet
        var inputs = Inputs.expand(request.inputs.inputs)
        if let shard = request.inputs.shard { inputs = shard.select(inputs) }
        if request.plotPath != nil && inputs.count != 1 {
            diagnostics.fatal("movinet: --plot needs exactly one input, got \(inputs.count)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let jobs = max(1, min(request.inputs.jobs, max(1, inputs.count)))
        let options = ClassifierOptions(
            fps: request.run.fps, size: request.run.size, centerCrop: request.run.centerCrop,
            threads: request.run.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs),
            topK: request.output.topK, threshold: Float(request.output.threshold), window: request.run.window)
        let classifier = try ModelResolution.classifier(model, options: options)
        try check(classifier)
        if request.everyFrame && classifier.kind != .stream {
            diagnostics.fatal("movinet: \(model.model): --every-frame needs a stream model (e.g. a0-stream-int8)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let writer = RecordWriter(format: request.output.format, topK: request.output.topK,
                                  perFrame: request.everyFrame, logits: request.output.logits)
        let failures = await process(inputs, classifier: classifier, writer: writer, jobs: jobs,
                                     plotPath: request.plotPath)
        if failures > 0 { throw ExitCode(ExitStatus.someFailed.rawValue) }
    }

    /// Processes `inputs` and prints their records; returns how many failed.
    public static func process(_ inputs: [String], classifier: VideoClassifier, writer: RecordWriter, jobs: Int,
                               plotPath: String?) async -> Int {
        let output = OrderedOutput { StandardOutput.write($0) }
        let progress = ProgressBar(totalFiles: inputs.count)
        let failures = FailureCount()
        StandardOutput.write(writer.header())
        await OrderedOutput.run(count: inputs.count, jobs: jobs) { index in
            let file = inputs[index]
            output.emit(index, writer.inputStart(file, position: index))
            var framesWritten = 0
            var track: ProbabilityTrack? = plotPath == nil ? nil : ProbabilityTrack()
            var result: Classification?
            var message: String?
            do {
                if writer.perFrame || track != nil {
                    let predictions = classifier.stream(file)
                    for try await prediction in predictions {
                        progress.addFrames(1)
                        if writer.perFrame {
                            output.emit(index, writer.frame(prediction, file: file, nth: framesWritten))
                            framesWritten += 1
                        }
                        track?.append(prediction)
                    }
                    result = predictions.classification
                } else {
                    result = try await classifier.classify(file, onFrame: { progress.addFrames($0) })
                }
                for w in result?.warnings ?? [] { Diagnostics.shared.warning("\(file): \(w)") }
            } catch {
                message = (error as? MoViNetKitError)?.problem ?? "\(error)"
                failures.add()
                Diagnostics.shared.inputError(file, message ?? "")
            }
            if let plotPath, let track, result != nil {
                do {
                    try SVGPlot.render(track, labels: classifier.labels, classes: writer.topK,
                                       title: (file as NSString).lastPathComponent)
                        .write(toFile: plotPath, atomically: true, encoding: .utf8)
                } catch {
                    Diagnostics.shared.inputError(plotPath, "cannot write the plot: \(error.localizedDescription)")
                    failures.add()
                }
            }
            output.emit(index, writer.inputEnd(file, result: result, error: message, framesWritten: framesWritten))
            output.finish(index)
            StandardOutput.flush()
            progress.fileDone()
        }
        StandardOutput.write(writer.footer(inputs: inputs.count))
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
