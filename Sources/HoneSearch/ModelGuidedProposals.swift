import HoneCostModel
import HoneIR
import HoneSchedule

/// The evolutionary strategy: `EvolutionarySearch`, scored by the cost
/// model, proposes its best unmeasured candidates; a share `epsilon` of
/// each batch is drawn at random.
final class ModelGuidedProposals: ProposalStrategy {
    var usesModel: Bool { true }

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        // All random while the model knows nothing (no data and no pretrained prior).
        let randomCount = context.model.isTrained ? Int((Double(count) * context.options.epsilon).rounded()) : count
        let seeds = context.history.filter { $0.seconds != nil && $0.candidate != nil }.sorted { $0.seconds! < $1.seconds! }.map { $0.candidate! }
        var search = EvolutionarySearch(space: context.space, options: .init())
        search.options.population = context.options.population
        search.options.generations = context.options.generations
        let pool = search.propose(seeds: seeds, isMeasured: { context.measured.contains($0) }, model: context.model,
                                  features: context.features, rng: &rng)
        batch.offer(pool.prefix(count * 2).map(\.candidate), upTo: count - randomCount)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }
}
