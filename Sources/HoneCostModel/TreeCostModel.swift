import HoneIR

/// Gradient-boosted trees trained with Ansor's pack-sum loss (a program's
/// score is the sum over its stores), 31 leaves grown best-first. Until
/// `minimumPrograms` programs are measured its scores are random, as
/// Ansor's are, so early rounds explore.
public final class TreeCostModel: CostModel {
    public var parameters: GradientBoostingParameters
    public var minimumPrograms: Int
    public private(set) var trees: GradientBoostedTrees?
    private var rng: SplitMix64

    public init(minimumPrograms: Int = 48, seed: UInt64 = 1, threads: Int = 2, objective: GradientBoostingObjective = .packSum) {
        parameters = GradientBoostingParameters(objective: objective, rounds: 100, maxLeaves: 31, threads: max(1, threads), seed: seed)
        self.minimumPrograms = minimumPrograms
        rng = SplitMix64(seed: seed ^ 0x5EED)
    }

    public var isTrained: Bool { trees != nil }

    public func predict(_ programs: [ProgramFeatures]) -> [Float] {
        if let trees { return trees.predict(programs) }
        return programs.map { _ in Float(rng.next() >> 40) * 0x1p-24 }
    }

    public func update(programs: [ProgramFeatures], relativeThroughput: [Float]) throws {
        var kept: [ProgramFeatures] = [], labels: [Float] = []
        for (rows, label) in zip(programs, relativeThroughput) where !rows.isEmpty {
            kept.append(rows)
            labels.append(label)
        }
        guard kept.count >= minimumPrograms else { return }
        // Pack-sum weighs a program by its label, so fast programs dominate;
        // a floor keeps the slow ones from vanishing from the loss. Ranking
        // weighs every pair alike.
        let weights = parameters.objective == .packSum ? labels.map { max($0, 0.05) } : nil
        let data = TrainingData(rows: kept.flatMap { $0 }, labels: labels, groupSizes: kept.map(\.count), weights: weights)
        trees = try GradientBoostedTrees.train(on: data, parameters: parameters, schemaVersion: FeatureSchema.version)
    }
}
