// A network end to end: tunes it twice (Ansor's gradient task scheduler
// and round-robin, each resuming from its own records under
// Benchmarks/results/network-NAME/), then times every task's default and
// tuned code against the baselines the suite uses (oneDNN, OpenBLAS),
// alternately, several rounds, each timing in a process of its own, and
// reports the estimated end-to-end latency (sum over tasks of count x
// time) of each, the trials each task got, and the two schedulers' curves.
// Report and JSON in Benchmarks/results/network-NAME-DATE-CPU/.
//
//   bench-network NETWORK [--trials-per-task N] [--time-budget S] [--rounds R]
//                 [--threads T] [--min-ms MS] [--results DIR] [--hone PATH]
//                 [--contenders isolated|shared] [--no-tune] [--round-trials N]
//
// `make bench-network NET=resnet18` runs it.
import BenchSuite
import Foundation
import Hone

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct Options {
    var network = ""
    var trialsPerTask = 64
    var timeBudget = 1200.0
    var rounds = 5
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var minimumSeconds = 0.05
    var results: URL
    var hone: String
    var isolated = true
    var tune = true
    var seed = 1
    /// Trials per round of `hone tune-network` (one task's turn).
    var roundTrials = 16
    /// Set in a child that times one contender of one task.
    var timeOne: (task: String, contender: String)?

    static let usage = """
        usage: bench-network NETWORK [--trials-per-task N] [--time-budget SECONDS] [--rounds R] [--threads T] [--min-ms MS]
                             [--results DIR] [--hone PATH] [--contenders isolated|shared] [--no-tune] [--seed S] [--round-trials N]
        """

    init(_ arguments: [String]) throws {
        results = repository.appendingPathComponent("Benchmarks/results")
        hone = repository.appendingPathComponent(".build/release/hone").path
        var arguments = ArgumentCursor(arguments)
        while let argument = arguments.current {
            switch argument {
            case "--trials-per-task": trialsPerTask = try arguments.positiveInteger()
            case "--time-budget": timeBudget = Double(try arguments.positiveInteger())
            case "--rounds": rounds = try arguments.positiveInteger()
            case "--threads": threads = try arguments.positiveInteger()
            case "--min-ms": minimumSeconds = Double(try arguments.positiveInteger()) / 1000
            case "--results": results = URL(fileURLWithPath: try arguments.value())
            case "--hone": hone = URL(fileURLWithPath: try arguments.value()).path
            case "--seed": seed = try arguments.positiveInteger()
            case "--round-trials": roundTrials = try arguments.positiveInteger()
            case "--no-tune": tune = false
            case "--contenders": isolated = try arguments.isolation()
            case "--time-one": timeOne = try arguments.timeOne("TASK")
            case "--help", "-h":
                print(Options.usage)
                exit(0)
            default:
                guard !argument.hasPrefix("-"), network.isEmpty else { throw HoneError("unknown option \(argument); see --help") }
                network = argument
            }
            arguments.advance()
        }
        guard !network.isEmpty else { throw HoneError("name a network file, e.g. Networks/resnet18.network\n\(Options.usage)") }
    }
}

/// The schedulers compared, the first being the one whose library ships.
let schedulers = ["gradient", "round-robin"]

/// The contenders of one task: Hone's default schedule, each scheduler's
/// tuned schedule, and the suite's baselines for what the kernel computes.
func prepareTask(_ task: NetworkTask, runs: [SchedulerRun], compiler: Compiler, only: String? = nil) throws -> PreparedRow {
    let row = SuiteRow(id: task.label, group: task.kernel.name, kernel: task.kernel.name,
                       parameters: task.kernel.parameters.map { ($0.name, $0.value) }, inDefaultSuite: true,
                       baselines: applicableBaselines(task.kernel))
    let schedules = runs.compactMap { run in
        run.schedulePath(task).map { ScheduleContender(name: "Hone tuned (\(run.scheduler))", role: .honeTuned, path: $0) }
    }
    return try prepare(row, kernel: task.kernel, schedules: schedules, compiler: compiler, only: only)
}

do {
    let options = try Options(CommandLine.arguments)
    let network = try Network.load(path: options.network)
    let target = TargetInfo.current(threads: options.threads)
    let workFolder = options.results.appendingPathComponent("network-\(network.name)")
    let runs = schedulers.map { SchedulerRun(scheduler: $0, workFolder: workFolder) }
    try configureThreads(options.threads)

    if let one = options.timeOne {
        guard let task = network.tasks.first(where: { $0.label == one.task }) else { throw HoneError("no task \(one.task) in \(network.path)") }
        try runIsolatedTiming(try prepareTask(task, runs: runs, compiler: try Compiler(), only: one.contender), minimum: options.minimumSeconds)
        exit(0)
    }

    let started = Date()
    let cpu = cpuModelName()
    let total = options.trialsPerTask * network.tasks.count
    print("# \(network.name): \(network.tasks.count) tasks on \(cpu), \(options.threads) threads; \(total) trials per scheduler "
          + "(\(options.trialsPerTask) per task on average) or \(Int(options.timeBudget)) s each")
    try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
    let loadBeforeTuning = loadAverages()
    if options.tune {
        for run in runs {
            try run.tune(hone: options.hone, network: network, total: total, timeBudget: options.timeBudget, threads: options.threads,
                         seed: options.seed, roundTrials: options.roundTrials, target: target)
        }
    }
    let tuningSeconds = Date().timeIntervalSince(started)
    let summaries = try runs.map { try SchedulerSummary($0, network: network, target: target) }

    let loadBefore = loadAverages()
    let othersBefore = othersShare(over: 1)
    print(String(format: "timing: other processes used %.0f%% of the CPU over 1 s (load %@)", othersBefore * 100, loadBefore))
    let compiler = try Compiler()
    let plan = TimingPlan(rounds: options.rounds, minimumSeconds: options.minimumSeconds, isolated: options.isolated)
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
    var tasks: [TaskResult] = []
    for task in network.tasks {
        do {
            let prepared = try prepareTask(task, runs: runs, compiler: compiler)
            let timer = options.isolated ? isolatedTimer(prepared, executable: executable, arguments: { contender in
                [options.network, "--results", options.results.path, "--threads", String(options.threads), "--time-one", task.label, "--contender", contender]
            }) : nil
            let result = TaskResult(task: task, prepared: prepared, timings: time(prepared, plan: plan, timer: timer))
            tasks.append(result)
            print(result.summaryLine)
            for (name, problem) in prepared.problems { print("  \(name): \(problem)") }
            for name in result.timings.unsteady { print(String(format: "  %@: round spread %.0f%%: flagged", name, result.timings.spreads[name]! * 100)) }
        } catch {
            print("\(task.label): \(error)")
            tasks.append(TaskResult(task: task, failure: "\(error)"))
        }
    }
    let othersAfter = othersShare(over: 1)
    let context = NetworkReportContext(
        network: network, cpu: cpu, llvmCPU: HostTarget.host.cpu, threads: options.threads, plan: plan,
        loadBeforeTuning: loadBeforeTuning, loadBefore: loadBefore, loadAfter: loadAverages(), othersBefore: othersBefore, othersAfter: othersAfter,
        trialsPerTask: options.trialsPerTask, timeBudget: options.timeBudget, tuningSeconds: tuningSeconds,
        seconds: Date().timeIntervalSince(started), command: CommandLine.arguments.joined(separator: " "),
        schedulers: summaries, comparison: SchedulerComparison(gradient: summaries[0], roundRobin: summaries[1]))
    let stamp = ISO8601DateFormatter.string(from: started, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate, .withTime])
    let directory = options.results.appendingPathComponent("network-\(network.name)-\(stamp.replacingOccurrences(of: ":", with: ""))-\(fileNameSlug(HostTarget.host.cpu))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let report = networkReport(tasks, context)
    try report.write(to: directory.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
    try networkJSON(tasks, context).write(to: directory.appendingPathComponent("report.json"))
    try (tasks.flatMap { $0.timings.rounds }.map(\.jsonLine).joined(separator: "\n") + "\n")
        .write(to: directory.appendingPathComponent("rounds.jsonl"), atomically: true, encoding: .utf8)
    for run in runs {
        let curve = "\(run.folder)/\(network.name).curve.svg"
        if FileManager.default.fileExists(atPath: curve) {
            try? FileManager.default.copyItem(atPath: curve, toPath: directory.appendingPathComponent("curve-\(run.scheduler).svg").path)
        }
    }
    print(totalsText(tasks, context))
    print("report: \(directory.path)/report.md (and report.json, rounds.jsonl, curve-*.svg)")
} catch {
    FileHandle.standardError.write(Data("bench-network: \(error)\n".utf8))
    exit(1)
}
