import Foundation
import HoneCodegen
import HoneCostModel
import HoneIR
import HoneMeasure
import HoneSchedule

/// `hone tune` as a library call: tunes one kernel on this machine with its
/// records file, compares the best with the default schedule, and returns
/// what to ship. The CLI only parses, calls `run` and prints; a program
/// that links Hone gets the same behaviour.
///
/// The path of a tune (start reading at `run`):
/// 1. the records file is read once (`RecordsFileStore`): earlier
///    candidates train the model and seed the search, and are never
///    measured again;
/// 2. `Tuner.run` proposes batches (`EvolutionarySearch` over the
///    `SearchSpace`'s sketches, scored by the `CostModel`), measures them in
///    worker processes (`WorkerBatchMeasurer`, `TrialPolicy.search`),
///    appends their records and retrains, then re-measures the finalists
///    (`TrialPolicy.final`);
/// 3. the default schedule's time, from the records or measured once
///    (`TrialPolicy.singleRun`), decides whether the default ships instead.
/// `TuningOutputs` then writes the schedule, object file, header and curve.
public struct KernelTuning {
    public var task: MeasureTask
    public var target: TargetInfo
    public var options: TuningOptions
    /// The records file (JSON Lines) to resume from and append to.
    public var recordsPath: String
    /// The workers' settings (threads, compile timeout).
    public var workerOptions: MeasureOptions
    /// Worker processes that compile a batch in parallel; timing is always one candidate at a time.
    public var compileWorkers: Int
    /// The `hone` binary workers run as `hone worker` (nil: this process's own executable).
    public var workerExecutable: URL?
    /// The model the search starts from (with a model-guided strategy).
    public var model: ModelSource = .pretrained

    public init(task: MeasureTask, target: TargetInfo, options: TuningOptions, recordsPath: String,
                workerOptions: MeasureOptions = MeasureOptions(), compileWorkers: Int = WorkerBatchMeasurer.idleCompileWorkers,
                workerExecutable: URL? = nil) {
        self.task = task
        self.target = target
        self.options = options
        self.recordsPath = recordsPath
        self.workerOptions = workerOptions
        self.compileWorkers = max(1, compileWorkers)
        self.workerExecutable = workerExecutable
    }

    /// The space searched: the kernel's sketches for this machine's vector width and the target's threads.
    public var space: SearchSpace { SearchSpace(kernel: task.kernel, vectorLanes: HostTarget.host.float32Lanes, threads: target.threads) }

    /// Tunes; throws when no candidate (nor the default schedule) ran, or
    /// when the records file cannot be read or written. Stopping through
    /// `stop` still returns the best so far.
    public func run(stop: StopFlag, observer: TuningObserver = TuningObserver()) throws -> TuningOutcome {
        let workers = (0..<compileWorkers).map { _ in
            WorkerMeasurer(executable: workerExecutable, options: workerOptions, stopFlag: stop)
        }
        for w in workers { w.log = observer.onNote }
        defer { for w in workers { w.shutDown() } }
        let measurer = WorkerBatchMeasurer(workers: workers, task: task)
        measurer.onResult = observer.onCandidate
        let store = RecordsFileStore(path: recordsPath)
        let model = TreeCostModel(seed: options.seed, threads: target.threads)
        if options.strategy.usesModel {
            let (prior, warning) = PretrainedModel.load(self.model)
            model.prior = prior
            if let warning { observer.onLog?("warning: \(warning); tuning starts without a model") }
        }
        let space = self.space
        let tuner = Tuner(space: space, task: task, target: target, measurer: measurer, store: store, model: model, options: options)
        tuner.onProgress = observer.onBatch
        tuner.onLog = observer.onLog
        observer.onStart?(space.sketches.count, workers.count)

        let result = try tuner.run(stop: stop)
        let best = result.best.flatMap { record in (try? record.schedule()).flatMap { s in record.seconds.map { (s, $0) } } }

        // The default schedule: from the records, or run once now; only its order of magnitude matters.
        var defaultSeconds = tuner.measuredSeconds(of: .default)
        if defaultSeconds == nil, !stop.isStopped,
           let measured = measurer.measure([.default], policy: .singleRun, best: nil, deadline: nil).first {
            try store.append([MeasureRecord(MeasureInput(task: task, schedule: .default), measured, target: target,
                                            candidate: CandidateTrace(origin: .default))])
            defaultSeconds = measured.seconds
        }

        var outcome: TuningOutcome
        if case let (schedule, seconds)? = best, defaultSeconds.map({ seconds <= $0 }) ?? true {
            outcome = TuningOutcome(schedule: schedule, seconds: seconds, defaultSeconds: defaultSeconds, defaultWon: false, result: result)
        } else if let defaultSeconds {
            // Nothing the search measured beat the default schedule: ship the default.
            outcome = TuningOutcome(schedule: .default, seconds: defaultSeconds, defaultSeconds: defaultSeconds, defaultWon: true, result: result)
        } else {
            throw HoneError("no candidate was measured successfully (\(result.errors) errors); see \(recordsPath)")
        }
        outcome.records = try store.records(of: task.identity, on: target)
        outcome.skippedRecordLines = store.warnings
        outcome.compileWorkers = workers.count
        outcome.sketches = space.sketches.count
        return outcome
    }
}

/// What a tune reports while it runs; every callback is optional.
public struct TuningObserver {
    /// Before the first candidate: the number of sketches and of compile workers.
    public var onStart: ((Int, Int) -> Void)?
    /// After every candidate.
    public var onCandidate: ((MeasureResult) -> Void)?
    /// After every batch.
    public var onBatch: ((TuningProgress) -> Void)?
    /// The tuner's messages (resuming, warnings, the finalists).
    public var onLog: ((String) -> Void)?
    /// The workers' notes (a worker killed and restarted).
    public var onNote: ((String) -> Void)?

    public init() {}
}

/// What a tune found and what ships.
public struct TuningOutcome: Sendable {
    /// The schedule to ship: the fastest measured, or the default when nothing beat it.
    public var schedule: Schedule
    public var seconds: Double
    /// The default schedule's median (nil when it could not be measured).
    public var defaultSeconds: Double?
    /// Whether the default schedule ships because no candidate beat it.
    public var defaultWon: Bool
    public var result: TuningResult
    /// The kernel's records on this target, oldest first (for the tuning curve).
    public var records: [MeasureRecord] = []
    /// Lines of the records file skipped when reading it (torn or corrupt), "FILE:LINE: skipped: reason";
    /// the run's other warnings are in `result.warnings`.
    public var skippedRecordLines: [String] = []
    public var compileWorkers = 1
    public var sketches = 0

    init(schedule: Schedule, seconds: Double, defaultSeconds: Double?, defaultWon: Bool, result: TuningResult) {
        self.schedule = schedule
        self.seconds = seconds
        self.defaultSeconds = defaultSeconds
        self.defaultWon = defaultWon
        self.result = result
    }
}
