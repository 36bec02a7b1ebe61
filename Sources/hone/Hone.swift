import ArgumentParser
import Foundation
import Hone

@main
struct HoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hone",
        abstract: "Compile, verify and time tensor kernels for this CPU.",
        discussion: """
            A kernel file (Kernels/*.hone) says what a kernel computes. Hone lowers it to \
            a loop nest, compiles it with LLVM for the host CPU, runs it, and checks its \
            output against a reference interpreter.
            """,
        subcommands: [RunCommand.self, IRCommand.self, CompileCommand.self, MeasureCommand.self, TuneCommand.self, TuneNetworkCommand.self, RecordsGroupCommand.self, FeaturesCommand.self, WorkerCommand.self])
}

/// Prints record-loading warnings on stderr (the first few, then a count).
func printWarnings(_ warnings: [String], limit: Int = 5) {
    for w in warnings.prefix(limit) { printError("warning: \(w)") }
    if warnings.count > limit { printError("warning: ... and \(warnings.count - limit) more skipped lines") }
}

/// Runs a command body, turning user errors into a message on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as HoneError {
        printError(error.description)
        throw ExitCode.failure
    } catch let error as ScheduleError {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
