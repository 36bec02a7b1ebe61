import HoneIR
import HoneSchedule

/// Beam search over the decisions in `DecisionOrder`, as Halide's adams2019
/// searches: starting from every sketch, each step gives every entry of the
/// beam values of its next slot (every value of a small choice when the
/// budget allows), scores the children with the model,
/// and keeps the best `beamWidth` (`TuningOptions`).
///
/// A partial candidate is scored on random completions of its undecided
/// slots, the best of `completions`. Hone's decisions have no neutral
/// default to complete with: all-ones tiles give scalar code the model
/// scores alike whatever was decided, so a default completion would rank
/// partial candidates by their worst case; the best of a few draws
/// estimates what the decided part can reach, as a rollout does.
///
/// A batch's search scores about as many candidates as the evolutionary
/// search does (population x (generations + 1)), shared among the steps:
/// with many decisions an entry tries fewer values, on one completion.
///
/// Every unmeasured complete candidate scored on the way is kept: the
/// finished beam comes first, best first, then the best of the rest; half
/// the batch is taken far apart (`diverseFirst`), the rest by score; a
/// share `epsilon` of each batch is drawn at random.
final class BeamProposals: ProposalStrategy {
    var usesModel: Bool { true }
    /// At most this many values per entry and step (drawn for a tile or rfactor slot).
    var valuesPerSlot = 6
    /// Random completions scored per partial candidate, when the budget allows.
    var completions = 2
    private var order: DecisionOrder?

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        let order = self.order ?? DecisionOrder(space: context.space)
        self.order = order
        let searched = count - Int((Double(count) * context.options.epsilon).rounded())
        let search = BeamSearch(context: context, order: order, width: max(1, context.options.beamWidth),
                                valuesPerSlot: valuesPerSlot, completions: max(1, completions),
                                evaluations: context.options.population * (context.options.generations + 1))
        let found = search.run(&rng)
        batch.offer(context.space.diverseFirst(found.beam + found.others, count: searched / 2), upTo: searched)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }
}

/// One beam search, from the sketches to complete candidates.
struct BeamSearch {
    let context: ProposalContext
    let order: DecisionOrder
    let width: Int
    let valuesPerSlot: Int
    let completions: Int
    /// Completions scored per search, roughly.
    let evaluations: Int

    private struct Entry {
        var partial: PartialCandidate
        var score: Float
    }

    /// The finished beam, best first, and the other unmeasured complete
    /// candidates scored on the way, best first.
    func run(_ rng: inout SplitMix64) -> (beam: [Candidate], others: [Candidate]) {
        let space = context.space
        // Best score per unmeasured complete schedule; `order` breaks ties the same way on every run.
        var seen: [Schedule: (candidate: Candidate, score: Float, order: Int)] = [:]
        var beam = keepBest(scored(space.sketches.indices.map { PartialCandidate(sketch: $0, space: space) }, completions, &seen, &rng))
        let steps = order.slots.map(\.count).max() ?? 0
        let perEntry = max(2, evaluations / max(steps, 1) / width)
        let draws = perEntry >= 4 * completions ? completions : 1
        let limit = min(valuesPerSlot, max(2, perEntry / draws))
        for _ in 0..<steps {
            var children: [PartialCandidate] = []
            for entry in beam {
                guard let slot = entry.partial.nextSlot(order) else { continue }
                var values = space.choices(for: slot, of: entry.partial.sketch, limit: limit, &rng)
                if values.count > limit { values = Array(values.shuffled(using: &rng).prefix(limit)) }
                for value in values { children.append(entry.partial.deciding(value, order)) }
            }
            if children.isEmpty { break }
            beam = keepBest(beam.filter { $0.partial.isComplete(order) } + scored(children, draws, &seen, &rng))
        }
        let finished = beam.filter { $0.partial.isComplete(order) }.map { Candidate(sketch: $0.partial.sketch, decisions: $0.partial.decisions) }
        let others = seen.values.sorted { ($0.score, -$0.order) > ($1.score, -$1.order) }.map(\.candidate)
        return (finished, others)
    }

    private func keepBest(_ entries: [Entry]) -> [Entry] {
        entries.indices.sorted { (entries[$0].score, -$0) > (entries[$1].score, -$1) }.prefix(width).map { entries[$0] }
    }

    /// The candidates with their scores (a complete one as it is, a partial
    /// one the best of its completions), in one pass over the features;
    /// measured complete ones and those with no valid completion are left
    /// out. Every unmeasured completion joins `seen`.
    private func scored(_ partials: [PartialCandidate], _ completions: Int, _ seen: inout [Schedule: (candidate: Candidate, score: Float, order: Int)],
                        _ rng: inout SplitMix64) -> [Entry] {
        let space = context.space
        var drafts: [Candidate] = [], owners: [Int] = []
        for (i, partial) in partials.enumerated() {
            for _ in 0..<(partial.isComplete(order) ? 1 : completions) {
                drafts.append(space.complete(partial, &rng))
                owners.append(i)
            }
        }
        let schedules = drafts.map(space.schedule)
        let scores = context.scores(schedules)
        var best = [Float?](repeating: nil, count: partials.count)
        var measured = [Bool](repeating: false, count: partials.count)
        for (k, i) in owners.enumerated() {
            let isMeasured = context.measured.contains(schedules[k])
            if partials[i].isComplete(order) && isMeasured { measured[i] = true }
            guard let score = scores[k] else { continue }
            best[i] = max(best[i] ?? -.infinity, score)
            if !isMeasured && seen[schedules[k]] == nil { seen[schedules[k]] = (drafts[k], score, seen.count) }
        }
        return partials.indices.compactMap { i in
            guard !measured[i], let score = best[i] else { return nil }
            return Entry(partial: partials[i], score: score)
        }
    }
}
