// `movinet classify`: one result per input (stream models: after the last sampled frame; base
// models: the mean of the windows' probabilities).

import ArgumentParser

struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Print the top labels of each input video, GIF or .npy array.",
        discussion: """
            'pipe:' reads video bytes from standard input, and network streams, cameras and -f \
            formats are read as by 'movinet stream' (see its --help). SIGINT or SIGTERM stops \
            reading: the inputs in progress are classified on the frames read so far.

            Exit status: 0 all inputs classified, 1 some inputs failed (the rest were printed), \
            2 usage error, 3 the model could not be loaded, 4 standard output failed, 130/143 \
            stopped by SIGINT/SIGTERM.
            """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: RunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Live inputs") var live: LiveInputOptions

    func validate() throws {
        if output.format.isSubtitles {
            throw ValidationError("--format \(output.format) is for 'segments' and 'stream --every-frame'")
        }
    }

    func run() async throws {
        Diagnostics.shared.quiet = output.quiet
        let request = BatchRequest(inputs: inputs, run: sampling, output: output, everyFrame: false, plotPath: nil,
                                   live: live)
        try await Batch.run(request, model: model)
    }
}
