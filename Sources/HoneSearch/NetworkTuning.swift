import Foundation
import HoneCodegen
import HoneCostModel
import HoneIR
import HoneMeasure
import HoneSchedule

/// `hone tune-network` as a library call: spends a budget of trials on a
/// network's tasks in rounds, the next task chosen by a `TaskScheduler`,
/// all of them appending to one records file.
///
/// A round is one short `Tuner` run on one task (`roundTrials` trials,
/// no finalists), built afresh from the records file: the file is re-read
/// before every round, so runs that share it (other shards, another
/// machine's merge) see each other's candidates and never measure them
/// twice, and the tuner's model is retrained from every record of the task.
/// The workers (processes) live for the whole run. When the rounds are
/// done, each task's best few are re-measured once with the full protocol
/// (`finalists`), and `NetworkLibrary` picks and writes what ships.
public struct NetworkTuning {
    public var network: Network
    /// The indices of the tasks this run tunes (a shard's share; all by default).
    public var taskIndices: [Int]
    public var target: TargetInfo
    public var options: NetworkTuningOptions
    public var recordsPath: String
    public var workerOptions: MeasureOptions
    public var compileWorkers: Int
    public var workerExecutable: URL?
    /// The model every task's search starts from.
    public var model: ModelSource = .pretrained

    public init(network: Network, taskIndices: [Int]? = nil, target: TargetInfo, options: NetworkTuningOptions, recordsPath: String,
                workerOptions: MeasureOptions = MeasureOptions(), compileWorkers: Int = WorkerBatchMeasurer.idleCompileWorkers,
                workerExecutable: URL? = nil) {
        self.network = network
        self.taskIndices = taskIndices ?? Array(network.tasks.indices)
        self.target = target
        self.options = options
        self.recordsPath = recordsPath
        self.workerOptions = workerOptions
        self.compileWorkers = max(1, compileWorkers)
        self.workerExecutable = workerExecutable
    }

    public func run(stop: StopFlag, observer: NetworkTuningObserver = NetworkTuningObserver()) throws -> NetworkTuningResult {
        let start = Date()
        let workers = (0..<compileWorkers).map { _ in WorkerMeasurer(executable: workerExecutable, options: workerOptions, stopFlag: stop) }
        for w in workers { w.log = observer.onNote }
        defer { for w in workers { w.shutDown() } }
        try RecordsLog(path: recordsPath).prepare()
        let (prior, priorWarning) = PretrainedModel.load(model)
        if let priorWarning { observer.onLog?("warning: \(priorWarning); tuning starts without a model") }

        let tasks = taskIndices.map { network.tasks[$0] }
        var spaces: [Int: SearchSpace] = [:]
        func space(_ i: Int) -> SearchSpace {
            if let s = spaces[i] { return s }
            let s = SearchSpace(kernel: tasks[i].kernel, vectorLanes: HostTarget.host.float32Lanes, threads: target.threads)
            spaces[i] = s
            return s
        }
        // What the records already hold counts as one round (resume).
        let resumed = try RecordsLog.load(path: recordsPath)
        var states = tasks.map { t in
            TaskState(weight: Double(t.count), flops: t.flops, group: t.kernel.name,
                      history: bestSeconds(of: t, in: resumed.records).map { [$0] } ?? [])
        }
        var scheduler = options.scheduler.make(seed: options.seed)
        var result = NetworkTuningResult(skippedRecordLines: resumed.warnings)
        result.trialsPerTask = Array(repeating: 0, count: tasks.count)

        var round = 0
        func timeLeft() -> Double? { options.timeBudget.map { $0 - Date().timeIntervalSince(start) } }
        while result.trials < options.trials, !stop.isStopped, timeLeft().map({ $0 > 0 }) ?? true {
            guard let i = scheduler.next(states) else {
                observer.onLog?("every task's search space is spent; stopping")
                break
            }
            var tunerOptions = options.tuning
            tunerOptions.trials = min(options.roundTrials, options.trials - result.trials)
            tunerOptions.finalists = 0
            tunerOptions.seed = options.seed &+ UInt64(round) &* 0x9E37_79B9
            tunerOptions.timeBudget = timeLeft()
            tunerOptions.measureDefaultFirst = true
            let measurer = WorkerBatchMeasurer(workers: workers, task: tasks[i].task)
            let store = RecordsFileStore(path: recordsPath)
            let tuner = Tuner(space: space(i), task: tasks[i].task, target: target, measurer: measurer, store: store,
                              model: TreeCostModel(seed: tunerOptions.seed, threads: target.threads, prior: prior), options: tunerOptions)
            tuner.onLog = { message in
                if !message.hasPrefix("resuming from") { observer.onLog?("\(tasks[i].label): \(message)") }
            }
            let outcome = try tuner.run(stop: stop)
            let best = (try store.records(of: tasks[i].task.identity, on: target)).compactMap(\.seconds).min()
            states[i].history.append(min(best ?? .infinity, states[i].best))
            if outcome.trials == 0 && !stop.isStopped && (timeLeft().map { $0 > 0 } ?? true) { states[i].isExhausted = true }
            result.trials += outcome.trials
            result.errors += outcome.errors
            result.trialsPerTask[i] += outcome.trials
            result.warnings += outcome.warnings
            round += 1
            let estimate = estimatedLatency(states)
            result.rounds.append(NetworkRound(task: taskIndices[i], trials: result.trials, elapsed: Date().timeIntervalSince(start),
                                              taskBest: states[i].best.isFinite ? states[i].best : nil, estimatedLatency: estimate))
            observer.onRound?(result.rounds.last!, timeLeft() ?? remainingByRate(result, start: start))
        }

        if !stop.isStopped, options.tuning.finalists > 0 {
            for (i, task) in tasks.enumerated() where result.trialsPerTask[i] > 0 {
                var finalOptions = options.tuning
                finalOptions.trials = 0
                let store = RecordsFileStore(path: recordsPath)
                let tuner = Tuner(space: space(i), task: task.task, target: target, measurer: WorkerBatchMeasurer(workers: workers, task: task.task),
                                  store: store, model: TreeCostModel(seed: options.seed, threads: target.threads), options: finalOptions)
                observer.onLog?("\(task.label): re-measuring the best \(options.tuning.finalists) with the full protocol")
                _ = try tuner.run(stop: stop)
                if stop.isStopped { break }
            }
        }
        result.interrupted = stop.isStopped
        result.elapsed = Date().timeIntervalSince(start)
        return result
    }

    /// The sum of weight x best over tasks, nil while a task has no time.
    private func estimatedLatency(_ states: [TaskState]) -> Double? {
        let total = states.reduce(0.0) { $0 + $1.weight * $1.best }
        return total.isFinite ? total : nil
    }

    private func remainingByRate(_ result: NetworkTuningResult, start: Date) -> Double {
        let elapsed = Date().timeIntervalSince(start)
        return Double(options.trials - result.trials) * elapsed / Double(max(result.trials, 1))
    }
}

/// The best median of a task's records on any target given, or nil.
func bestSeconds(of task: NetworkTask, in records: [MeasureRecord], target: TargetInfo? = nil) -> Double? {
    records.filter { $0.kernel.key == task.task.identity.key && (target == nil || $0.target == target) }.compactMap(\.seconds).min()
}

public struct NetworkTuningOptions: Sendable {
    /// Trials for the whole run (over every task of the share).
    public var trials: Int
    public var timeBudget: Double?
    /// Trials per round (a round is one task's turn).
    public var roundTrials = 16
    public var scheduler: TaskSchedulerKind = .gradient
    public var seed: UInt64 = 1
    /// The settings of each round's tuner (its trials, seed and budget are set per round).
    public var tuning: TuningOptions

    public init(trials: Int) {
        self.trials = trials
        tuning = TuningOptions(trials: trials)
    }
}

/// One round: which task (its index in the network), what it reached, and the network's estimate after it.
public struct NetworkRound: Sendable {
    public var task: Int
    /// Trials of the run so far, this round's included.
    public var trials: Int
    public var elapsed: Double
    public var taskBest: Double?
    /// Sum over the run's tasks of count x best (nil while a task has no time).
    public var estimatedLatency: Double?
}

public struct NetworkTuningResult: Sendable {
    public var rounds: [NetworkRound] = []
    public var trials = 0
    public var errors = 0
    /// Per task of the run (in the run's order), the trials it got.
    public var trialsPerTask: [Int] = []
    public var interrupted = false
    public var elapsed = 0.0
    public var warnings: [String] = []
    public var skippedRecordLines: [String] = []
}

public struct NetworkTuningObserver {
    /// After every round, with the seconds left (by the budget, or estimated from the trial rate).
    public var onRound: ((NetworkRound, Double) -> Void)?
    public var onLog: ((String) -> Void)?
    public var onNote: ((String) -> Void)?

    public init() {}
}
