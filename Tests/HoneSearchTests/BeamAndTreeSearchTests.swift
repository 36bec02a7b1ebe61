import Foundation
import Testing
import Hone
import HoneTestSupport
@testable import HoneSearch

/// Beam search and Monte Carlo tree search on the planted-optimum space of
/// `TunerTests` (gemm 128^3, `PlantedMeasurer`).
@Suite struct BeamAndTreeSearchTests {
    static let gemm = TunerTests.gemm

    func tuner(_ store: MemoryStore, _ measurer: PlantedMeasurer, trials: Int, strategy: TuningOptions.Strategy,
               seed: UInt64 = 1) throws -> Tuner {
        try TunerTests().tuner(store, measurer, trials: trials, strategy: strategy, seed: seed)
    }

    // MARK: The decision order

    @Test(arguments: ["gemm", "conv2d", "softmax", "layernorm", "harris"])
    func theOrderDecidesEverySlotOnceTheLastStageFirstAndParallelDepthsAfterTheirTiles(_ name: String) throws {
        let space = SearchSpace(kernel: try ShippedKernels.load(name), vectorLanes: 8, threads: 2)
        let order = DecisionOrder(space: space)
        let stages = space.kernel.stages.map(\.name)
        for (sketch, slots) in zip(space.sketches, order.slots) {
            #expect(slots.sorted() == Array(sketch.decisions.indices), "\(sketch.name): \(slots)")
            for (position, slot) in slots.enumerated() {
                if case .parallel(_, let loops) = sketch.decisions[slot] {
                    for loop in loops { #expect(slots.firstIndex(of: loop.tileSlot.index)! < position, "\(sketch.name): parallel before its tile") }
                }
            }
            // Stages of the kernel (cache stages with theirs) come last to first; a parallel depth may follow a later stage's tiles.
            let ranks = slots.filter { if case .parallel = sketch.decisions[$0] { false } else { true } }
                .compactMap { stages.firstIndex(of: sketch.decisions[$0].stage.replacingOccurrences(of: ".local", with: "")) }
            #expect(zip(ranks, ranks.dropFirst()).allSatisfy { $0 >= $1 }, "\(sketch.name): stage ranks \(ranks)")
        }
    }

    @Test func aCompletionKeepsWhatWasDecidedAndIsWellFormed() throws {
        let space = SearchSpace(kernel: Self.gemm, vectorLanes: 8, threads: 2)
        let order = DecisionOrder(space: space)
        var rng = SplitMix64(seed: 3)
        for sketch in space.sketches.indices {
            var partial = PartialCandidate(sketch: sketch, space: space)
            while let slot = partial.nextSlot(order), partial.depth < order.slots[sketch].count / 2 {
                partial = partial.deciding(space.choices(for: slot, of: sketch, limit: 4, &rng).last!, order)
            }
            for _ in 0..<8 {
                let candidate = space.complete(partial, &rng)
                #expect(space.isWellFormed(candidate))
                for slot in order.slots[sketch].prefix(partial.depth) { #expect(candidate.decisions[slot] == partial.decisions[slot]) }
            }
        }
    }

    // MARK: Tuning with each strategy

    @Test(arguments: [TuningOptions.Strategy.beam, .mcts])
    func isDeterministicForASeed(_ strategy: TuningOptions.Strategy) throws {
        let (first, second) = (MemoryStore(), MemoryStore())
        let (a, b) = (PlantedMeasurer(stop: StopFlag()), PlantedMeasurer(stop: StopFlag()))
        _ = try tuner(first, a, trials: 48, strategy: strategy, seed: 5).run(stop: StopFlag())
        _ = try tuner(second, b, trials: 48, strategy: strategy, seed: 5).run(stop: StopFlag())
        #expect(a.measured.count >= 48 && a.measured == b.measured, "the proposals differ")
        #expect(first.records.map(\.scheduleJSON) == second.records.map(\.scheduleJSON))
        #expect(first.records.map { $0.candidate?.predicted } == second.records.map { $0.candidate?.predicted })
        #expect(first.records.filter { $0.origin == .search(strategy) }.count == 48)
    }

    @Test(arguments: [TuningOptions.Strategy.beam, .mcts])
    func resumesWithoutMeasuringAnythingTwice(_ strategy: TuningOptions.Strategy) throws {
        let store = MemoryStore()
        _ = try tuner(store, PlantedMeasurer(stop: StopFlag()), trials: 48, strategy: strategy).run(stop: StopFlag())
        let before = Set(try store.records.map { try $0.schedule() })
        let measurer = PlantedMeasurer(stop: StopFlag())
        let second = try tuner(store, measurer, trials: 48, strategy: strategy, seed: 2).run(stop: StopFlag())
        #expect(second.trials == 48)
        let searched = measurer.measured.prefix(second.trials)
        #expect(searched.allSatisfy { !before.contains($0) }, "the second run measured a schedule of the first")
        #expect(Set(searched).count == searched.count, "a schedule was measured twice in the second run")
    }

    /// The best planted time measured within `trials`, as a geometric mean over four seeds.
    func bestWithin(_ trials: Int, _ strategy: TuningOptions.Strategy) throws -> Double {
        var logSum = 0.0
        for seed: UInt64 in 1...4 {
            let measurer = PlantedMeasurer(stop: StopFlag())
            _ = try tuner(MemoryStore(), measurer, trials: trials, strategy: strategy, seed: seed).run(stop: StopFlag())
            logSum += log(measurer.measured.prefix(trials).map(PlantedMeasurer.seconds).min()!)
        }
        return exp(logSum / 4)
    }

    @Test func beamAndTreeSearchFindBetterThanRandomWithin96Trials() throws {
        let random = try bestWithin(96, .random)
        let beam = try bestWithin(96, .beam)
        let mcts = try bestWithin(96, .mcts)
        #expect(beam < random, "beam \(beam), random \(random)")
        #expect(mcts < random, "mcts \(mcts), random \(random)")
    }

    @Test(arguments: ShippedKernels.names)
    func bothProposeAFullBatchOfNewValidCandidatesForEveryShippedKernel(_ name: String) throws {
        let space = SearchSpace(kernel: try ShippedKernels.load(name), vectorLanes: 8, threads: 2)
        var options = TuningOptions(trials: 8)
        options.beamWidth = 4
        options.population = 16
        for proposer in [BeamProposals(), TreeSearchProposals()] as [ProposalStrategy] {
            let features = FeatureCache(kernel: space.kernel, maxCodeSize: options.maxCodeSize, threads: 2)
            let context = ProposalContext(space: space, history: [], measured: [], model: IndifferentModel(), features: features,
                                          options: options, log: { _ in })
            var rng = SplitMix64(seed: 1)
            let batch = proposer.propose(count: 8, context: context, rng: &rng)
            #expect(batch.count == 8, "\(name): \(type(of: proposer)) proposed \(batch.count)")
            #expect(batch.allSatisfy(space.isWellFormed))
            let schedules = batch.map(space.schedule)
            #expect(Set(schedules).count == schedules.count)
            #expect(features.features(schedules).allSatisfy { $0 != nil }, "\(name): a proposal does not lower")
        }
    }

    // MARK: Measurements in the tree

    /// A model that scores every program alike: what steers the tree is then only what was measured.
    final class IndifferentModel: CostModel {
        func predict(_ programs: [ProgramFeatures]) -> [Float] { programs.map { _ in 0 } }
        var isTrained: Bool { true }
        func update(programs: [ProgramFeatures], relativeThroughput: [Float]) throws {}
    }

    func context(_ space: SearchSpace, _ history: [MeasuredCandidate]) -> ProposalContext {
        var options = TuningOptions(trials: 16)
        options.population = 32
        return ProposalContext(space: space, history: history, measured: Set(history.map(\.schedule)), model: IndifferentModel(),
                               features: FeatureCache(kernel: space.kernel, maxCodeSize: 2048, threads: 2), options: options, log: { _ in })
    }

    @Test func aPlantedMeasurementChangesTheNextSelection() throws {
        let space = SearchSpace(kernel: Self.gemm, vectorLanes: 8, threads: 2)
        try #require(space.sketches.count >= 2)
        var rng = SplitMix64(seed: 11)
        // One measured candidate per sketch, all equally slow.
        let measured = space.sketches.indices.map { space.complete(PartialCandidate(sketch: $0, space: space), &rng) }
        func history(fast: Int?) -> [MeasuredCandidate] {
            measured.enumerated().map { i, c in
                MeasuredCandidate(schedule: space.schedule(for: c), seconds: i == fast ? 1e-4 : 1e-2, tooSlow: false, candidate: c)
            }
        }
        for fast in space.sketches.indices {
            // A tree that has already run a batch of rollouts, then learns that one sketch's candidate is fast.
            let proposer = TreeSearchProposals()
            var proposeRNG = SplitMix64(seed: 1)
            _ = proposer.propose(count: 4, context: context(space, history(fast: nil)), rng: &proposeRNG)
            var selectRNG = SplitMix64(seed: 2)
            let next = try #require(proposer.nextSelection(context(space, history(fast: fast)), &selectRNG))
            #expect(next.sketch == fast, "the planted fast candidate is in sketch \(fast); the next rollout starts in sketch \(next.sketch)")
            // Its value was backed up along its decisions, down to the complete candidate.
            var node = try #require(proposer.tree?.root.child(for: [fast]))
            let order = DecisionOrder(space: space)
            for slot in order.slots[fast] { node = try #require(node.child(for: measured[fast].decisions[slot])) }
            #expect(node.measurements == 1 && node.value! > 0)
        }
    }
}
