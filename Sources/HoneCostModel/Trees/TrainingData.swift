import HoneIR

/// Rows of float features with their labels: what the tree learner trains on.
///
/// Rows are stored row-major in one flat array. Grouped objectives (pack-sum,
/// pairwise ranking) read `groupSizes`: runs of consecutive rows that form one
/// program (pack-sum) or one ranking query (pairwise). Labels are one per row,
/// except for pack-sum, where they are one per group (the program's label).
public struct TrainingData: Sendable {
    public var featureCount: Int
    /// `rowCount * featureCount` floats, row after row.
    public var features: [Float]
    /// One per row; one per group for `.packSum`.
    public var labels: [Float]
    /// Sizes of consecutive row groups (summing to `rowCount`); nil = no groups.
    public var groupSizes: [Int]?
    /// Optional weights, shaped like `labels`. Default 1 (pack-sum: the label).
    public var weights: [Float]?
    /// For `.packSumRank`: how many consecutive programs form each ranking
    /// query (programs of one kernel); nil: all programs are one query.
    public var queryProgramCounts: [Int]?

    public var rowCount: Int { featureCount == 0 ? 0 : features.count / featureCount }

    public init(features: [Float], featureCount: Int, labels: [Float], groupSizes: [Int]? = nil, weights: [Float]? = nil,
                queryProgramCounts: [Int]? = nil) {
        self.features = features
        self.featureCount = featureCount
        self.labels = labels
        self.groupSizes = groupSizes
        self.weights = weights
        self.queryProgramCounts = queryProgramCounts
    }

    /// Rows as arrays (all of the same length).
    public init(rows: [[Float]], labels: [Float], groupSizes: [Int]? = nil, weights: [Float]? = nil, queryProgramCounts: [Int]? = nil) {
        let d = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == d }, "TrainingData: rows of different lengths")
        self.init(features: rows.flatMap { $0 }, featureCount: d, labels: labels, groupSizes: groupSizes, weights: weights,
                  queryProgramCounts: queryProgramCounts)
    }

    /// Group sizes from one group id per row (rows of a group must be consecutive).
    public static func groupSizes(fromIDs ids: [Int]) -> [Int] {
        var sizes: [Int] = []
        var previous: Int? = nil
        for id in ids {
            if id == previous { sizes[sizes.count - 1] += 1 } else { sizes.append(1); previous = id }
        }
        return sizes
    }

    /// Checks shapes against the objective; every message says what to fix.
    func validate(for objective: GradientBoostingObjective, role: String) throws {
        func fail(_ m: String) -> HoneError { HoneError("gradient boosting: \(role) data: \(m)") }
        guard featureCount > 0 else { throw fail("featureCount must be > 0") }
        guard features.count % featureCount == 0 else {
            throw fail("\(features.count) feature values is not a multiple of featureCount \(featureCount)")
        }
        let n = rowCount
        guard n > 0 else { throw fail("no rows") }
        var groupCount = 0
        if let sizes = groupSizes {
            guard sizes.allSatisfy({ $0 > 0 }) else { throw fail("group sizes must be positive") }
            guard sizes.reduce(0, +) == n else { throw fail("group sizes sum to \(sizes.reduce(0, +)), but there are \(n) rows") }
            groupCount = sizes.count
        } else if objective != .squaredError {
            throw fail("objective \(objective.rawValue) needs groupSizes")
        }
        let expected = objective.labelsPerGroup ? groupCount : n
        let what = objective.labelsPerGroup ? "groups (one label per program)" : "rows"
        guard labels.count == expected else { throw fail("\(labels.count) labels for \(expected) \(what)") }
        guard labels.allSatisfy(\.isFinite) else { throw fail("labels must be finite") }
        if let queries = queryProgramCounts {
            guard queries.allSatisfy({ $0 > 0 }), queries.reduce(0, +) == groupCount else {
                throw fail("query program counts must be positive and sum to the \(groupCount) programs")
            }
        }
        if let w = weights {
            guard w.count == expected else { throw fail("\(w.count) weights for \(expected) \(what)") }
            guard w.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw fail("weights must be finite and >= 0") }
        }
    }

    /// The first program of each query, then the program count.
    var queryOffsets: [Int] {
        var offsets = [0]
        for c in queryProgramCounts ?? [groupSizes?.count ?? 0] { offsets.append(offsets[offsets.count - 1] + c) }
        return offsets
    }

    /// Start offset of each group, plus `rowCount` at the end.
    var groupOffsets: [Int] {
        var offsets = [0]
        for s in groupSizes ?? [rowCount] { offsets.append(offsets[offsets.count - 1] + s) }
        return offsets
    }
}
