import ArgumentParser
import Foundation
import Hone

struct TuneNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune-network",
        abstract: "Tune every task of a network file; write one static library and one header for all of them.",
        discussion: """
            A network file (Networks/*.network) lists a network's distinct operators as kernels \
            with parameters and how often each runs. The trials are spent in rounds, one task per \
            round, picked by a task scheduler: Ansor's gradient (after a round-robin warm-up, the \
            task whose next round should remove the most count x latency; epsilon-greedy) or \
            round-robin. Every round appends to one records file and re-reads it first, so a run \
            resumes, and runs sharing the file measure nothing twice.
            Outputs in DIR (default tuned/NAME): libNAME.a, NAME.h, schedules/LABEL.schedule.json, \
            NAME.curve.svg (the network's estimated latency, the sum of count x best), NAME.jsonl. \
            A task whose best measured schedule is slower than the default ships the default.
            Many machines: --shard I/N tunes the I-th of N shares (I from 0, as Slurm array and \
            Kubernetes completion indices count), balanced by FLOPs x count, into its own records \
            file; `hone records merge` joins them; --build-only -o DIR builds from the merged file \
            without measuring. Deploy/slurm has the job scripts.
            Example: hone tune-network Networks/resnet18.network --trials 2000 --time-budget 2h
            """)

    @Argument(help: "The network file, e.g. Networks/resnet18.network.")
    var network: String

    @Option(help: "Trials for the whole network (its shard with --shard), spread over the tasks.")
    var trials: Int = 1000

    @Option(help: ArgumentHelp("Stop after this long (e.g. 90s, 10m, 1h; plain numbers are seconds).", valueName: "duration"))
    var timeBudget: TimeBudget?

    @Option(help: ArgumentHelp("The records file to resume from and append to (default: DIR/NAME.jsonl, DIR/NAME.shard-I-of-N.jsonl with --shard).", valueName: "file"))
    var records: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The output folder (default: tuned/NAME).", valueName: "dir"))
    var output: String?

    @Option(help: "The task scheduler: gradient (Ansor's) or round-robin (the ablation baseline).")
    var scheduler: TaskSchedulerKind = .gradient

    @Option(help: ArgumentHelp("Tune only the I-th of N shares of the tasks (0 <= I < N), into its own records file; no library is built.", valueName: "I/N"))
    var shard: Shard?

    @Flag(help: "Measure nothing: build the library from the records file (e.g. one merged from shards).")
    var buildOnly = false

    @Option(help: "Trials per round (one task's turn).")
    var roundTrials: Int = 16

    @Option(help: "Best candidates of each task re-measured with the full protocol at the end (0: none).")
    var finalists: Int = 3

    @Option(help: "Seed of the scheduler and the searches.")
    var seed: UInt64 = 1

    @OptionGroup var searchOptions: SearchOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var compileLimits: CompileLimitOptions

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard roundTrials >= 1 else { throw ValidationError("--round-trials must be at least 1") }
        guard finalists >= 0 else { throw ValidationError("--finalists must not be negative") }
        if buildOnly && shard != nil { throw ValidationError("--build-only builds the whole network: merge the shards' records, then build without --shard") }
    }

    func run() throws {
        var interrupted = false
        try reportingErrors { interrupted = try tuneNetwork() }
        if interrupted { throw ExitCode(130) }
    }

    private func tuneNetwork() throws -> Bool {
        let network = try Network.load(path: self.network)
        let folder = output ?? "tuned/\(network.name)"
        let recordsPath = records ?? "\(folder)/\(network.name)\(shard.map { ".shard-\($0.index)-of-\($0.count)" } ?? "").jsonl"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: recordsPath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let target = threadOptions.target
        var interrupted = false
        var trialsPerTask: [Int: Int] = [:]

        if !buildOnly {
            let share = shard.map { balancedShares(costs: network.tasks.map(\.expectedCost), count: $0.count)[$0.index] }
            let indices = share ?? Array(network.tasks.indices)
            if let shard {
                print("shard \(shard.index)/\(shard.count): \(indices.count) of \(network.tasks.count) tasks: "
                      + indices.map { network.tasks[$0].label }.joined(separator: ", "))
            }
            guard !indices.isEmpty else {
                print("nothing to tune in this share (more shares than tasks)")
                return false
            }
            var options = NetworkTuningOptions(trials: trials)
            options.timeBudget = timeBudget?.seconds
            options.roundTrials = roundTrials
            options.scheduler = scheduler
            options.seed = seed
            options.tuning.finalists = finalists
            options.tuning.seed = seed
            options.tuning.population = searchOptions.population
            options.tuning.searchPipeline = searchOptions.searchPipeline
            var tuning = NetworkTuning(network: network, taskIndices: indices, target: target, options: options, recordsPath: recordsPath,
                                       workerOptions: MeasureOptions(threads: threadOptions.threads, compileTimeout: compileLimits.compileTimeout),
                                       compileWorkers: searchOptions.workers)
            tuning.model = searchOptions.model
            print("tuning \(network.name) (\(indices.count) task\(indices.count == 1 ? "" : "s")) on \(target): \(trials) trials"
                  + (options.timeBudget.map { " or \(formatDuration($0))" } ?? "") + " in rounds of \(roundTrials), \(scheduler.rawValue) scheduler; records: \(recordsPath)")
            fflush(nil)
            let stop = StopFlag()
            let source = stopOnInterrupt(stop)
            defer { source.cancel() }
            var observer = NetworkTuningObserver()
            var round = 0
            observer.onRound = { r, left in
                round += 1
                let task = network.tasks[r.task]
                print("[round \(round), \(r.trials)/\(trials) trials] \(task.label) x\(task.count): best \(r.taskBest.map(formatDuration) ?? "-"); "
                      + "network \(r.estimatedLatency.map(formatDuration) ?? "- (a task has no time yet)"); \(left >= 1 ? formatDuration(left) : "no time") left")
                fflush(nil)
            }
            observer.onLog = { print("  \($0)"); fflush(nil) }
            observer.onNote = { printError("  note: \($0)") }
            let result = try tuning.run(stop: stop, observer: observer)
            printWarnings(result.skippedRecordLines)
            for (k, i) in indices.enumerated() { trialsPerTask[i] = result.trialsPerTask[k] }
            print("measured \(result.trials) candidates (\(result.errors) errors) in \(formatDuration(result.elapsed))")
            interrupted = result.interrupted
            if shard != nil {
                print("wrote \(recordsPath); merge the shards' records (hone records merge) and build with --build-only")
                return interrupted
            }
        }

        guard FileManager.default.fileExists(atPath: recordsPath) else { throw HoneError("no records file \(recordsPath) to build from") }
        let loaded = try RecordsLog.load(path: recordsPath)
        printWarnings(loaded.warnings)
        let library = NetworkLibrary(network: network, target: target, folder: folder)
        let choices = library.choices(from: loaded.records)
        let usesOpenMP = try library.write(choices, records: loaded.records)
        printSummary(network, choices, trialsPerTask)
        print("wrote \(library.libraryPath), \(library.headerPath), \(folder)/schedules/, \(library.curvePath)")
        print("link: cc -O2 main.c \(library.libraryPath) -lm\(usesOpenMP ? " -fopenmp" : "")   (declarations in \(library.headerPath))")
        return interrupted
    }

    private func printSummary(_ network: Network, _ choices: [NetworkChoice], _ trials: [Int: Int]) {
        let width = max(choices.map(\.task.label.count).max() ?? 4, 4)
        print("task".padding(toLength: width, withPad: " ", startingAt: 0) + "  count        best     default  trials  ships")
        var total = 0.0, totalDefault = 0.0
        var complete = true
        for (i, c) in choices.enumerated() {
            let ships = c.seconds == nil ? "default (no record)" : c.defaultWon ? "default" : "tuned"
            print(c.task.label.padding(toLength: width, withPad: " ", startingAt: 0) + String(c.task.count).leftPadded(to: 7)
                  + (c.seconds.map(formatDuration) ?? "-").leftPadded(to: 12) + (c.defaultSeconds.map(formatDuration) ?? "-").leftPadded(to: 12)
                  + (trials[i].map(String.init) ?? "-").leftPadded(to: 8) + "  " + ships)
            if let s = c.seconds { total += Double(c.task.count) * s } else { complete = false }
            if let d = c.defaultSeconds { totalDefault += Double(c.task.count) * d } else { complete = false }
        }
        if complete {
            print("estimated latency (sum of count x time): \(formatDuration(total)), \(String(format: "%.2f", totalDefault / total))x the default schedules' \(formatDuration(totalDefault))")
        } else {
            print("estimated latency (sum of count x time): \(formatDuration(total)) over the tasks with a time; some have none")
        }
    }
}

extension TaskSchedulerKind: ExpressibleByArgument {}

/// `I/N`: the I-th (from 0) of N shares.
struct Shard: ExpressibleByArgument {
    var index: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        (index, count) = (i, n)
    }
}
