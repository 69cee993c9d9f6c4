// The movinet executable: everything lives in MovinetCLI.
import MovinetCLI

MovinetCommand.main()
