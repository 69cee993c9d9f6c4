// `movinet stream`: a stream model frame by frame; per-frame rows with --every-frame, a picture
// of the top classes over time with --plot.

import ArgumentParser

struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Run a streaming model frame by frame over each input.",
        discussion: """
            Without --every-frame, prints one result per input (after its last sampled frame). \
            Exit status: 0 all inputs classified, 1 some inputs failed, 2 usage error, 3 the model \
            could not be loaded.
            """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: RunOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Print one record per sampled frame (index, timestamp, top labels).")
    var everyFrame = false

    @Option(help: ArgumentHelp("Draw the top classes' probability over time into this SVG file (one input only).",
                               valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let plot, plot.isEmpty { throw ValidationError("--plot needs a file name") }
    }

    func run() async throws {
        Diagnostics.shared.quiet = output.quiet
        let request = BatchRequest(inputs: inputs, run: sampling, output: output, everyFrame: everyFrame, plotPath: plot)
        try await Batch.run(request, model: model) { classifier in
            if classifier.kind != .stream {
                Diagnostics.shared.fatal(
                    "movinet: \(model.model): is a base model; 'stream' needs a stream model (e.g. a0-stream-int8)")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
    }
}
