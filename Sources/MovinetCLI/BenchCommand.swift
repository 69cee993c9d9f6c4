// Placeholder for `movinet bench` until its implementation lands.

import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not available in this build)")

    func run() throws {
        throw ValidationError("'movinet bench' is not available in this build")
    }
}
