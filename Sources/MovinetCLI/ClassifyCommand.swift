// Placeholder for `movinet classify` until its implementation lands.

import ArgumentParser

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classify", abstract: "(not available in this build)")

    func run() throws {
        throw ValidationError("'movinet classify' is not available in this build")
    }
}
