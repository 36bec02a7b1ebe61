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
        subcommands: [RunCommand.self, IRCommand.self, CompileCommand.self, MeasureCommand.self, TuneCommand.self, RecordsCommand.self, FeaturesCommand.self, WorkerCommand.self])
}

/// The kernel file and parameter overrides every subcommand takes.
struct KernelOptions: ParsableArguments {
    @Argument(help: "The kernel file, e.g. Kernels/gemm.hone.")
    var kernel: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override parameters, e.g. --set M=512,N=256 (repeatable).", valueName: "NAME=VALUE,..."))
    var overrides: [String] = []

    /// The `--set` values, later ones winning.
    func parsedOverrides() throws -> [String: Int] {
        var values: [String: Int] = [:]
        for text in overrides {
            values.merge(try parseParameterOverrides(text)) { _, new in new }
        }
        return values
    }

    /// The kernel, refused before anything is allocated when its tensors
    /// cannot fit in this machine's memory.
    func load() throws -> Kernel {
        let kernel = try Kernel.load(path: self.kernel, overrides: try parsedOverrides())
        try checkFitsInMemory(kernel)
        return kernel
    }
}

/// Throws when the kernel's tensors (inputs, intermediates, output) need more
/// than this machine's physical memory.
func checkFitsInMemory(_ kernel: Kernel) throws {
    var bytes = 0.0
    for tensor in kernel.tensors { bytes += Double(tensor.type.byteSize) * tensor.shape.reduce(1.0) { $0 * Double($1) } }
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    guard bytes <= available * 0.75 else {
        let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        throw HoneError("\(kernel.name) (\(parameters)) needs \(formatCount(bytes))B for its tensors; this machine has \(formatCount(available))B of memory")
    }
}

/// The schedule a subcommand applies (the default: every stage in full, in natural loop order).
struct ScheduleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A schedule file (JSON), e.g. Kernels/gemm.schedule.json.", valueName: "file"))
    var schedule: String?

    @Option(help: ArgumentHelp(
        "Apply the best schedule measured for this kernel and target in a records file (from hone measure).",
        valueName: "file"))
    var records: String?

    @Option(help: "Threads for parallel loops (default: one per core).")
    var threads: Int?

    func validate() throws {
        if schedule != nil && records != nil {
            throw ValidationError("--schedule and --records are mutually exclusive: give one")
        }
    }

    /// The schedule to apply to `kernel`.
    func load(for kernel: Kernel) throws -> Schedule {
        if let threads {
            guard threads >= 1 else { throw HoneError("--threads must be at least 1, got \(threads)") }
            try OpenMP.setThreadCount(threads)
        }
        if let records { return try bestSchedule(in: records, for: kernel) }
        guard let schedule else { return .default }
        return try Schedule.load(path: schedule)
    }

    /// The kernel lowered under the schedule.
    func lower(_ kernel: Kernel) throws -> LoopNest {
        try Hone.lower(kernel, schedule: try load(for: kernel))
    }

    /// The best record for the kernel on this target (ApplyHistoryBest).
    private func bestSchedule(in path: String, for kernel: Kernel) throws -> Schedule {
        let loaded = try RecordsLog.load(path: path)
        printWarnings(loaded.warnings)
        let identity = KernelIdentity(kernel)
        let target = TargetInfo.current(threads: threads)
        guard let best = loaded.best(for: identity, target: target) else {
            var message = "\(path) has no successful record for \(identity) (\(identity.key)) on this target, \(target)"
            let others = loaded.targets(for: identity)
            if !others.isEmpty {
                message += "; it has records for this kernel on: \(others.map(\.description).joined(separator: "; "))"
                if others.contains(where: { $0.cpu == target.cpu && $0.featuresHash == target.featuresHash }) {
                    message += " (pass --threads to pick one)"
                }
            } else {
                let names = Set(loaded.records.filter { $0.kernel.name == kernel.name }.map(\.kernel.description))
                if !names.isEmpty { message += "; it has records for \(kernel.name) with other parameters: \(names.sorted().joined(separator: "; "))" }
            }
            throw HoneError(message + ". Run hone measure to create some.")
        }
        printError("note: using the best of \(loaded.records.count) records in \(path) for \(identity): median \(formatDuration(best.seconds!)) (line \(best.line ?? 0), \(best.timestamp))")
        return try best.schedule()
    }
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
