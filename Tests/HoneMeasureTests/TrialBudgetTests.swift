import Foundation
import Testing
@testable import Hone
@testable import HoneMeasure
import HoneTestSupport

private let tiled = Schedule([
    .split(stage: "C", loop: "j", factors: [8]),
    .vectorize(stage: "C", loop: "j.1"),
])

/// What the search's budget rules do to real trials in a worker.
@Suite struct TrialBudgetTests {
    @Test func aClearlySlowCandidateIsTimedByItsCheckRunOrOneBatchAndStillChecked() throws {
        let runner = try CandidateRunner()
        let spec = KernelSpec(source: smallGemmSource)
        let timing = TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.001)
        let contender = runner.run(TrialRequest(id: 1, kernel: spec, seed: 2, schedule: tiled, timing: timing))
        #expect(contender.timing?.samples.count == 3, "\(String(describing: contender.error))")
        let slow = runner.run(TrialRequest(id: 2, kernel: spec, seed: 2, schedule: tiled, timing: timing, singleBatchLimit: 0))
        #expect(slow.timing?.samples.count == 1, "\(String(describing: slow.error))")
        let wrong = runner.run(TrialRequest(id: 3, kernel: spec, seed: 2, schedule: tiled, timing: timing, singleBatchLimit: 0, fault: .wrongAnswer))
        #expect(wrong.error?.kind == .wrongAnswer, "one batch or three, every candidate is verified")
        // A verification run that lasted a batch (any run does, with batches of 0 s) is the slow candidate's time.
        let long = TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0)
        let timedByItsCheck = runner.run(TrialRequest(id: 4, kernel: spec, seed: 2, schedule: tiled, timing: long, singleBatchLimit: 0))
        #expect(timedByItsCheck.timing?.samples.count == 1 && timedByItsCheck.timing?.number == 1, "\(String(describing: timedByItsCheck.error))")
        let wrongAndLong = runner.run(TrialRequest(id: 5, kernel: spec, seed: 2, schedule: tiled, timing: long, singleBatchLimit: 0, fault: .wrongAnswer))
        #expect(wrongAndLong.error?.kind == .wrongAnswer)
    }

    @Test(arguments: CompilePipeline.allCases)
    func everyPipelineCompilesCandidatesThatMatchTheReference(pipeline: CompilePipeline) throws {
        let runner = try CandidateRunner()
        let spec = KernelSpec(source: smallGemmSource)
        for (id, schedule) in [Schedule.default, tiled].enumerated() {
            let result = runner.run(TrialRequest(id: id, kernel: spec, seed: 4, schedule: schedule, timing: quickTiming, pipeline: pipeline))
            #expect(result.timing != nil, "\(pipeline): \(String(describing: result.error))")
            #expect((result.maxAbsError ?? 1) < 1e-3)
        }
        let wrong = runner.run(TrialRequest(id: 9, kernel: spec, seed: 4, schedule: tiled, timing: quickTiming, pipeline: pipeline, fault: .wrongAnswer))
        #expect(wrong.error?.kind == .wrongAnswer)
    }

    @Test func aFirstRunFarOverItsLimitIsAbandonedAndTheNextWorkerMeasuresOn() throws {
        let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource), seed: 3)
        let measurer = WorkerMeasurer(executable: try honeExecutable(), options: MeasureOptions(compileTimeout: 30))
        defer { measurer.shutDown() }
        // An endless first run: abandoned at twice the 0.2 s limit, long before the 30 s run timeout.
        let policy = TrialPolicy(timing: quickTiming, slowLimit: 0.2, runTimeoutFloor: 30, slowLimitFloor: 0, abandonFactor: 2)
        let results = measurer.measure([MeasureInput(task: task, schedule: .default, fault: .endlessLoop),
                                         MeasureInput(task: task, schedule: tiled)], policy: policy)
        #expect(results[0].error?.kind == .runTimeout, "\(results[0].outcome)")
        #expect(results[0].error?.message.contains("first run") == true, "\(results[0].outcome)")
        #expect(results[1].timing != nil, "\(results[1].outcome)")
        #expect(measurer.restarts == 1)
    }

    @Test func thePolicysCompileLimitEndsACompileBeforeTheWorkersTimeout() throws {
        let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource), seed: 3)
        let measurer = WorkerMeasurer(executable: try honeExecutable(), options: MeasureOptions(compileTimeout: 600))
        defer { measurer.shutDown() }
        let policy = TrialPolicy(timing: quickTiming, compileTimeout: 1)
        let result = try #require(measurer.measure(MeasureInput(task: task, schedule: .default, fault: .hugeUnroll), policy: policy, best: nil))
        #expect(result.error?.kind == .compileTimeout, "\(result.outcome)")
        #expect(result.error?.message.contains("1.000 s") == true, "\(result.outcome)")
    }

    @Test func aReferenceReadsBackOnlyUnderItsOwnKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hone-reference-test-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = ReferenceCache(directory: directory)
        #expect(cache.load(key: "gemm 1") == nil)
        let values = [1.5, -2.25, .nan, .infinity, 0]
        cache.store(key: "gemm 1", values: values, fromInterpreter: true)
        let loaded = try #require(cache.load(key: "gemm 1"))
        #expect(loaded.fromInterpreter)
        #expect(loaded.values.count == values.count)
        #expect(zip(loaded.values, values).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(cache.load(key: "gemm 2") == nil)
        cache.store(key: "conv", values: [3], fromInterpreter: false)
        #expect(cache.load(key: "conv")?.fromInterpreter == false)
    }

    @Test func aWorkerStartedAfterACrashGetsTheSameVerdicts() throws {
        let task = try MeasureTask(spec: KernelSpec(source: smallGemmSource), seed: 6)
        let measurer = WorkerMeasurer(executable: try honeExecutable(), options: MeasureOptions(compileTimeout: 30))
        defer { measurer.shutDown() }
        let policy = TrialPolicy(timing: quickTiming)
        let results = measurer.measure([MeasureInput(task: task, schedule: tiled),
                                         MeasureInput(task: task, schedule: .default, fault: .outOfBoundsWrite),
                                         MeasureInput(task: task, schedule: tiled, fault: .wrongAnswer),
                                         MeasureInput(task: task, schedule: tiled)], policy: policy)
        let kinds: [MeasureError.Kind?] = results.map { $0.error?.kind }
        #expect(kinds == [nil, .runtimeCrash, .wrongAnswer, nil], "\(results.map { $0.outcome })")
        #expect(results[3].maxAbsError == results[0].maxAbsError, "the reference read back is the one computed")
        #expect(measurer.restarts == 1)
    }
}
