import Foundation
import HoneIR
import HoneMeasure
import HoneSchedule

/// Measures a tuning run's candidates in the isolated worker process
/// (`WorkerMeasurer`), with a cheap protocol while searching (short batches,
/// and a candidate 10x slower than the best so far is given up after its
/// first run) and the full protocol for the finalists.
public final class WorkerTuningMeasurer: TuningMeasurer {
    public let worker: WorkerMeasurer
    public let task: MeasureTask
    public var searchTiming = TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01)
    public var finalTiming = TimingOptions(warmupRuns: 1, repeats: 5, minRepeatSeconds: 0.1)
    public var searchSlowFactor = 10.0
    public var finalSlowFactor = 100.0
    /// Called after every candidate (for live progress).
    public var onResult: ((MeasureResult) -> Void)?

    private let runTimeoutFloor: Double

    public init(worker: WorkerMeasurer, task: MeasureTask, threads: Int) {
        self.worker = worker
        self.task = task
        runTimeoutFloor = worker.options.runTimeoutFloor
        let cost = KernelCost(task.kernel)
        searchRunLimit = max(Double(cost.flops) / (1e9 * Double(max(threads, 1))), Double(cost.bytesMoved) / 0.2e9, 0.05)
    }

    /// While searching, a first run slower than this is given up (and a run
    /// three times as long is killed): 1 GFLOP/s per thread, or 0.2 GB/s
    /// for kernels that mostly move data, at least 50 ms. Random candidates
    /// of a large kernel can be thousands of times slower than the best.
    public var searchRunLimit: Double

    public func measure(_ schedules: [Schedule], final: Bool) -> [MeasureResult] {
        worker.options.timing = final ? finalTiming : searchTiming
        worker.options.slowFactor = final ? finalSlowFactor : searchSlowFactor
        worker.options.slowLimit = final ? nil : searchRunLimit
        worker.options.runTimeoutFloor = final ? runTimeoutFloor : max(1, 3 * searchRunLimit)
        var results: [MeasureResult] = []
        for schedule in schedules {
            if worker.stopFlag.isStopped { break }
            guard let result = worker.measure(MeasureInput(task: task, schedule: schedule)) else { break }
            results.append(result)
            onResult?(result)
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
