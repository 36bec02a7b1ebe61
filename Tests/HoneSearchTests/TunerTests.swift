import Foundation
import Testing
import Hone
import HoneTestSupport

/// A measurer whose times are a function of the schedule, with a planted
/// optimum: every split factor 4, a cache stage and a packed operand. It
/// can ask the tuner to stop after a number of candidates (Ctrl-C).
final class PlantedMeasurer: CandidateMeasurer {
    var measured: [Schedule] = []
    var stopAfter: Int?
    let stop: StopFlag

    init(stop: StopFlag) { self.stop = stop }

    static func seconds(_ schedule: Schedule) -> Double {
        var cost = 1.0
        var cached = false, packed = false
        for step in schedule.steps {
            switch step {
            case .split(_, _, let factors): cost += factors.map { abs(log2(Double($0)) - 2) }.reduce(0, +)
            case .cacheWrite: cached = true
            case .pack: packed = true
            default: break
            }
        }
        return (cost + (cached ? 0 : 3) + (packed ? 0 : 2)) * 1e-3
    }

    func measure(_ schedules: [Schedule], policy: TrialPolicy, best: Double?, deadline: Date?) -> [MeasureResult] {
        var results: [MeasureResult] = []
        for schedule in schedules {
            if stop.isStopped { break }
            measured.append(schedule)
            results.append(MeasureResult(.success(Timing(samples: [Self.seconds(schedule)], number: 1))))
            if let stopAfter, measured.count >= stopAfter { stop.stop() }
        }
        return results
    }
}

final class MemoryStore: TuningRecordStore {
    var records: [MeasureRecord] = []
    func records(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord] {
        records.filter { $0.kernel.key == kernel.key && $0.target == target }
    }
    func append(_ new: [MeasureRecord]) throws { records += new }
}

@Suite struct TunerTests {
    static let gemm = try! ShippedKernels.load("gemm", ["M": 128, "N": 128, "K": 128])

    func tuner(_ store: MemoryStore, _ measurer: PlantedMeasurer, trials: Int, strategy: TuningOptions.Strategy = .evolutionary,
               seed: UInt64 = 1) throws -> Tuner {
        let task = try MeasureTask(spec: KernelSpec(path: ShippedKernels.path("gemm"), overrides: ["M": 128, "N": 128, "K": 128]))
        var options = TuningOptions(trials: trials)
        options.strategy = strategy
        options.seed = seed
        options.population = 128
        options.generations = 3
        options.beamWidth = 8
        options.finalists = 2
        options.measureDefaultFirst = false
        let model = TreeCostModel(minimumPrograms: 24, seed: seed, threads: 1)
        return Tuner(space: SearchSpace(kernel: Self.gemm, vectorLanes: 8, threads: 2), task: task,
                     target: TargetInfo(cpu: "test", featuresHash: "0", threads: 2), measurer: measurer, store: store, model: model, options: options)
    }

    func searchRecords(_ store: MemoryStore) -> [MeasureRecord] {
        store.records.filter { $0.origin != .final }
    }

    @Test func findsThePlantedOptimumAndNeverMeasuresTwice() throws {
        let store = MemoryStore()
        let stop = StopFlag()
        let measurer = PlantedMeasurer(stop: stop)
        let result = try tuner(store, measurer, trials: 160).run(stop: stop)
        #expect(result.trials == 160)
        let schedules = try searchRecords(store).map { try $0.schedule() }
        #expect(Set(schedules).count == schedules.count, "a schedule was measured twice")
        let best = try #require(result.best?.seconds)
        let randomStore = MemoryStore()
        let random = try tuner(randomStore, PlantedMeasurer(stop: StopFlag()), trials: 160, strategy: .random).run(stop: StopFlag())
        let randomBest = try #require(random.best?.seconds)
        // The optimum is 1 ms (every split factor 4, cached, packed): within
        // four factors of two of it, and better than random sampling.
        #expect(best <= 5e-3, "best \(best)")
        #expect(best < randomBest, "the model-guided search found \(best), random sampling \(randomBest)")
    }

    @Test func isDeterministicForASeed() throws {
        let first = MemoryStore(), second = MemoryStore()
        _ = try tuner(first, PlantedMeasurer(stop: StopFlag()), trials: 48, seed: 5).run(stop: StopFlag())
        _ = try tuner(second, PlantedMeasurer(stop: StopFlag()), trials: 48, seed: 5).run(stop: StopFlag())
        let (a, b) = (first.records.map(\.scheduleJSON), second.records.map(\.scheduleJSON))
        #expect(a.count == b.count && a == b, "the runs differ from record \(a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count)")
    }

    @Test func resumesFromItsRecordsWithoutMeasuringAnythingTwice() throws {
        let store = MemoryStore()
        let firstRun = try tuner(store, PlantedMeasurer(stop: StopFlag()), trials: 48).run(stop: StopFlag())
        let before = Set(try searchRecords(store).map { try $0.schedule() })
        let measurer = PlantedMeasurer(stop: StopFlag())
        let secondRun = try tuner(store, measurer, trials: 48, seed: 2).run(stop: StopFlag())
        let searched = measurer.measured.prefix(secondRun.trials)
        #expect(searched.allSatisfy { !before.contains($0) }, "the second run measured a schedule of the first")
        let (secondBest, firstBest) = (try #require(secondRun.best?.seconds), try #require(firstRun.best?.seconds))
        #expect(secondBest <= firstBest)
        // The second run's population was seeded with the first run's candidates.
        let traces = store.records.compactMap(\.candidate)
        #expect(traces.filter { $0.decisions != nil }.count >= 96)
    }

    @Test func stoppingKeepsEveryRecordAndTheBestSoFar() throws {
        let store = MemoryStore()
        let stop = StopFlag()
        let measurer = PlantedMeasurer(stop: stop)
        measurer.stopAfter = 21
        let result = try tuner(store, measurer, trials: 64).run(stop: stop)
        #expect(result.interrupted)
        #expect(result.trials == measurer.measured.count && result.trials < 64)
        #expect(store.records.count == measurer.measured.count, "no final re-measurement after an interrupt, and nothing lost")
        let best = try #require(result.best?.seconds)
        #expect(best == store.records.compactMap(\.seconds).min())
    }
}
