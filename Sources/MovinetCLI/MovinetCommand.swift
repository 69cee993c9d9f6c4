// The root `movinet` command and its subcommands.

import ArgumentParser

public struct MovinetCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "movinet",
        abstract: "Classify the actions in videos and GIFs with MoViNet (Kinetics-600), on the CPU.",
        version: "0.1.0",
        subcommands: [ClassifyCommand.self, StreamCommand.self, InspectCommand.self, BenchCommand.self,
                      ModelsCommand.self])

    public init() {}
}
