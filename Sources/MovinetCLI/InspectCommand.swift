// Placeholder for `movinet inspect` until its implementation lands.

import ArgumentParser

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(not available in this build)")

    func run() throws {
        throw ValidationError("'movinet inspect' is not available in this build")
    }
}
