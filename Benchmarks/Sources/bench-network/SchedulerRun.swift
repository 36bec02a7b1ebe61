import BenchSuite
import Foundation
import Hone

/// One task scheduler's tuning of the network: its own records file and
/// library folder under the network's work folder, so the two schedulers
/// never see each other's candidates.
struct SchedulerRun {
    var scheduler: String
    var records: String
    var folder: String

    init(scheduler: String, workFolder: URL) {
        self.scheduler = scheduler
        records = workFolder.appendingPathComponent("records-\(scheduler).jsonl").path
        folder = workFolder.appendingPathComponent("out-\(scheduler)").path
    }

    /// The tuned schedule `hone tune-network` wrote for `task` (nil: never measured).
    func schedulePath(_ task: NetworkTask) -> String? {
        let path = "\(folder)/schedules/\(task.label).schedule.json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The records of the network's tasks on `target`, in file order.
    func taskRecords(_ network: Network, target: TargetInfo) throws -> [MeasureRecord] {
        guard FileManager.default.fileExists(atPath: records) else { return [] }
        let keys = Set(network.tasks.map(\.task.identity.key))
        return try RecordsLog.load(path: records).records.filter { $0.target == target && keys.contains($0.kernel.key) }
    }

    /// Tops the records up to `total` trials with `hone tune-network`
    /// (resuming from them), or only rebuilds the library when they hold
    /// enough; the tool's progress goes to this process's output.
    func tune(hone: String, network: Network, total: Int, timeBudget: Double, threads: Int, seed: Int, roundTrials: Int, target: TargetInfo) throws {
        let have = try taskRecords(network, target: target).count
        var arguments = [network.path, "--records", records, "-o", folder, "--scheduler", scheduler, "--threads", String(threads), "--seed", String(seed)]
        if have >= total {
            print("[\(scheduler)] the records hold \(have) trials (of \(total)): building the library only")
            arguments += ["--build-only"]
        } else {
            print("[\(scheduler)] \(have) trials in the records; tuning \(total - have) more (or \(Int(timeBudget)) s)")
            arguments += ["--trials", String(total - have), "--time-budget", String(Int(timeBudget)), "--round-trials", String(roundTrials)]
        }
        print("[\(scheduler)] \(hone) tune-network " + arguments.joined(separator: " "))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: hone)
        process.arguments = ["tune-network"] + arguments
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw HoneError("cannot run \(hone): \(error.localizedDescription) (make build first)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HoneError("hone tune-network --scheduler \(scheduler) failed (status \(process.terminationStatus))") }
    }
}

/// What the records say about a scheduler's run: its curve of estimated
/// latency against trials and the trials each task got.
struct SchedulerSummary {
    var scheduler: String
    var curve: [(trial: Int, seconds: Double, latency: Double)]
    var trialsPerTask: [Int]
    /// Tuning seconds per task: each gap between consecutive records goes
    /// to the later record's task (pauses longer than a session gap left out).
    var secondsPerTask: [Double]
    var trials: Int { trialsPerTask.reduce(0, +) }
    func trialsPerSecond(_ task: Int) -> Double? { secondsPerTask[task] > 0 ? Double(trialsPerTask[task]) / secondsPerTask[task] : nil }
    var finalLatency: Double? { curve.last?.latency }

    init(_ run: SchedulerRun, network: Network, target: TargetInfo) throws {
        scheduler = run.scheduler
        let records = try run.taskRecords(network, target: target)
        curve = NetworkCurve(network: network, records: records, target: target).points
        var index: [String: Int] = [:]
        for (i, task) in network.tasks.enumerated() { index[task.task.identity.key] = i }
        trialsPerTask = Array(repeating: 0, count: network.tasks.count)
        secondsPerTask = Array(repeating: 0, count: network.tasks.count)
        var previous: Double?
        for record in records {
            guard let i = index[record.kernel.key] else { continue }
            trialsPerTask[i] += 1
            let time = parseISO8601(record.timestamp)?.timeIntervalSince1970
            if let time, let previous, time - previous >= 0, time - previous < TuningSummary.sessionGap { secondsPerTask[i] += time - previous }
            previous = time ?? previous
        }
    }

    /// The estimated latency after `trials` trials (the last point at or
    /// before it), nil before every task has a time.
    func latency(atTrial trials: Int) -> Double? { curve.last { $0.trial <= trials }?.latency }

    /// The first trial at which the estimate is at most `latency`.
    func trialsToReach(_ latency: Double) -> Int? { curve.first { $0.latency <= latency * (1 + 1e-9) }?.trial }
}

/// The gradient scheduler against round-robin at the same budget: both
/// curves cut at the trials both reached.
struct SchedulerComparison {
    var budget: Int
    var roundRobinLatency: Double
    var gradientLatency: Double
    /// Trials the gradient scheduler took to reach round-robin's latency at the budget (nil: never).
    var gradientTrialsToReach: Int?

    init?(gradient: SchedulerSummary, roundRobin: SchedulerSummary) {
        guard let g = gradient.curve.last?.trial, let r = roundRobin.curve.last?.trial else { return nil }
        budget = min(g, r)
        guard let rr = roundRobin.latency(atTrial: budget), let gl = gradient.latency(atTrial: budget) else { return nil }
        roundRobinLatency = rr
        gradientLatency = gl
        gradientTrialsToReach = gradient.trialsToReach(rr).flatMap { $0 <= budget ? $0 : nil }
    }
}
