import HoneIR

/// Gradient-boosted trees over a program's store rows (its score is the sum
/// over its stores, each copy a tile partition made weighted by its
/// `partition_share`), 31 leaves grown best-first, trained to rank programs
/// (`.packSumRank`; Ansor's pack-sum regression is the other choice). Until
/// `minimumPrograms` programs are measured it scores with `prior` (a model
/// trained on other kernels) when it has one, else at random, as Ansor's
/// does, so early rounds explore; once both exist, a program's score is its
/// own model's plus the prior's, weighted down as the run's own data grows
/// (both are RankNet scores, on one scale) and left out from
/// `priorFadePrograms` programs on.
///
/// Measured off line (`bench-model` over 16 kernels, the prior trained on
/// the others), ranking the next 64 candidates of a kernel: the ranking
/// objective beat pack-sum at every amount of data (Spearman 0.64 against
/// 0.43 after 64 programs, 0.83 against 0.48 after 200, feature schema 3).
/// With schema 4's partition shares, the own model plus the prior (equal
/// weights) ranked better than the own model alone at every amount of data
/// measured: 0.65 against 0.33 after 16 programs, 0.80 against 0.71 after
/// 64, 0.84 against 0.82 after 200; so the prior fades slowly.
public final class TreeCostModel: CostModel {
    public var parameters: GradientBoostingParameters
    public var minimumPrograms: Int
    public private(set) var trees: GradientBoostedTrees?
    /// Trees trained on other kernels' records (a pretrained model).
    public var prior: GradientBoostedTrees?
    /// From this many measured programs on, the prior no longer counts.
    public var priorFadePrograms = 512
    /// Programs the own trees were trained on.
    public private(set) var trainedPrograms = 0
    private var rng: SplitMix64

    public init(minimumPrograms: Int = 16, seed: UInt64 = 1, threads: Int = 2, objective: GradientBoostingObjective = .packSumRank,
                prior: GradientBoostedTrees? = nil) {
        self.prior = prior
        parameters = GradientBoostingParameters(objective: objective, rounds: 100, maxLeaves: 31, threads: max(1, threads), seed: seed,
                                                rowShareColumn: FeatureSchema.partitionShareColumn)
        self.minimumPrograms = minimumPrograms
        rng = SplitMix64(seed: seed ^ 0x5EED)
    }

    public var isTrained: Bool { trees != nil || prior != nil }

    public func predict(_ programs: [ProgramFeatures]) -> [Float] {
        switch (trees, prior) {
        case let (own?, prior?):
            let weight = Float(max(0, 1 - Double(trainedPrograms) / Double(priorFadePrograms)))
            guard weight > 0 else { return own.predict(programs) }
            return zip(own.predict(programs), prior.predict(programs)).map { $0 + weight * $1 }
        case let (model?, nil), let (nil, model?): return model.predict(programs)
        case (nil, nil): return programs.map { _ in Float(rng.next() >> 40) * 0x1p-24 }
        }
    }

    /// Trees trained on several kernels' measured programs: with a ranking
    /// objective each kernel is its own query, so only the order within a
    /// kernel is learned (throughputs of different kernels do not compare).
    public static func pretrain(_ kernels: [(programs: [ProgramFeatures], relativeThroughput: [Float])],
                                parameters: GradientBoostingParameters) throws -> GradientBoostedTrees {
        var rows: [[Float]] = [], labels: [Float] = [], sizes: [Int] = [], queries: [Int] = []
        for kernel in kernels {
            var count = 0
            for (program, label) in zip(kernel.programs, kernel.relativeThroughput) where !program.isEmpty {
                rows += program
                sizes.append(program.count)
                labels.append(label)
                count += 1
            }
            if count > 0 { queries.append(count) }
        }
        let weights = parameters.objective == .packSum ? labels.map { max($0, 0.05) } : nil
        let data = TrainingData(rows: rows, labels: labels, groupSizes: sizes, weights: weights,
                                queryProgramCounts: parameters.objective == .packSumRank ? queries : nil)
        return try GradientBoostedTrees.train(on: data, parameters: parameters, schemaVersion: FeatureSchema.version)
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
        trainedPrograms = kept.count
    }
}
