import HoneMeasure
import HoneSchedule

/// The median time of the task's default schedule on the target, what a
/// tuned schedule is compared with (and shipped instead of, when nothing
/// beat it): from the records, or else measured now with `worker` and
/// appended to them. The default schedule is slow and only its order of
/// magnitude matters, so one run after the verification run is enough.
/// Nil when stopped or when the measurement fails.
public func defaultScheduleSeconds(_ task: MeasureTask, target: TargetInfo, records: RecordsLog, worker: WorkerMeasurer,
                                   stop: StopFlag) throws -> Double? {
    let recorded = try? RecordsLog.load(path: records.path).records(of: task.identity, on: target).first {
        $0.origin == .default && $0.seconds != nil
    }
    if let recorded { return recorded.seconds }
    guard !stop.isStopped else { return nil }
    worker.options.timing = TimingOptions(warmupRuns: 0, repeats: 1, minRepeatSeconds: 0)
    worker.options.slowFactor = 1e9
    let input = MeasureInput(task: task, schedule: .default)
    guard let measured = worker.measure(input) else { return nil }
    try records.append([MeasureRecord(input, measured, target: target, candidate: CandidateTrace(origin: .default))])
    return measured.seconds
}
