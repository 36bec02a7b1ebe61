import ArgumentParser
import Dispatch
import Foundation
import Hone

struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure random schedules of a kernel and append them to a records file.",
        discussion: """
            Each candidate is compiled, checked against a reference output and timed in a \
            worker process, so a candidate that crashes, hangs or compiles forever is recorded \
            as an error and the run goes on. Records are appended (and flushed to disk) after \
            every batch. Ctrl-C stops after the current candidate with everything measured so \
            far on disk (a second Ctrl-C abandons the current candidate).
            Example: hone measure Kernels/gemm.hone --set M=256,N=256,K=256 --random 50 --records gemm.jsonl
                     hone run Kernels/gemm.hone --set M=256,N=256,K=256 --records gemm.jsonl
            """)

    enum Defaults: TimingDefaults { static let repeats = 3 }

    @OptionGroup var kernelOptions: KernelOptions

    @Option(help: "How many random schedules to measure.")
    var random: Int

    @Option(help: ArgumentHelp("The records file to append to (JSON Lines).", valueName: "file"))
    var records: String

    @Option(help: "Seed of the random inputs the candidates are checked on.")
    var inputSeed: UInt64 = 1

    @OptionGroup var batchOptions: BatchOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var timingOptions: TimingArguments<Defaults>
    @OptionGroup var compileLimits: CompileLimitOptions

    @Option(help: "Seconds a candidate may always run (more when the best so far is slow: 100x its time).")
    var runTimeout: Double = 10

    @Option(help: ArgumentHelp("Test only: also measure the default schedule with each of these faults injected.",
                               valueName: "fault,...", visibility: .hidden),
            transform: { text in
                try text.split(separator: ",").map { name in
                    guard let fault = Fault(rawValue: String(name)) else {
                        throw ValidationError("unknown fault '\(name)'; expected one of \(Fault.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return fault
                }
            })
    var inject: [Fault]?

    func validate() throws {
        guard random >= 0 else { throw ValidationError("--random must not be negative") }
    }

    func run() throws {
        var interrupted = false
        try reportingErrors { interrupted = try measureAll() }
        if interrupted { throw ExitCode(130) }
    }

    /// Returns whether the run was interrupted.
    private func measureAll() throws -> Bool {
        let task = try kernelOptions.task(seed: inputSeed)
        let faults = inject ?? []
        let target = threadOptions.target
        let log = RecordsLog(path: records)
        try log.prepare()

        let stop = StopFlag()
        let source = stopOnInterrupt(stop)
        defer { source.cancel() }

        let options = MeasureOptions(threads: threadOptions.threads, compileTimeout: compileLimits.compileTimeout)
        let policy = TrialPolicy(timing: timingOptions.options, slowFactor: 100, runTimeoutFloor: runTimeout)
        let measurer = WorkerMeasurer(options: options, stopFlag: stop)
        measurer.log = { printError("  note: \($0)") }
        defer { measurer.shutDown() }

        print("\(task.identity) [\(task.identity.key)] on \(target)")
        print("measuring \(random) random schedule\(random == 1 ? "" : "s")\(faults.isEmpty ? "" : " and \(faults.count) injected fault\(faults.count == 1 ? "" : "s")"), appending to \(records)")
        var generator = RandomScheduleGenerator(kernel: task.kernel, seed: batchOptions.seed)
        var pending = faults.map { MeasureInput(task: task, schedule: .default, fault: $0) }
        pending += (0..<random).map { _ in MeasureInput(task: task, schedule: generator.next()) }

        let total = pending.count
        let width = String(total).count
        var done = 0, failed = 0
        var errorCounts: [String: Int] = [:]
        var best: Double?
        let start = Date()
        var index = 0
        while index < pending.count && !stop.isStopped {
            let inputs = Array(pending[index ..< min(index + batchOptions.batch, pending.count)])
            index += inputs.count
            var batchRecords: [MeasureRecord] = []
            for input in inputs {
                if stop.isStopped { break }
                guard let result = measurer.measure(input, policy: policy, best: best) else { break }
                done += 1
                batchRecords.append(MeasureRecord(input, result, target: target))
                let position = "[\(String(done).leftPadded(to: width))/\(total)]"
                let label = input.fault.map { " (fault \($0.rawValue))" } ?? ""
                if let t = result.timing {
                    best = min(best ?? .infinity, t.median)
                    print("\(position) \(formatDuration(t.median).leftPadded(to: 11))  spread \(String(format: "%4.1f%%", t.spread * 100))  compile \(formatDuration(result.phases.compiling))  best \(formatDuration(best!))\(label)")
                } else if let e = result.error {
                    failed += 1
                    errorCounts[e.kind.rawValue, default: 0] += 1
                    let message = e.message.count > 160 ? String(e.message.prefix(160)) + "..." : e.message
                    print("\(position) error \(e.kind.rawValue): \(message)\(label)")
                }
            }
            try log.append(batchRecords)
        }
        let elapsed = Date().timeIntervalSince(start)
        let errors = errorCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("measured \(done) candidate\(done == 1 ? "" : "s") in \(formatDuration(elapsed)): \(done - failed) ok, \(failed) error\(failed == 1 ? "" : "s")\(errors.isEmpty ? "" : " (\(errors))")"
            + (best.map { "; best \(formatDuration($0))" } ?? "") + (measurer.restarts > 0 ? "; worker restarted \(measurer.restarts)x" : ""))
        if stop.isStopped {
            printError("interrupted: \(done) measured candidate\(done == 1 ? " is" : "s are") in \(records)")
            return true
        }
        return false
    }
}
