import HoneIR

extension SearchSpace {
    /// The candidates reordered so that the first `count` picks (in the
    /// given order) each differ from every earlier pick in their sketch or
    /// in at least half their decisions; the rest follow in the given order.
    /// Beam and tree search rank many near-copies of one good prefix side by
    /// side (the same tiles, another unroll step): a batch of those measures
    /// one idea many times and teaches the model little.
    func diverseFirst(_ ranked: [Candidate], count: Int) -> [Candidate] {
        var picks: [Candidate] = [], rest: [Candidate] = []
        for candidate in ranked {
            if picks.count < count && picks.allSatisfy({ isFar(candidate, from: $0) }) {
                picks.append(candidate)
            } else {
                rest.append(candidate)
            }
        }
        return picks + rest
    }

    private func isFar(_ a: Candidate, from b: Candidate) -> Bool {
        guard a.sketch == b.sketch else { return true }
        let differing = zip(a.decisions, b.decisions).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
        return 2 * differing >= a.decisions.count
    }
}
