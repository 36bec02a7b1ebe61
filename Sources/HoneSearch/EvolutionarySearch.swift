import HoneCostModel
import HoneIR
import HoneSchedule

/// An unmeasured candidate and the model's score of it; `order` is when it
/// was first seen, so ties break the same way on every run.
struct ScoredCandidate {
    var candidate: Candidate
    var schedule: Schedule
    var score: Float
    var order: Int
}

/// Ansor's evolutionary search: a population of candidates (seeded with the
/// best measured ones, filled with random samples) is scored by the cost
/// model, and each generation is drawn from the last in proportion to the
/// scores, most of it mutated in one decision. The unmeasured candidates
/// seen in any generation are what a batch is chosen from.
struct EvolutionarySearch {
    struct Options: Hashable, Sendable {
        var population = 512
        var generations = 4
        var mutationProbability = 0.85
        /// At most this fraction of the initial population comes from measured candidates.
        var measuredFraction = 0.2
    }

    let space: SearchSpace
    var options: Options

    /// Every unmeasured candidate seen in any generation with its model
    /// score, best first, distinct by schedule. `seeds` are measured
    /// candidates, best first.
    func propose(seeds: [Candidate], isMeasured: (Schedule) -> Bool, model: CostModel,
                 features: FeatureCache, rng: inout SplitMix64) -> [ScoredCandidate] {
        var population = Array(seeds.prefix(Int(Double(options.population) * options.measuredFraction)))
        var attempts = 0
        while population.count < options.population && attempts < options.population * 4 {
            population.append(space.sample(&rng))
            attempts += 1
        }
        // Best unmeasured per schedule; `order` breaks ties the same way on every run.
        var pool: [Schedule: (candidate: Candidate, score: Float, order: Int)] = [:]
        for generation in 0...options.generations {
            let schedules = population.map(space.schedule)
            let rows = features.features(schedules)
            let valid = rows.indices.filter { rows[$0] != nil }
            guard !valid.isEmpty else { break }
            let raw = model.predict(valid.map { rows[$0]! })
            let lowest = raw.filter(\.isFinite).min() ?? 0
            let scores = raw.map { $0.isFinite ? $0 : lowest }  // a broken score ranks last, never first
            for (k, i) in valid.enumerated() where !isMeasured(schedules[i]) {
                if scores[k] > pool[schedules[i]]?.score ?? -.infinity { pool[schedules[i]] = (population[i], scores[k], pool.count) }
            }
            if generation == options.generations { break }
            population = nextGeneration(valid.map { population[$0] }, scores, &rng)
        }
        return pool.map { ScoredCandidate(candidate: $1.candidate, schedule: $0, score: $1.score, order: $1.order) }
            .sorted { ($0.score, -$0.order) > ($1.score, -$1.order) }
    }

    /// Roulette-wheel selection by score, then mutation.
    private func nextGeneration(_ parents: [Candidate], _ scores: [Float], _ rng: inout SplitMix64) -> [Candidate] {
        let low = scores.min() ?? 0, high = scores.max() ?? 1
        let floor = max((high - low) * 0.01, 1e-6)
        var cumulative: [Float] = []
        cumulative.reserveCapacity(scores.count)
        var total: Float = 0
        for s in scores { total += s - low + floor; cumulative.append(total) }
        var next: [Candidate] = []
        next.reserveCapacity(options.population)
        while next.count < options.population {
            let draw = Float(rng.next() >> 40) * 0x1p-24 * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] < draw { lo = mid + 1 } else { hi = mid }
            }
            let parent = parents[lo]
            if Double(rng.next() >> 11) * 0x1p-53 < options.mutationProbability, let child = space.mutate(parent, &rng) {
                next.append(child)
            } else {
                next.append(parent)
            }
        }
        return next
    }
}
