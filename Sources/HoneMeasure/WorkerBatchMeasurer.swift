import Dispatch
import Foundation
import HoneIR
import HoneSchedule

/// What a search needs from measurement: schedules of one task in, one
/// result per schedule out, in order, each timed and given up as `policy`
/// says. `best` is the best median seconds of the task known before the
/// call (earlier batches, earlier runs); the policy's slow rules are
/// relative to it, and to the best of the batch as it goes. Fewer results
/// (a prefix) only when asked to stop, or when `deadline` passes (no
/// candidate starts after it).
public protocol CandidateMeasurer: AnyObject {
    func measure(_ schedules: [Schedule], policy: TrialPolicy, best: Double?, deadline: Date?) -> [MeasureResult]
}

/// Measures a task's candidates in isolated worker processes
/// (`WorkerMeasurer`).
///
/// With two workers, a batch is compiled on both at once (LLVM is most of a
/// trial's overhead), then every candidate is run and timed alone, one at a
/// time, so no compile disturbs a timing.
public final class WorkerBatchMeasurer: CandidateMeasurer {
    public let workers: [WorkerMeasurer]
    public let task: MeasureTask
    /// Called after every candidate (for live progress).
    public var onResult: ((MeasureResult) -> Void)?
    /// Compile seconds of the task's compiled candidates, which the policy's compile limit is relative to.
    private var compileTimes: [Double] = []
    /// The fastest first run of a candidate given up as too slow: the best the
    /// slow rules are relative to while no candidate was timed, so that a
    /// loaded machine, on which every candidate misses the policy's absolute
    /// limit, still gets one timed.
    private var fastestGivenUp: Double?

    public init(workers: [WorkerMeasurer], task: MeasureTask) {
        precondition(!workers.isEmpty, "WorkerBatchMeasurer needs a worker")
        self.workers = workers
        self.task = task
    }

    public func measure(_ schedules: [Schedule], policy: TrialPolicy, best: Double?, deadline: Date?) -> [MeasureResult] {
        let stop = workers[0].stopFlag
        func mustStop() -> Bool { stop.isStopped || deadline.map { Date() >= $0 } ?? false }
        let inputs = schedules.map { MeasureInput(task: task, schedule: $0) }
        var best = best
        var results: [MeasureResult] = []
        func keep(_ result: MeasureResult) {
            results.append(result)
            if let s = result.seconds { best = min(best ?? .infinity, s) }
            if result.error?.kind == .runTimeout && result.phases.running > 0 {
                fastestGivenUp = min(fastestGivenUp ?? .infinity, result.phases.running)
            }
            if result.phases.compiling > 0 && result.error.map({ $0.kind != .compileError && $0.kind != .compileTimeout }) ?? true {
                compileTimes.append(result.phases.compiling)
            }
            onResult?(result)
        }
        var typicalCompile: Double? { median(compileTimes) }
        guard workers.count > 1, inputs.count > 1 else {
            for input in inputs {
                guard !mustStop(), let result = workers[0].measure(input, policy: policy, best: best ?? fastestGivenUp,
                                                                    typicalCompile: typicalCompile) else { break }
                keep(result)
            }
            return results
        }
        let prepared = ResultSlots<Result<WorkerMeasurer.Prepared, MeasureFailure>?>(count: inputs.count)
        // Each worker is driven by one task only.
        let workers = self.workers
        let typical = typicalCompile
        ParallelRunner(threads: workers.count).run(tasks: workers.count) { w in
            for i in stride(from: w, to: inputs.count, by: workers.count) {
                if workers[w].stopFlag.isStopped || (deadline.map { Date() >= $0 } ?? false) { break }
                guard let outcome = workers[w].prepare(inputs[i], policy: policy, typicalCompile: typical) else { break }
                prepared[i] = outcome
            }
        }
        for i in inputs.indices {
            guard !mustStop(), let slot = prepared[i], let outcome = slot else { break }
            switch outcome {
            case .success(let kept):
                guard let result = workers[i % workers.count].measure(prepared: kept, policy: policy, best: best ?? fastestGivenUp) else {
                    return results
                }
                keep(result)
            case .failure(let failure):
                keep(failure.result)
            }
        }
        return results
    }
}

/// The middle value (the mean of the two middle ones), nil for none.
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

extension WorkerBatchMeasurer {
    /// Two compile workers when other processes leave a core to spare (they
    /// used less than half a core besides the one a second compiler would
    /// take, over a quarter of a second), else one: on a busy machine a
    /// second compiler takes CPU from whoever else is there. Measured, not
    /// read from the load average, which counts kernel threads in
    /// uninterruptible sleep: an idle 2-core VM showed a load of 1.1 and
    /// got one worker, leaving its second core idle through every compile.
    public static var idleCompileWorkers: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard cores >= 2 else { return 1 }
        let othersCores = othersShare(over: 0.25) * Double(cores)
        return othersCores < Double(cores) - 1.5 ? 2 : 1
    }
}
