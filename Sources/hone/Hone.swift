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
        subcommands: [RunCommand.self, IRCommand.self, CompileCommand.self])
}

/// The kernel file and parameter overrides every subcommand takes.
struct KernelOptions: ParsableArguments {
    @Argument(help: "The kernel file, e.g. Kernels/gemm.hone.")
    var kernel: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override parameters, e.g. --set M=512,N=256 (repeatable).", valueName: "NAME=VALUE,..."))
    var overrides: [String] = []

    func load() throws -> Kernel {
        var values: [String: Int] = [:]
        for text in overrides {
            values.merge(try parseParameterOverrides(text)) { _, new in new }
        }
        return try Kernel.load(path: kernel, overrides: values)
    }
}

/// The schedule a subcommand applies (the default: every stage in full, in natural loop order).
struct ScheduleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A schedule file (JSON), e.g. Kernels/gemm.schedule.json.", valueName: "file"))
    var schedule: String?

    @Option(help: "Threads for parallel loops (default: one per core).")
    var threads: Int?

    func load() throws -> Schedule {
        if let threads {
            guard threads >= 1 else { throw HoneError("--threads must be at least 1, got \(threads)") }
            try OpenMP.setThreadCount(threads)
        }
        guard let schedule else { return .default }
        return try Schedule.load(path: schedule)
    }

    /// The kernel lowered under the schedule.
    func lower(_ kernel: Kernel) throws -> LoopNest {
        try Hone.lower(kernel, schedule: try load())
    }
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
