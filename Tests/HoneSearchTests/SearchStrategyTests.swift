import Foundation
import Testing
import Hone
@testable import HoneSearch

/// The strategies behind `ProposalStrategy`, on the planted-optimum space of `TunerTests`.
@Suite struct SearchStrategyTests {
    let tuners = TunerTests()

    @Test(arguments: TuningOptions.Strategy.allCases)
    func everyStrategyIsDeterministicForASeed(_ strategy: TuningOptions.Strategy) throws {
        let (first, second) = (MemoryStore(), MemoryStore())
        let (a, b) = (PlantedMeasurer(stop: StopFlag()), PlantedMeasurer(stop: StopFlag()))
        _ = try tuners.tuner(first, a, trials: 40, strategy: strategy, seed: 7).run(stop: StopFlag())
        _ = try tuners.tuner(second, b, trials: 40, strategy: strategy, seed: 7).run(stop: StopFlag())
        #expect(a.measured.count >= 40 && a.measured == b.measured, "the proposals differ")
        let (x, y) = (first.records.map(\.scheduleJSON), second.records.map(\.scheduleJSON))
        #expect(x == y)
        #expect(first.records.map { $0.candidate?.predicted } == second.records.map { $0.candidate?.predicted })
        #expect(first.records.map { $0.candidate?.sketch } == second.records.map { $0.candidate?.sketch })
    }
}
