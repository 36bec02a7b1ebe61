import Dispatch
import Foundation
import HoneIR
import HoneMeasure
import HoneSchedule

/// Measures a tuning run's candidates in isolated worker processes
/// (`WorkerMeasurer`), with a cheap protocol while searching (short batches,
/// and a candidate 10x slower than the best so far is given up after its
/// first run) and the full protocol for the finalists.
///
/// With two workers, a batch is compiled on both at once (LLVM is most of a
/// trial's overhead), then every candidate is run and timed alone, one at a
/// time, so no compile disturbs a timing.
public final class WorkerTuningMeasurer: TuningMeasurer {
    public let workers: [WorkerMeasurer]
    public var worker: WorkerMeasurer { workers[0] }
    public let task: MeasureTask
    public var searchTiming = TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01)
    public var finalTiming = TimingOptions(warmupRuns: 1, repeats: 5, minRepeatSeconds: 0.1)
    public var searchSlowFactor = 10.0
    public var finalSlowFactor = 100.0
    /// Called after every candidate (for live progress).
    public var onResult: ((MeasureResult) -> Void)?

    private let runTimeoutFloor: Double

    public init(workers: [WorkerMeasurer], task: MeasureTask, threads: Int) {
        precondition(!workers.isEmpty, "WorkerTuningMeasurer needs a worker")
        self.workers = workers
        self.task = task
        runTimeoutFloor = workers[0].options.runTimeoutFloor
        let cost = KernelCost(task.kernel)
        searchRunLimit = max(Double(cost.flops) / (1e9 * Double(max(threads, 1))), Double(cost.bytesMoved) / 0.2e9, 0.05)
    }

    /// While searching, a first run slower than this is given up (and a run
    /// three times as long is killed): 1 GFLOP/s per thread, or 0.2 GB/s
    /// for kernels that mostly move data, at least 50 ms. Random candidates
    /// of a large kernel can be thousands of times slower than the best.
    public var searchRunLimit: Double

    public func measure(_ schedules: [Schedule], final: Bool, deadline: Date?) -> [MeasureResult] {
        func timeIsUp() -> Bool { deadline.map { Date() >= $0 } ?? false }
        for w in workers {
            w.options.timing = final ? finalTiming : searchTiming
            w.options.slowFactor = final ? finalSlowFactor : searchSlowFactor
            w.options.slowLimit = final ? nil : searchRunLimit
            w.options.runTimeoutFloor = final ? runTimeoutFloor : max(1, 3 * searchRunLimit)
        }
        let inputs = schedules.map { MeasureInput(task: task, schedule: $0) }
        var results: [MeasureResult] = []
        func keep(_ result: MeasureResult) {
            results.append(result)
            for w in workers { w.noteBest(result, for: task) }
            onResult?(result)
        }
        guard workers.count > 1, !final, inputs.count > 1 else {
            for input in inputs {
                if worker.stopFlag.isStopped || timeIsUp() { break }
                guard let result = worker.measure(input) else { break }
                keep(result)
            }
            return results
        }
        let prepared = ResultSlots<Result<WorkerMeasurer.Prepared, MeasureFailure>?>(count: inputs.count)
        // Each worker is driven by one thread only.
        let shared = UncheckedBox(workers)
        DispatchQueue.concurrentPerform(iterations: workers.count) { w in
            let workers = shared.value
            for i in stride(from: w, to: inputs.count, by: workers.count) {
                if workers[w].stopFlag.isStopped || (deadline.map { Date() >= $0 } ?? false) { break }
                guard let outcome = workers[w].prepare(inputs[i]) else { break }
                prepared[i] = outcome
            }
        }
        for i in inputs.indices {
            guard !worker.stopFlag.isStopped, !timeIsUp(), let slot = prepared[i], let outcome = slot else { break }
            switch outcome {
            case .success(let kept):
                guard let result = workers[i % workers.count].measure(prepared: kept) else { return results }
                keep(result)
            case .failure(let failure):
                keep(failure.result)
            }
        }
        return results
    }
}

/// A records file as the tuning loop's store: read once, appended per batch
/// (flushed to disk before the next batch starts).
public final class RecordsFileStore: TuningRecordStore {
    public let log: RecordsLog
    /// Lines skipped when reading (torn or corrupt), "FILE:LINE: skipped: reason".
    public private(set) var warnings: [String] = []

    public init(path: String) { log = RecordsLog(path: path) }

    public func history() throws -> [MeasureRecord] {
        guard FileManager.default.fileExists(atPath: log.path) else {
            try log.prepare()
            return []
        }
        let loaded = try RecordsLog.load(path: log.path)
        warnings = loaded.warnings
        return loaded.records
    }

    public func append(_ records: [MeasureRecord]) throws { try log.append(records) }
}

/// A value handed to parallel tasks that use disjoint parts of it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension WorkerTuningMeasurer {
    /// Two compile workers when the machine has a core to spare (other
    /// processes' load below the cores minus one), else one: on a busy
    /// machine a second compiler only slows the first.
    public static var idleCompileWorkers: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var load = [0.0]
        guard cores >= 2, getloadavg(&load, 1) == 1 else { return 1 }
        return load[0] < Double(cores) - 1 ? 2 : 1
    }
}
