import Hone

/// A cost model to compare, made fresh for each training.
struct ModelVariant: Sendable {
    var name: String
    var make: @Sendable (UInt64) -> TreeCostModel

    /// The first is what Hone uses (and what --save trains).
    static let all: [ModelVariant] = [
        ModelVariant(name: "rank") { TreeCostModel(minimumPrograms: 1, seed: $0, threads: 2, objective: .packSumRank) },
        ModelVariant(name: "rank-plainsum") { seed in
            let m = TreeCostModel(minimumPrograms: 1, seed: seed, threads: 2, objective: .packSumRank)
            m.parameters.rowShareColumn = nil  // schema 3's sum: every partition copy of a store counts in full
            return m
        },
        ModelVariant(name: "packsum") { TreeCostModel(minimumPrograms: 1, seed: $0, threads: 2, objective: .packSum) },
        ModelVariant(name: "rank-d6") { seed in
            let m = TreeCostModel(minimumPrograms: 1, seed: seed, threads: 2, objective: .packSumRank)
            m.parameters.maxLeaves = nil
            return m
        },
        ModelVariant(name: "packsum-nw") { seed in
            let m = TreeCostModel(minimumPrograms: 1, seed: seed, threads: 2)
            m.parameters.rounds = 200
            m.parameters.learningRate = 0.1
            return m
        },
    ]
}
