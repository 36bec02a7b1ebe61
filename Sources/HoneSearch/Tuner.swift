import Foundation
import HoneCostModel
import HoneIR
import HoneMeasure
import HoneSchedule

/// Where measured candidates are kept: read once at the start (resume), appended per batch.
public protocol TuningRecordStore: AnyObject {
    /// The records of `kernel` on `target`, oldest first (those appended since included).
    func records(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord]
    func append(_ records: [MeasureRecord]) throws
    /// Records of `kernel` on `target` that other processes appended since
    /// the last call (tunes sharing a file share what they measure).
    func recordsAppendedElsewhere(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord]
}

extension TuningRecordStore {
    public func recordsAppendedElsewhere(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord] { [] }
}

/// One measured schedule as the tuner remembers it.
struct MeasuredCandidate {
    var schedule: Schedule
    /// The median, nil for an error.
    var seconds: Double?
    /// Given up for being too slow: the model learns it as throughput 0.
    var tooSlow: Bool
    /// The search's own candidates (nil for the default schedule and records that no longer replay).
    var candidate: Candidate?
}

/// The tuning loop: propose a batch (the strategy's `ProposalStrategy`),
/// measure it, keep the records, retrain the model; at the end,
/// re-measure the best few with the full protocol and pick the best by
/// that. Records already in the store are the starting point: they train
/// the model, seed the population, and are never measured again.
public final class Tuner {
    public let space: SearchSpace
    public let task: MeasureTask
    public let target: TargetInfo
    public let options: TuningOptions
    let measurer: CandidateMeasurer
    let store: TuningRecordStore
    let model: CostModel
    let searchPolicy: TrialPolicy
    public var onProgress: ((TuningProgress) -> Void)?
    public var onLog: ((String) -> Void)?

    private let features: FeatureCache
    private let proposer: ProposalStrategy
    private let untrainedProposer = RandomProposals()
    private var measured: Set<Schedule> = []
    /// Every measured schedule, oldest first.
    private var history: [MeasuredCandidate] = []
    private var rng: SplitMix64
    private var warnings: [String] = []

    public init(space: SearchSpace, task: MeasureTask, target: TargetInfo, measurer: CandidateMeasurer,
                store: TuningRecordStore, model: CostModel, options: TuningOptions) {
        self.space = space
        self.task = task
        self.target = target
        self.measurer = measurer
        self.store = store
        self.model = model
        self.options = options
        searchPolicy = options.searchPolicy ?? {
            var policy = TrialPolicy.search(space.kernel, threads: target.threads, budget: options.timeBudget)
            policy.pipeline = options.searchPipeline
            return policy
        }()
        features = FeatureCache(kernel: space.kernel, maxCodeSize: options.maxCodeSize, threads: target.threads)
        rng = SplitMix64(seed: options.seed)
        proposer = options.strategy.makeProposer()
    }

    public func run(stop: StopFlag) throws -> TuningResult {
        let start = Date()
        var time = TuningTime()
        for dropped in space.droppedSketches { warn("\(dropped)") }
        try loadHistory()
        time.training += seconds { retrain() }

        let defaultFirst = options.measureDefaultFirst ?? (Double(KernelCost(space.kernel).flops) <= TuningOptions.smallKernelFlops)
        if defaultFirst && !history.contains(where: { $0.schedule == .default }) && !stop.isStopped {
            if let result = measurer.measure([.default], policy: searchPolicy, best: bestSeconds, deadline: nil).first {
                try store.append([record(result, schedule: .default, candidate: nil, origin: .default)])
                add(.default, result, nil)
            }
        }

        var trials = 0, errors = 0
        var lastSpearman: Double?
        func timeLeft() -> Bool { options.timeBudget.map { Date().timeIntervalSince(start) < $0 } ?? true }
        while trials < options.trials && !stop.isStopped && timeLeft() {
            let elsewhere = try store.recordsAppendedElsewhere(of: task.identity, on: target)
            if !elsewhere.isEmpty {
                for r in elsewhere { adopt(r) }
                log("\(elsewhere.count) record\(elsewhere.count == 1 ? "" : "s") appended by another run; not measured again")
                time.training += seconds { retrain() }
            }
            var batch: [Candidate] = []
            time.searching += seconds { batch = nextBatch(min(options.batchSize, options.trials - trials)) }
            guard !batch.isEmpty else {
                log("no unmeasured candidate left to propose; stopping")
                break
            }
            let schedules = batch.map(space.schedule)
            let predicted = proposer.usesModel ? model.predict(features.features(schedules).map { $0 ?? [] }) : nil
            let measureStart = Date()
            let results = measurer.measure(schedules, policy: searchPolicy, best: bestSeconds,
                                           deadline: options.timeBudget.map { start.addingTimeInterval($0) })
            var phases = PhaseTimes()
            for r in results { phases = phases + r.phases }
            time.compiling += phases.compiling
            time.running += phases.running
            time.verifying += phases.verifying
            time.measuring += Date().timeIntervalSince(measureStart)
            let trained = predicted != nil && model.isTrained
            // Each record is stamped when its candidate finished (the batch's start plus the trials before it).
            var finished = measureStart
            try store.append(zip(batch, results).enumerated().map { i, pair in
                finished += pair.1.phases.total
                return record(pair.1, schedule: schedules[i], candidate: pair.0, origin: .search(options.strategy),
                              predicted: trained ? predicted![i] : nil, at: finished)
            })
            for (i, result) in results.enumerated() {
                trials += 1
                if result.seconds == nil { errors += 1 }
                add(schedules[i], result, batch[i])
            }
            if let predicted, trained {
                lastSpearman = spearmanCorrelation(Array(predicted.prefix(results.count)), results.map { $0.seconds.map { 1 / $0 } ?? 0 })
            }
            time.training += seconds { retrain() }
            onProgress?(TuningProgress(trials: trials, plannedTrials: options.trials, errors: errors, bestSeconds: bestSeconds,
                                       elapsed: Date().timeIntervalSince(start), batchSpearman: lastSpearman, rejected: features.rejections))
            if results.count < batch.count { break }  // stopped mid-batch, or out of time
        }

        let interrupted = stop.isStopped
        var best = bestRecord
        if !interrupted, options.finalists > 0, !finalists.isEmpty {
            let chosen = finalists
            log("re-measuring the best \(chosen.count) with the full protocol")
            let results = measurer.measure(chosen, policy: options.finalPolicy, best: nil, deadline: nil)
            let records = zip(chosen, results).map { record($1, schedule: $0, candidate: candidate(for: $0), origin: .final) }
            try store.append(records)
            if let fastest = records.filter({ $0.seconds != nil }).min(by: { $0.seconds! < $1.seconds! }) { best = fastest }
        }
        time.total = Date().timeIntervalSince(start)
        return TuningResult(best: best, trials: trials, errors: errors, interrupted: interrupted, time: time, warnings: warnings,
                            rejected: features.rejections)
    }

    // MARK: History

    private func loadHistory() throws {
        for r in try store.records(of: task.identity, on: target) { adopt(r) }
        if !history.isEmpty {
            log("resuming from \(history.count) measured candidate\(history.count == 1 ? "" : "s")"
                + (bestSeconds.map { ", best \(formatDuration($0))" } ?? ""))
        }
    }

    /// A record made elsewhere (an earlier run, another process): joins the
    /// history, with its candidate when the record's trace still replays.
    private func adopt(_ r: MeasureRecord) {
        guard let schedule = try? r.schedule() else {
            warn("\(r.line.map { "record \($0)" } ?? "a record"): its schedule cannot be read; skipped")
            return
        }
        var candidate: Candidate?
        if let trace = r.candidate, let name = trace.sketch, let decisions = trace.decisions,
           let index = space.sketches.firstIndex(where: { $0.name == name }) {
            let c = Candidate(sketch: index, decisions: decisions)
            if space.isWellFormed(c) && space.schedule(for: c) == schedule { candidate = c }
        }
        add(schedule, r, candidate)
    }

    private func add(_ schedule: Schedule, _ result: MeasureResult, _ candidate: Candidate?) {
        measured.insert(schedule)
        history.append(MeasuredCandidate(schedule: schedule, seconds: result.seconds, tooSlow: result.error?.kind == .runTimeout, candidate: candidate))
    }

    private func add(_ schedule: Schedule, _ record: MeasureRecord, _ candidate: Candidate?) {
        measured.insert(schedule)
        history.append(MeasuredCandidate(schedule: schedule, seconds: record.seconds, tooSlow: record.error?.kind == .runTimeout, candidate: candidate))
    }

    private var bestSeconds: Double? { history.compactMap(\.seconds).min() }

    /// The best median measured for `schedule` (this run or earlier records), if it ran.
    public func measuredSeconds(of schedule: Schedule) -> Double? {
        history.filter { $0.schedule == schedule }.compactMap(\.seconds).min()
    }

    private var bestRecord: MeasureRecord? {
        guard let best = history.filter({ $0.seconds != nil }).min(by: { $0.seconds! < $1.seconds! }) else { return nil }
        return MeasureRecord(kernel: task.identity, target: target, seed: task.seed, schedule: best.schedule,
                             timing: Timing(samples: [best.seconds!], number: 1), error: nil)
    }

    /// The fastest distinct schedules measured so far, within 2x of the best
    /// (a slower one cannot win: re-measuring it only spends the budget).
    private var finalists: [Schedule] {
        var seen = Set<Schedule>()
        let best = bestSeconds ?? .infinity
        return history.filter { $0.seconds.map { $0 <= 2 * best } ?? false }.sorted { $0.seconds! < $1.seconds! }.map(\.schedule)
            .filter { seen.insert($0).inserted }.prefix(options.finalists).map { $0 }
    }

    private func candidate(for schedule: Schedule) -> Candidate? { history.first { $0.schedule == schedule && $0.candidate != nil }?.candidate }

    // MARK: Proposals

    private func nextBatch(_ count: Int) -> [Candidate] {
        let context = ProposalContext(space: space, history: history, measured: measured, model: model, features: features,
                                      options: options, log: { [weak self] in self?.log($0) })
        // A model-guided strategy samples at random while its model knows nothing (no data and no pretrained prior).
        let active = proposer.usesModel && !model.isTrained ? untrainedProposer : proposer
        return active.propose(count: count, context: context, rng: &rng)
    }

    // MARK: Model

    private func retrain() {
        guard proposer.usesModel, bestSeconds != nil else { return }
        let data = TrainingSet(history: history, features: features)
        do {
            try model.update(programs: data.programs, relativeThroughput: data.labels)
        } catch {
            warn("training the cost model failed: \(error)")
        }
    }

    // MARK: Records

    private func record(_ result: MeasureResult, schedule: Schedule, candidate: Candidate?, origin: RecordOrigin,
                        predicted: Float? = nil, at time: Date = Date()) -> MeasureRecord {
        let trace = CandidateTrace(sketch: candidate.map { space.sketches[$0.sketch].name }, decisions: candidate?.decisions,
                                   origin: origin, predicted: predicted)
        return MeasureRecord(MeasureInput(task: task, schedule: schedule), result, target: target, candidate: trace, timestamp: time)
    }

    private func log(_ message: String) { onLog?(message) }

    private func warn(_ message: String) {
        warnings.append(message)
        log("warning: \(message)")
    }
}
