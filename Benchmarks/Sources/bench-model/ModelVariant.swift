import Hone

/// A cost model to compare, made fresh for each training.
struct ModelVariant: Sendable {
    var name: String
    var make: @Sendable (UInt64) -> CostModel

    static let all: [ModelVariant] = [
        ModelVariant(name: "packsum") { TreeCostModel(minimumPrograms: 1, seed: $0, threads: 2) },
        ModelVariant(name: "rank") { TreeCostModel(minimumPrograms: 1, seed: $0, threads: 2, objective: .packSumRank) },
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
