import HoneCostModel
import HoneIR
import HoneSchedule

/// The evolutionary strategy. `EvolutionarySearch`, scored by the cost
/// model, gathers unmeasured candidates; each is valued by its score plus
/// the model's uncertainty about it (`ExplorationEnsemble`); the batch's
/// trials are shared among sketches by what each has shown
/// (`SketchBandit`); within a sketch the best-valued come first and
/// candidates that differ from a chosen one only in unrolling wait until
/// nothing else is left. A share `epsilon` of each batch is still drawn at
/// random.
final class ModelGuidedProposals: ProposalStrategy {
    var usesModel: Bool { true }
    /// Weight of the ensemble's spread beside the model's standardized score.
    var uncertaintyWeight: Float = 0.5
    /// Random candidates scored for a sketch the evolution left without any.
    var samplesPerMissingSketch = 32
    private var ensemble: ExplorationEnsemble?

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        let searched = count - Int((Double(count) * context.options.epsilon).rounded())
        let seeds = context.history.filter { $0.seconds != nil && $0.candidate != nil }.sorted { $0.seconds! < $1.seconds! }.map { $0.candidate! }
        var search = EvolutionarySearch(space: context.space, options: .init())
        search.options.population = context.options.population
        search.options.generations = context.options.generations
        var pool = search.propose(seeds: seeds, isMeasured: { context.measured.contains($0) }, model: context.model,
                                  features: context.features, rng: &rng)
        pool += samplesOfMissingSketches(pool, context, &rng)
        let value = values(of: pool, context)

        // Best value first within each sketch; index order breaks ties.
        let ranked = pool.indices.sorted { (value[$0], -$0) > (value[$1], -$1) }
        var bySketch: [Int: [Int]] = [:]
        for i in ranked { bySketch[pool[i].candidate.sketch, default: []].append(i) }
        let available = bySketch.keys.sorted()
        let quota = SketchBandit(sketchCount: context.space.sketches.count, history: context.history)
            .allocate(searched, available: available, preference: bySketch.mapValues { value[$0[0]] })
        var picks: [Int] = []
        for sketch in available {
            picks += diverse(bySketch[sketch]!, count: quota[sketch, default: 0], pool: pool, space: context.space, isNew: batch.isNew)
        }
        batch.offer(picks.sorted { (value[$0], -$0) > (value[$1], -$1) }.map { pool[$0].candidate }, upTo: searched)
        // A sketch short of candidates leaves its slots to the best of the rest.
        batch.offer(ranked.map { pool[$0].candidate }, upTo: searched)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }

    /// Score plus uncertainty bonus, both in standard deviations over the pool.
    private func values(of pool: [ScoredCandidate], _ context: ProposalContext) -> [Float] {
        let lowest = pool.map(\.score).filter(\.isFinite).min() ?? 0
        let scores = standardized(pool.map { $0.score.isFinite ? $0.score : lowest })  // a broken score ranks last
        let ensemble = self.ensemble ?? ExplorationEnsemble(seed: context.options.seed)
        self.ensemble = ensemble
        ensemble.update(TrainingSet(history: context.history, features: context.features))
        let spread = ensemble.spread(context.features.features(pool.map(\.schedule)).map { $0 ?? [] })
        return zip(scores, spread).map { $0 + uncertaintyWeight * $1 }
    }

    /// A sketch absent from the evolution's pool gets a few random candidates, scored, so it can still be given trials.
    private func samplesOfMissingSketches(_ pool: [ScoredCandidate], _ context: ProposalContext, _ rng: inout SplitMix64) -> [ScoredCandidate] {
        let present = Set(pool.map(\.candidate.sketch))
        var extra: [ScoredCandidate] = []
        var seen = Set<Schedule>()
        for sketch in context.space.sketches.indices where !present.contains(sketch) {
            let draws = (0..<samplesPerMissingSketch).map { _ in context.space.sample(sketch: sketch, &rng) }
            let schedules = draws.map(context.space.schedule)
            let rows = context.features.features(schedules)
            let kept = draws.indices.filter { rows[$0] != nil && !context.measured.contains(schedules[$0]) && seen.insert(schedules[$0]).inserted }
            let scores = context.model.predict(kept.map { rows[$0]! })
            for (k, i) in kept.enumerated() {
                extra.append(ScoredCandidate(candidate: draws[i], schedule: schedules[i], score: scores[k],
                                             order: pool.count + extra.count))
            }
        }
        return extra
    }

    /// Up to `count` of a sketch's candidates (pool indices, best first):
    /// one that differs from an earlier pick only in its unroll steps is
    /// taken only when the distinct ones run out.
    private func diverse(_ ranked: [Int], count: Int, pool: [ScoredCandidate], space: SearchSpace,
                         isNew: (Schedule) -> Bool) -> [Int] {
        guard count > 0 else { return [] }
        var picks: [Int] = [], nearDuplicates: [Int] = []
        var shapes = Set<[[Int]]>()
        for i in ranked where picks.count < count && isNew(pool[i].schedule) {
            if shapes.insert(shape(pool[i].candidate, space)).inserted { picks.append(i) } else { nearDuplicates.append(i) }
        }
        return picks + nearDuplicates.prefix(count - picks.count)
    }

    /// The candidate's decisions without its unroll steps.
    private func shape(_ candidate: Candidate, _ space: SearchSpace) -> [[Int]] {
        zip(space.sketches[candidate.sketch].decisions, candidate.decisions).map { kind, value in
            if case .unroll = kind { return [] }
            return value
        }
    }
}
