import ArgumentParser
import Foundation
import Hone

// Options more than one subcommand takes, each defined once, parsed once
// into typed values.

/// The kernel file and parameter overrides every subcommand takes.
struct KernelOptions: ParsableArguments {
    @Argument(help: "The kernel file, e.g. Kernels/gemm.hone.")
    var kernel: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override parameters, e.g. --set M=512,N=256 (repeatable).", valueName: "NAME=VALUE,..."),
        transform: { text -> [String: Int] in
            do throws(HoneError) { return try parseParameterOverrides(text) } catch { throw ValidationError(error.message) }
        })
    var overrides: [[String: Int]] = []

    /// The `--set` values, later ones winning.
    var parameters: [String: Int] { overrides.reduce(into: [:]) { $0.merge($1) { _, new in new } } }

    /// The kernel, refused before anything is allocated when its tensors
    /// cannot fit in this machine's memory.
    func load() throws -> Kernel {
        let kernel = try Kernel.load(path: self.kernel, overrides: parameters)
        try kernel.checkFitsInMemory()
        return kernel
    }

    /// The kernel as a measurement task (its source, elaborated once), with
    /// random inputs from `seed`; refused like `load()` when too large.
    func task(seed: UInt64) throws -> MeasureTask {
        let task = try MeasureTask(path: kernel, overrides: parameters, seed: seed)
        try task.kernel.checkFitsInMemory()
        return task
    }
}

/// How many threads parallel loops use.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for parallel loops (default: one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// This machine with that many threads: what records are kept and looked up by.
    var target: TargetInfo { TargetInfo.current(threads: threads) }

    /// Sets the thread count of this process's OpenMP runtime, for a command
    /// that runs kernels here (workers get theirs through `MeasureOptions`).
    func applyToThisProcess() throws {
        if let threads { try OpenMP.setThreadCount(threads) }
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

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if schedule != nil && records != nil {
            throw ValidationError("--schedule and --records are mutually exclusive: give one")
        }
    }

    /// The schedule to apply to `kernel`.
    func load(for kernel: Kernel) throws -> Schedule {
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
        let target = threadOptions.target
        guard let best = loaded.best(for: identity, target: target) else {
            throw HoneError("\(path) has \(loaded.whyNoBest(for: identity, target: target)). Run hone measure to create some.")
        }
        printError("note: using the best of \(loaded.records.count) records in \(path) for \(identity): median \(formatDuration(best.seconds!)) (line \(best.line ?? 0), \(best.timestamp))")
        return try best.schedule()
    }
}

/// How a kernel is timed: batches of runs, each long enough to measure
/// (TVM's runner protocol); `Defaults` gives the command's number of batches.
struct TimingArguments<Defaults: TimingDefaults>: ParsableArguments {
    @Option(help: "Timed batches; the median batch is what counts.")
    var repeats: Int = Defaults.repeats

    @Option(help: "Each timed batch repeats the kernel until it lasts this long.")
    var minRepeatMs: Double = 100

    @Flag(help: "Evict the caches before every timed run.")
    var flushCache = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard minRepeatMs >= 0 else { throw ValidationError("--min-repeat-ms must not be negative") }
    }

    var options: TimingOptions { TimingOptions(repeats: repeats, minRepeatSeconds: minRepeatMs / 1000, flushCache: flushCache) }
}

/// A command's default number of timed batches.
protocol TimingDefaults { static var repeats: Int { get } }

/// How candidates are chosen and measured, for the commands that measure many.
struct BatchOptions: ParsableArguments {
    @Option(help: "Seed of the random choices that make the schedules (hone measure's generator, hone tune's search).")
    var seed: UInt64 = 1

    @Option(help: "Candidates measured per batch; records are flushed after each batch (and hone tune retrains its cost model).")
    var batch: Int = 16

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }
}

/// Limits on a candidate in a measuring worker.
struct CompileLimitOptions: ParsableArguments {
    @Option(help: "Seconds a candidate may take to compile.")
    var compileTimeout: Double = 30

    func validate() throws {
        guard compileTimeout > 0 else { throw ValidationError("--compile-timeout must be positive") }
    }
}

// MARK: Typed values

extension CheckMode: ExpressibleByArgument {
    /// `auto`, `full`, or a positive number of sampled elements.
    public init?(argument: String) {
        switch argument {
        case "auto": self = .automatic
        case "full": self = .full
        default:
            guard let n = Int(argument), n > 0 else { return nil }
            self = .sampled(n)
        }
    }

    public var defaultValueDescription: String {
        switch self {
        case .automatic: "auto"
        case .full: "full"
        case .sampled(let n): String(n)
        }
    }
}

extension TuningOptions.Strategy: ExpressibleByArgument {}
extension CompilePipeline: ExpressibleByArgument {}

/// A time budget written 90s, 10m, 1h, 1.5h or in plain seconds.
struct TimeBudget: ExpressibleByArgument {
    var seconds: Double

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var number = Substring(argument), scale = 1.0
        if let unit = argument.last, let s = units[unit] { (number, scale) = (argument.dropLast(), s) }
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        seconds = value * scale
    }
}

/// What the evolutionary search starts from and runs on, for `tune` and `tune-network`.
struct SearchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The model the search starts from: pretrained (shipped with Hone), none (random first batches) "
                               + "or a model file.", valueName: "pretrained|none|file"), transform: ModelSource.init(argument:))
    var model: ModelSource = .pretrained

    @Option(help: "Population of the evolutionary search.")
    var population: Int = 512

    @Option(help: ArgumentHelp("Worker processes that compile a batch in parallel; timing is always one candidate at a time "
                               + "(default: 2 when a second core is idle, else 1).", valueName: "n"))
    var compileWorkers: Int?

    @Option(help: ArgumentHelp("The LLVM level the search compiles its candidates at; the finalists and the code written out "
                               + "are always compiled at o3.", valueName: "o3|o2|o1"))
    var searchPipeline: CompilePipeline = .o3

    func validate() throws {
        guard population >= 8 else { throw ValidationError("--population must be at least 8") }
        if let compileWorkers, !(1...8).contains(compileWorkers) { throw ValidationError("--compile-workers must be between 1 and 8") }
    }

    /// The compile workers to start.
    var workers: Int { compileWorkers ?? WorkerBatchMeasurer.idleCompileWorkers }
}
