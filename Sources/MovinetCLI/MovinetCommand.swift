// The root `movinet` command, its subcommands, and the mapping of failures to exit statuses.

import ArgumentParser
import Foundation

/// Exit statuses (DESIGN.md, Output).
public enum ExitStatus: Int32, Sendable {
    case ok = 0            // every input classified
    case someFailed = 1    // some inputs failed; the rest were printed
    case usage = 2         // bad arguments
    case modelLoad = 3     // the model (or its labels) could not be loaded
}

public struct MovinetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "movinet",
        abstract: "Classify the actions in videos and GIFs with MoViNet (Kinetics-600), on the CPU.",
        version: "0.1.0",
        subcommands: [ClassifyCommand.self, StreamCommand.self, InspectCommand.self, BenchCommand.self,
                      ModelsCommand.self])

    public init() {}

    /// Runs the command line and exits: the executable's entry point. Used instead of
    /// argument-parser's `main()` so that usage errors exit with status 2 (its default is 64).
    public static func runAndExit() async {
        let status = await run(CommandLine.arguments.dropFirst().map { $0 })
        StandardOutput.flush()
        Foundation.exit(status)
    }

    /// Parses and runs `arguments`, printing any message, and returns the exit status.
    public static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.ok.rawValue
        } catch {
            return report(error)
        }
    }

    /// Prints what `error` means the way argument-parser would, mapping its usage status to 2.
    static func report(_ error: Error) -> Int32 {
        if let code = error as? ExitCode { return code.rawValue }
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            return 0
        }
        if !message.isEmpty { Diagnostics.shared.fatal(message.hasPrefix("Error: ") ? message : message) }
        if code == .validationFailure { return ExitStatus.usage.rawValue }
        return code.rawValue
    }
}
