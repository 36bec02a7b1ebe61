import HoneIR

extension SearchSpace {
    /// Ansor's mutation weights on CPU, by kind of decision.
    static let mutationWeights: [(kind: MutationKind, weight: Double)] = [(.tile, 0.90), (.location, 0.05), (.unroll, 0.04), (.parallel, 0.01)]

    enum MutationKind { case tile, location, unroll, parallel }

    static func mutationKind(of decision: DecisionKind) -> MutationKind {
        switch decision {
        case .tile, .rfactor: .tile
        case .location: .location
        case .unroll: .unroll
        case .parallel: .parallel
        }
    }

    /// The candidate with exactly one decision changed, or nil when its
    /// sketch has nothing to change. The kind of decision is drawn with
    /// Ansor's weights among the kinds the sketch has.
    public func mutate(_ candidate: Candidate, _ rng: inout SplitMix64) -> Candidate? {
        let kinds = sketches[candidate.sketch].decisions
        let mutable = kinds.indices.filter { canChange(kinds[$0], candidate.decisions[$0]) }
        guard !mutable.isEmpty else { return nil }
        let present = Self.mutationWeights.filter { entry in mutable.contains { Self.mutationKind(of: kinds[$0]) == entry.kind } }
        var draw = Double(rng.next() >> 11) * 0x1p-53 * present.reduce(0) { $0 + $1.weight }
        var chosen = present.last!.kind
        for entry in present {
            if draw < entry.weight { chosen = entry.kind; break }
            draw -= entry.weight
        }
        let slots = mutable.filter { Self.mutationKind(of: kinds[$0]) == chosen }
        let slot = slots[rng.next(below: slots.count)]
        var result = candidate
        for _ in 0..<16 {
            let changed = mutateDecision(kinds[slot], candidate.decisions[slot], &rng)
            if changed != candidate.decisions[slot] {
                result.decisions[slot] = changed
                return result
            }
        }
        return nil
    }

    private func canChange(_ kind: DecisionKind, _ value: [Int]) -> Bool {
        switch kind {
        case .tile(_, _, let extent, _, _), .rfactor(_, _, let extent): extent > 1
        case .location(_, let options): options.count > 1
        case .unroll: true
        case .parallel(_, let loops): !loops.isEmpty
        }
    }

    private func mutateDecision(_ kind: DecisionKind, _ value: [Int], _ rng: inout SplitMix64) -> [Int] {
        switch kind {
        case .tile(_, _, let extent, let levels, let vector):
            var factors = value
            // Move a prime factor between two levels (Ansor), or draw one level again.
            if levels > 1 && rng.next(below: 2) == 0 {
                let from = rng.next(below: levels), to = rng.next(below: levels)
                if from != to, let prime = Self.smallestPrimeFactor(factors[from]) {
                    factors[from] /= prime
                    factors[to] *= prime
                    if !vector || factors[levels - 1] <= 64 { return factors }
                    factors = value
                }
            }
            let level = rng.next(below: levels)
            let inner = factors[(level + 1)...].reduce(1, *)
            factors[level] = factor((extent + inner - 1) / inner, innermost: level == levels - 1, levels: levels, vector: vector, &rng)
            return factors
        default:
            return sampleDecision(kind, &rng)
        }
    }

    static func smallestPrimeFactor(_ n: Int) -> Int? {
        guard n > 1 else { return nil }
        var p = 2
        while p * p <= n {
            if n % p == 0 { return p }
            p += 1
        }
        return n
    }
}
