// The work shared by `classify` and `stream`: expand and shard the inputs, load the model, run
// the inputs on --jobs workers, print records in input order, and pick the exit status.

import ArgumentParser
import Foundation
import MoViNetKit
import MoViNet

public struct BatchRequest {
    public var inputs: InputOptions
    public var run: RunOptions
    public var output: OutputOptions
    public var everyFrame: Bool
    public var plotPath: String?
}

public enum Batch {
    /// Runs a whole batch; throws ExitCode(1) when some inputs failed, 2 for usage, 3 for the model.
    public static func run(_ request: BatchRequest, loaded: () throws -> LoadedModel) throws {
        let diagnostics = Diagnostics.shared
        diagnostics.quiet = request.output.quiet
        var inputs = Inputs.expand(request.inputs.inputs)
        if let shard = request.inputs.shard { inputs = shard.select(inputs) }
        if request.plotPath != nil && inputs.count != 1 {
            diagnostics.fatal("movinet: --plot needs exactly one input, got \(inputs.count)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let loaded = try loaded()
        let info = loaded.model.info
        if request.everyFrame && info.kind != .stream {
            diagnostics.fatal("movinet: \(loaded.name): --every-frame needs a stream model (e.g. a0-stream-int8)")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        let size = request.run.size ?? info.inputSize
        let jobs = max(1, min(request.inputs.jobs, max(1, inputs.count)))
        let threads = request.run.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs)
        let settings = InferenceSettings(
            topK: request.output.topK, threshold: Float(request.output.threshold), keepLogits: request.output.logits,
            fps: request.run.fps, size: size, window: request.run.window, centerCrop: request.run.centerCrop,
            everyFrame: request.everyFrame, keepProbabilities: request.plotPath != nil)
        let writer = RecordWriter(format: request.output.format, topK: request.output.topK, perFrame: request.everyFrame)
        let failures = try process(inputs, loaded: loaded, settings: settings, writer: writer, jobs: jobs,
                                   threads: threads, plotPath: request.plotPath)
        if failures > 0 { throw ExitCode(ExitStatus.someFailed.rawValue) }
    }

    /// Processes `inputs` and prints their records; returns how many failed.
    public static func process(_ inputs: [String], loaded: LoadedModel, settings: InferenceSettings,
                               writer: RecordWriter, jobs: Int, threads: Int, plotPath: String?) throws -> Int {
        let output = OrderedOutput { StandardOutput.write($0) }
        let progress = ProgressBar(totalFiles: inputs.count)
        let state = SharedState(workers: jobs)
        StandardOutput.write(writer.header())
        OrderedOutput.run(count: inputs.count, jobs: jobs) { index, worker in
            let file = inputs[index]
            output.emit(index, writer.inputStart(file, position: index))
            var framesWritten = 0
            var track: ProbabilityTrack? = plotPath == nil ? nil : ProbabilityTrack()
            var result: InputResult?
            var message: String?
            do {
                let runner = try state.runner(worker, model: loaded.model, size: settings.size, threads: threads)
                let frames = try FrameStreams.open(file, size: settings.size, fps: settings.fps,
                                                   centerCrop: settings.centerCrop)
                result = try Inference.run(frames, runner: runner, labels: loaded.labels, settings: settings,
                                           path: file, track: &track,
                                           onFrame: { frame in
                                               output.emit(index, writer.frame(frame, file: file, nth: framesWritten))
                                               framesWritten += 1
                                           },
                                           onProgress: { progress.addFrames($0) })
                for w in frames.warnings { Diagnostics.shared.warning("\(file): \(w)") }
            } catch {
                message = problem(error, file: file)
                state.failed()
                Diagnostics.shared.inputError(file, message ?? "")
            }
            if let plotPath, let track, result != nil {
                do {
                    try SVGPlot.render(track, labels: loaded.labels, classes: settings.topK, title: (file as NSString).lastPathComponent)
                        .write(toFile: plotPath, atomically: true, encoding: .utf8)
                } catch {
                    Diagnostics.shared.inputError(plotPath, "cannot write the plot: \(error.localizedDescription)")
                    state.failed()
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
        return state.failures
    }

    /// The problem part of an error about `file` (the `<file>: ` prefix removed).
    public static func problem(_ error: Error, file: String) -> String {
        let text = "\(error)"
        for prefix in [file + ": ", file + ":"] where text.hasPrefix(prefix) {
            return String(text.dropFirst(prefix.count))
        }
        return text
    }

    /// One runner per worker, created on first use; the failure count.
    final class SharedState: @unchecked Sendable {
        private let lock = NSLock()
        private var runners: [Int: MoViNetRunner] = [:]
        private(set) var failures = 0

        init(workers: Int) {}

        func runner(_ worker: Int, model: MoViNetModel, size: Int, threads: Int) throws -> MoViNetRunner {
            lock.lock()
            defer { lock.unlock() }
            if let r = runners[worker] { return r }
            let r = try MoViNetRunner(model: model, height: size, width: size, threads: threads)
            runners[worker] = r
            return r
        }

        func failed() {
            lock.lock()
            failures += 1
            lock.unlock()
        }
    }
}
