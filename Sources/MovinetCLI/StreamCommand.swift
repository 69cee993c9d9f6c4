// Placeholder for `movinet stream` until its implementation lands.

import ArgumentParser

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stream", abstract: "(not available in this build)")

    func run() throws {
        throw ValidationError("'movinet stream' is not available in this build")
    }
}
