// The movinet executable: everything lives in MovinetCLI.
import MovinetCLI

await MovinetCommand.runAndExit()
