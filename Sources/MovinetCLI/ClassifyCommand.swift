// `movinet classify`: one result per input (stream models: after the last sampled frame; base
// models: the mean of the windows' probabilities).

import ArgumentParser

struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Print the top labels of each input video, GIF or .npy array.",
        discussion: """
            Exit status: 0 all inputs classified, 1 some inputs failed (the rest were printed), \
            2 usage error, 3 the model could not be loaded.
            """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: RunOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if output.format.isSubtitles {
            throw ValidationError("--format \(output.format) is for 'segments' and 'stream --every-frame'")
        }
    }

    func run() async throws {
        Diagnostics.shared.quiet = output.quiet
        let request = BatchRequest(inputs: inputs, run: sampling, output: output, everyFrame: false, plotPath: nil)
        try await Batch.run(request, model: model)
    }
}
