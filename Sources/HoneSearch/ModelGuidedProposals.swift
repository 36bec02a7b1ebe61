import HoneIR
import HoneSchedule

/// The evolutionary strategy: `EvolutionarySearch`, scored by the cost
/// model and seeded with the best measured candidates, proposes the batch
/// best first; a share `epsilon` of it is drawn at random (all of it while
/// the model knows nothing).
final class ModelGuidedProposals: ProposalStrategy {
    var usesModel: Bool { true }

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        // All random while the model knows nothing (no data and no pretrained prior).
        guard context.model.isTrained else {
            batch.fillAtRandom(&rng)
            return batch.chosen
        }
        let searched = count - Int((Double(count) * context.options.epsilon).rounded())
        let seeds = context.history.filter { $0.seconds != nil && $0.candidate != nil }.sorted { $0.seconds! < $1.seconds! }.map { $0.candidate! }
        var search = EvolutionarySearch(space: context.space, options: .init())
        search.options.population = context.options.population
        search.options.generations = context.options.generations
        let proposals = search.propose(count: count * 2, seeds: seeds, isMeasured: { context.measured.contains($0) },
                                       model: context.model, features: context.features, rng: &rng)
        batch.offer(proposals, upTo: searched)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }
}
