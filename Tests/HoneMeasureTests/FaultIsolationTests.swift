import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// A worker-backed measurer with short timeouts for tests.
private func testMeasurer() throws -> WorkerMeasurer {
    WorkerMeasurer(executable: try honeExecutable(), options: MeasureOptions(compileTimeout: 5))
}

/// Quick timing and a short run timeout.
private let quickPolicy = TrialPolicy(timing: quickTiming, runTimeoutFloor: 1.5)

private let tiled = Schedule([
    .split(stage: "C", loop: "j", factors: [8]),
    .vectorize(stage: "C", loop: "j.1"),
])

@Test func aRunSurvivesEveryInjectedFaultAndRecordsItsKind() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource), seed: 3)
    let measurer = try testMeasurer()
    defer { measurer.shutDown() }
    var batch = [MeasureInput(task: task, schedule: .default)]
    for fault in Fault.allCases {
        batch.append(MeasureInput(task: task, schedule: .default, fault: fault))
        batch.append(MeasureInput(task: task, schedule: tiled))
    }
    let results = measurer.measure(batch, policy: quickPolicy)
    #expect(results.count == batch.count)
    for (input, result) in zip(batch, results) {
        if let fault = input.fault {
            #expect(result.error?.kind == fault.expectedErrorKind, "\(fault): \(result.outcome)")
            #expect(result.timing == nil)
        } else {
            #expect(result.timing != nil, "a good candidate after a fault must still be measured: \(result.outcome)")
            #expect((result.maxAbsError ?? 1) < 1e-3)
        }
    }
    let byFault = Dictionary(uniqueKeysWithValues: zip(batch, results).compactMap { i, r in i.fault.map { ($0, r) } })
    #expect(byFault[.outOfBoundsWrite]?.error?.message.contains("SIGSEGV") == true)
    #expect(byFault[.arithmeticTrap]?.error?.message.contains("SIGFPE") == true)
    #expect(byFault[.illegalInstruction]?.error?.message.contains("SIGILL") == true)
    #expect(byFault[.endlessLoop]?.error?.message.contains("hang") == true)
    let wrong = try #require(byFault[.wrongAnswer]?.error)
    #expect(wrong.maxAbsError.map { abs($0 - 1) < 0.01 } == true, "\(wrong)")
    // Crashes and timeouts each cost one worker.
    #expect(measurer.restarts == 5)
}

@Test func faultsAreRecordedWithTheirKindAndMessage() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource))
    let measurer = try testMeasurer()
    defer { measurer.shutDown() }
    let inputs = [MeasureInput(task: task, schedule: .default, fault: .outOfBoundsWrite), MeasureInput(task: task, schedule: tiled)]
    let results = measurer.measure(inputs, policy: quickPolicy)
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.jsonl").path
    let target = TargetInfo.current()
    try RecordsLog(path: path).append(zip(inputs, results).map { MeasureRecord($0, $1, target: target) })
    let loaded = try RecordsLog.load(path: path)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count == 2)
    #expect(loaded.records[0].error?.kind == .runtimeCrash)
    #expect(loaded.records[0].error?.message.contains("SIGSEGV") == true)
    #expect(loaded.records[1].seconds != nil)
    #expect(loaded.best(for: task.identity, target: target)?.line == 2)
    #expect(try loaded.records[1].schedule() == tiled)
}

@Test func invalidSchedulesAndSlowCandidatesAreErrorsNotResults() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource))
    let measurer = try testMeasurer()
    defer { measurer.shutDown() }
    let invalid = Schedule([.vectorize(stage: "C", loop: "nope")])
    let results = measurer.measure([MeasureInput(task: task, schedule: invalid), MeasureInput(task: task, schedule: .default)], policy: quickPolicy)
    #expect(results[0].error?.kind == .invalidSchedule, "\(results[0].outcome)")
    #expect(results[1].timing != nil)
    #expect(measurer.restarts == 0)
}

@Test func aStopFlagEndsTheBatchEarly() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource))
    let stop = StopFlag()
    let measurer = WorkerMeasurer(executable: try honeExecutable(), stopFlag: stop)
    defer { measurer.shutDown() }
    let policy = TrialPolicy(timing: quickTiming)
    #expect(measurer.measure([MeasureInput(task: task, schedule: .default)], policy: policy).count == 1)
    stop.stop()
    #expect(measurer.measure([MeasureInput(task: task, schedule: .default)], policy: policy).isEmpty)
}

@Test func theInProcessRunnerChecksAgainstAJITReferenceForLargeKernels() throws {
    let runner = try CandidateRunner()
    runner.interpreterReferenceLimit = 0  // force the default-schedule JIT reference path
    let spec = KernelSpec(source: smallGemmSource)
    let good = runner.run(TrialRequest(id: 1, kernel: spec, seed: 5, schedule: tiled, timing: quickTiming))
    #expect(good.timing != nil, "\(String(describing: good.error))")
    let wrong = runner.run(TrialRequest(id: 2, kernel: spec, seed: 5, schedule: tiled, timing: quickTiming, fault: .wrongAnswer))
    #expect(wrong.error?.kind == .wrongAnswer)
    #expect(wrong.error?.message.contains("default schedule") == true)
}

@Test func aCandidateFarSlowerThanTheBestSoFarIsStoppedAsARunTimeout() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource))
    // A factor so small that any second candidate counts as too slow.
    let measurer = WorkerMeasurer(executable: try honeExecutable())
    defer { measurer.shutDown() }
    let policy = TrialPolicy(timing: quickTiming, slowFactor: 1e-9, slowLimitFloor: 0)
    let results = measurer.measure([MeasureInput(task: task, schedule: tiled), MeasureInput(task: task, schedule: .default)], policy: policy)
    #expect(results[0].timing != nil)
    #expect(results[1].error?.kind == .runTimeout, "\(results[1].outcome)")
    #expect(results[1].error?.message.contains("too slow") == true)
    #expect(measurer.restarts == 0)  // stopped by the worker itself, no kill needed
}

/// Compiling a batch first and timing it afterwards gives the same verdicts
/// as measuring each candidate whole; a candidate whose worker died in
/// between is measured whole.
@Test func preparedCandidatesAreCompiledFirstAndTimedLater() throws {
    let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource), seed: 3)
    let measurer = try testMeasurer()
    defer { measurer.shutDown() }
    let good = MeasureInput(task: task, schedule: tiled)
    let invalid = MeasureInput(task: task, schedule: Schedule([.vectorize(stage: "C", loop: "k")]))
    let crash = MeasureInput(task: task, schedule: .default, fault: .outOfBoundsWrite)

    let first = try #require(measurer.prepare(good, policy: quickPolicy))
    let second = try #require(measurer.prepare(MeasureInput(task: task, schedule: .default), policy: quickPolicy))
    let rejected = try #require(measurer.prepare(invalid, policy: quickPolicy))
    guard case .failure(let failure) = rejected else { Issue.record("an invalid schedule must fail at compile time"); return }
    #expect(failure.result.error?.kind == .invalidSchedule)

    guard case .success(let kept) = first, case .success(let keptDefault) = second else { Issue.record("good candidates must compile"); return }
    let timed = try #require(measurer.measure(prepared: kept, policy: quickPolicy, best: nil))
    #expect(timed.timing != nil && (timed.maxAbsError ?? 1) < 1e-3, "\(timed.outcome)")
    #expect(timed.phases.compiling > 0, "the compile phases are kept with the candidate")

    // A crash takes the worker (and the kernels it keeps) down; the kept default is then measured whole.
    #expect(measurer.measure(crash, policy: quickPolicy, best: nil)?.error?.kind == .runtimeCrash)
    let remeasured = try #require(measurer.measure(prepared: keptDefault, policy: quickPolicy, best: nil))
    #expect(remeasured.timing != nil, "\(remeasured.outcome)")
}
