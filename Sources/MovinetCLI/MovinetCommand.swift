// The root `movinet` command, its subcommands, and the mapping of failures to exit statuses.

import ArgumentParser
import Foundation
import VideoDecoding

/// Exit statuses (DESIGN.md, Output).
public enum ExitStatus: Int32, Sendable {
    case ok = 0            // every input classified
    case someFailed = 1    // some inputs failed; the rest were printed
    case usage = 2         // bad arguments
    case modelLoad = 3     // the model (or the labels named by --labels) could not be loaded
    case outputFailed = 4  // standard output could not be written (a full disk, a closed pipe)
}

public struct MovinetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "movinet",
        abstract: "Classify the actions in videos and GIFs with MoViNet (Kinetics-600), on the CPU.",
        version: "0.1.0",
        subcommands: [ClassifyCommand.self, StreamCommand.self, SegmentsCommand.self, InspectCommand.self, BenchCommand.self,
                      ModelsCommand.self])

    public init() {}

    /// Runs the command line and exits: the executable's entry point. Used instead of
    /// argument-parser's `main()` so that usage errors exit with status 2 (its default is 64).
    /// Arguments are taken from `argv` as bytes (`FileNames`), so that file names that are not
    /// UTF-8 reach the file system unchanged.
    public static func runAndExit() async {
        // A reader that closes the pipe (`| head`) must give status 4, not kill the process with
        // SIGPIPE (status 141): with the signal ignored the write fails with EPIPE, and the run
        // stops through StandardOutput's failure path, quietly.
        signal(SIGPIPE, SIG_IGN)
        let arguments = (1..<Int(CommandLine.argc)).compactMap { i in
            CommandLine.unsafeArgv[i].map { FileNames.decode(cString: $0) }
        }
        let status = await run(arguments)
        Foundation.exit(finalStatus(status))
    }

    /// Flushes standard output; when any write to it failed, says so in one line and returns
    /// status 4 instead of `status` (quietly when the reader closed the pipe).
    static func finalStatus(_ status: Int32) -> Int32 {
        StandardOutput.flush()
        guard let failure = StandardOutput.failure else { return status }
        if !StandardOutput.failedOnClosedPipe {
            Diagnostics.shared.fatal("movinet: cannot write the results to standard output: \(failure)")
        }
        return ExitStatus.outputFailed.rawValue
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
            if !message.isEmpty { StandardOutput.write(message + "\n") }
            return 0
        }
        if !message.isEmpty { Diagnostics.shared.fatal(message.hasPrefix("Error: ") ? message : message) }
        if code == .validationFailure { return ExitStatus.usage.rawValue }
        return code.rawValue
    }
}
