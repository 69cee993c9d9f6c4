// Placeholder for `movinet models` until its implementation lands.

import ArgumentParser

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "(not available in this build)")

    func run() throws {
        throw ValidationError("'movinet models' is not available in this build")
    }
}
