import Foundation
import Testing
import Hone
import HoneTestSupport

/// Two tunes of one kernel on one records file (two terminals, two jobs of
/// an array): each learns what the other measured before its next batch,
/// and the schedule file keeps the faster of their results.
@Suite struct SharedRecordsTests {
    let target = TargetInfo(cpu: "test", featuresHash: "0", threads: 2)

    func tuner(_ store: RecordsFileStore, _ measurer: PlantedMeasurer, seed: UInt64) throws -> Tuner {
        let task = try MeasureTask(spec: KernelSpec(path: ShippedKernels.path("gemm"), overrides: ["M": 128, "N": 128, "K": 128]))
        var options = TuningOptions(trials: 32)
        options.strategy = .random
        options.seed = seed
        options.finalists = 0
        options.measureDefaultFirst = false
        return Tuner(space: SearchSpace(kernel: task.kernel, vectorLanes: 8, threads: 2), task: task, target: target,
                     measurer: measurer, store: store, model: TreeCostModel(seed: seed, threads: 1), options: options)
    }

    @Test func aTuneDoesNotMeasureWhatAnotherAppendedToItsFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gemm.jsonl").path
        let task = try MeasureTask(spec: KernelSpec(path: ShippedKernels.path("gemm"), overrides: ["M": 128, "N": 128, "K": 128]))
        // The second run has read the file (empty) before the first one measures anything.
        let secondStore = RecordsFileStore(path: path)
        #expect(try secondStore.records(of: task.identity, on: target).isEmpty)

        let firstMeasurer = PlantedMeasurer(stop: StopFlag())
        _ = try tuner(RecordsFileStore(path: path), firstMeasurer, seed: 1).run(stop: StopFlag())
        let secondMeasurer = PlantedMeasurer(stop: StopFlag())
        let second = try tuner(secondStore, secondMeasurer, seed: 1)  // the same seed: it would propose the same schedules
        var messages: [String] = []
        second.onLog = { messages.append($0) }
        _ = try second.run(stop: StopFlag())

        #expect(firstMeasurer.measured.count == 32 && secondMeasurer.measured.count == 32)
        #expect(Set(firstMeasurer.measured).isDisjoint(with: secondMeasurer.measured))
        #expect(messages.contains { $0.hasPrefix("32 records appended by another run") }, "\(messages)")
        let file = try RecordsLog.load(path: path)
        #expect(file.records.count == 64 && file.warnings.isEmpty)
    }

    @Test func theScheduleFileKeepsTheFasterOfTwoRuns() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let task = try MeasureTask(spec: KernelSpec(path: ShippedKernels.path("gemm"), overrides: ["M": 32, "N": 32, "K": 32]))
        let outputs = TuningOutputs(schedulePath: directory.appendingPathComponent("gemm.schedule.json").path,
                                    objectPath: directory.appendingPathComponent("gemm.o").path,
                                    curvePath: directory.appendingPathComponent("gemm.svg").path)
        let fast = try Schedule.load(path: ShippedKernels.path("gemm").replacingOccurrences(of: ".hone", with: ".schedule.json"))
        let slow = Schedule.default
        #expect(fast != slow)

        let first = try outputs.write(fast, seconds: 1e-3, records: [], task: task, target: target)
        #expect(first.keptFaster == nil)
        let slower = try outputs.write(slow, seconds: 2e-3, records: [], task: task, target: target)
        #expect(slower.keptFaster?.medianSeconds == 1e-3)
        #expect(try TunedScheduleFile.load(outputs.schedulePath).schedule == fast)
        let faster = try outputs.write(slow, seconds: 5e-4, records: [], task: task, target: target)
        #expect(faster.keptFaster == nil)
        #expect(try TunedScheduleFile.load(outputs.schedulePath).schedule == slow)
        #expect(FileManager.default.fileExists(atPath: outputs.objectPath))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
