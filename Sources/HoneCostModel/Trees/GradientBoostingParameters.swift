import HoneIR

/// What the trees are trained to minimize.
///
/// The learner sees only float rows, labels and (for the grouped objectives)
/// runs of consecutive rows that belong together; it knows nothing of loops.
public enum GradientBoostingObjective: String, Codable, Hashable, Sendable, CaseIterable {
    /// Squared error per row: `w (p - y)^2`. Labels are one per row, e.g. a
    /// throughput normalized per kernel (best of the kernel = 1).
    case squaredError
    /// Ansor's "pack-sum": a group of rows is one program (one row per store
    /// statement); the program's score is the sum of its rows' predictions,
    /// and the loss is `w (sum - y)^2` with one label per group. Without
    /// explicit weights a program's weight is its label, so fast programs
    /// dominate, as in Ansor.
    case packSum
    /// Pairwise ranking (RankNet) within each group: for every pair of rows
    /// with different labels, the logistic loss of ordering them wrongly.
    /// Only the order of predictions within a group is meaningful.
    case pairwiseRank
    /// Pairwise ranking of programs: groups are programs, scored as in
    /// pack-sum (the sum of their rows), with one label per program; the
    /// loss is RankNet's over pairs of programs of the same query
    /// (`TrainingData.queryProgramCounts`; one query when nil). Only the
    /// order of programs matters, so a model fits what the search needs
    /// (which candidate is faster) rather than how much faster.
    case packSumRank

    /// One label per program (group) rather than per row.
    var labelsPerGroup: Bool { self == .packSum || self == .packSumRank }
}

/// The knobs of the gradient-boosted-tree learner. Defaults are XGBoost's
/// `hist` defaults except the learning rate (0.2, as Ansor uses).
public struct GradientBoostingParameters: Codable, Hashable, Sendable {
    public var objective: GradientBoostingObjective
    /// Maximum number of trees (boosting rounds).
    public var rounds: Int
    /// Trees grow depth-wise, one level at a time, to at most this depth.
    public var maxDepth: Int
    /// If set, trees grow best-first instead (LightGBM's leaf-wise growth):
    /// the leaf whose split gains most is split next, until this many leaves
    /// (`maxDepth` still caps the depth). Fewer, better-placed leaves than a
    /// full tree of the same depth; on the synthetic cost-model data, 31
    /// leaves rank held-out programs better than depth 6.
    public var maxLeaves: Int?
    /// Minimum sum of hessians (rows, for squared error) in each child.
    public var minChildWeight: Double
    /// L2 regularization of leaf values (XGBoost's `lambda`).
    public var lambda: Double
    /// Minimum loss reduction to make a split (XGBoost's `gamma`).
    public var minSplitGain: Double
    /// Shrinkage applied to every leaf value (XGBoost's `eta`).
    public var learningRate: Double
    /// Fraction of rows each tree sees (Bernoulli per row, seeded).
    public var rowSubsample: Double
    /// Fraction of features each tree may split on (seeded).
    public var columnSubsample: Double
    /// Stop when the validation metric has not improved for this many rounds
    /// (and keep the trees up to the best round). Needs a validation set.
    public var earlyStoppingRounds: Int?
    /// Histogram bins per feature (2...256), quantiles of the training rows.
    public var bins: Int
    /// Threads for histogram building and split finding. Results do not
    /// depend on it: a model is identical for 1 or N threads.
    public var threads: Int
    /// Seed of row and column subsampling. Same data + parameters + seed =
    /// the same model, bit for bit.
    public var seed: UInt64
    /// For the program objectives: a program's score weights each row's
    /// prediction by this column of the row (the share of the program's
    /// stores the row stands for); nil: a plain sum.
    public var rowShareColumn: Int?

    public init(objective: GradientBoostingObjective = .squaredError, rounds: Int = 100, maxDepth: Int = 6,
                maxLeaves: Int? = nil, minChildWeight: Double = 1, lambda: Double = 1, minSplitGain: Double = 0, learningRate: Double = 0.2,
                rowSubsample: Double = 1, columnSubsample: Double = 1, earlyStoppingRounds: Int? = nil,
                bins: Int = 256, threads: Int = 1, seed: UInt64 = 0, rowShareColumn: Int? = nil) {
        self.objective = objective
        self.rounds = rounds
        self.maxDepth = maxDepth
        self.maxLeaves = maxLeaves
        self.minChildWeight = minChildWeight
        self.lambda = lambda
        self.minSplitGain = minSplitGain
        self.learningRate = learningRate
        self.rowSubsample = rowSubsample
        self.columnSubsample = columnSubsample
        self.earlyStoppingRounds = earlyStoppingRounds
        self.bins = bins
        self.threads = threads
        self.seed = seed
        self.rowShareColumn = rowShareColumn
    }

    /// Rejects parameters that cannot train, naming the parameter.
    func validate() throws {
        func fail(_ m: String) -> HoneError { HoneError("gradient boosting: \(m)") }
        guard rounds >= 0 else { throw fail("rounds must be >= 0, got \(rounds)") }
        guard (1...30).contains(maxDepth) else { throw fail("maxDepth must be in 1...30, got \(maxDepth)") }
        if let l = maxLeaves, l < 2 { throw fail("maxLeaves must be >= 2 (or nil for depth-wise growth), got \(l)") }
        guard minChildWeight >= 0, minChildWeight.isFinite else { throw fail("minChildWeight must be >= 0, got \(minChildWeight)") }
        guard lambda >= 0, lambda.isFinite else { throw fail("lambda must be >= 0, got \(lambda)") }
        guard minSplitGain >= 0, minSplitGain.isFinite else { throw fail("minSplitGain must be >= 0, got \(minSplitGain)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learningRate must be > 0, got \(learningRate)") }
        guard rowSubsample > 0, rowSubsample <= 1 else { throw fail("rowSubsample must be in (0, 1], got \(rowSubsample)") }
        guard columnSubsample > 0, columnSubsample <= 1 else { throw fail("columnSubsample must be in (0, 1], got \(columnSubsample)") }
        if let e = earlyStoppingRounds, e < 1 { throw fail("earlyStoppingRounds must be >= 1 (or nil), got \(e)") }
        guard (2...256).contains(bins) else { throw fail("bins must be in 2...256, got \(bins)") }
        guard threads >= 1 else { throw fail("threads must be >= 1, got \(threads)") }
        if let c = rowShareColumn, c < 0 { throw fail("rowShareColumn must be >= 0 (or nil), got \(c)") }
    }
}
