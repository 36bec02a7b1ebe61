import HoneIR

/// A gradient-boosted-tree model: `score(row) = baseScore + sum of trees`.
///
/// Train it with `train(on:validation:parameters:schemaVersion:)`, score rows
/// with `predict`, and keep it with `save(to:)` / `load(from:expectedSchemaVersion:)`.
/// A program's score is the sum over its feature rows (`predict(_:)`).
///
///     let data = TrainingData(rows: rows, labels: normalizedThroughput)
///     var p = GradientBoostingParameters(rounds: 100, maxLeaves: 31, threads: 2)
///     let model = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: FeatureSchema.version)
///     let scores = model.predict(candidates)   // [ProgramFeatures]: programs of rows
///
/// On the synthetic cost-model benchmark (Benchmarks/costmodel), 31 leaves
/// grown best-first rank unseen kernels' schedules as well as LightGBM and
/// better than depth 6 (XGBoost's default shape), at the same speed.
public struct GradientBoostedTrees: Sendable {
    /// The feature schema the rows were extracted with (chosen by the caller);
    /// a model is never used with rows of another schema.
    public let schemaVersion: Int
    public let featureCount: Int
    public let objective: GradientBoostingObjective
    public let baseScore: Float
    public let trees: [RegressionTree]
    /// The parameters it was trained with (nil for a model built by hand).
    public let parameters: GradientBoostingParameters?
    /// The validation metric after each round (empty without validation).
    public let validationHistory: [Double]
    /// With early stopping: the round (0-based) whose trees were kept.
    public let bestRound: Int?

    private let forest: PackedForest

    /// A model from trees built elsewhere (a hand-written tree, a file).
    public init(trees: [RegressionTree], baseScore: Float = 0, featureCount: Int, schemaVersion: Int,
                objective: GradientBoostingObjective = .squaredError) throws {
        for (i, tree) in trees.enumerated() { try tree.validate(featureCount: featureCount, name: "tree \(i)") }
        self.init(validated: trees, baseScore: baseScore, featureCount: featureCount, schemaVersion: schemaVersion,
                  objective: objective, parameters: nil, validationHistory: [], bestRound: nil)
    }

    init(validated trees: [RegressionTree], baseScore: Float, featureCount: Int, schemaVersion: Int,
         objective: GradientBoostingObjective, parameters: GradientBoostingParameters?,
         validationHistory: [Double], bestRound: Int?) {
        self.trees = trees
        self.baseScore = baseScore
        self.featureCount = featureCount
        self.schemaVersion = schemaVersion
        self.objective = objective
        self.parameters = parameters
        self.validationHistory = validationHistory
        self.bestRound = bestRound
        forest = PackedForest(trees: trees)
    }

    // MARK: Prediction

    /// The score of one row.
    public func predict(_ row: [Float]) -> Float {
        precondition(row.count == featureCount, "GradientBoostedTrees: row of \(row.count) features, model expects \(featureCount)")
        var out: Float = 0
        row.withUnsafeBufferPointer { forest.predict(rows: $0.baseAddress!, count: 1, stride: featureCount, base: baseScore, into: &out) }
        return out
    }

    /// Scores of rows stored row-major in one flat array.
    public func predict(rowMajor features: [Float]) -> [Float] {
        precondition(features.count % featureCount == 0, "GradientBoostedTrees: \(features.count) values is not a whole number of rows")
        let n = features.count / featureCount
        return features.withUnsafeBufferPointer { rows in
            [Float](unsafeUninitializedCapacity: n) { out, count in
                if n > 0 { forest.predict(rows: rows.baseAddress!, count: n, stride: featureCount, base: baseScore, into: out.baseAddress!) }
                count = n
            }
        }
    }

    /// Scores of rows given as arrays.
    public func predict(rows: [[Float]]) -> [Float] {
        predict(rowMajor: rows.flatMap { row in
            precondition(row.count == featureCount, "GradientBoostedTrees: row of \(row.count) features, model expects \(featureCount)")
            return row
        })
    }

    /// A program's score is the sum of its rows' scores, each weighted by
    /// the row's `rowShareColumn` when the model was trained with one.
    public func predict(_ programs: [ProgramFeatures]) -> [Float] {
        let scores = predict(rows: programs.flatMap { $0 })
        let shareColumn = objective.labelsPerGroup ? parameters?.rowShareColumn : nil
        var result: [Float] = []
        result.reserveCapacity(programs.count)
        var next = 0
        for program in programs {
            var sum: Float = 0
            for (k, i) in (next..<next + program.count).enumerated() {
                sum += (shareColumn.map { program[k][$0] } ?? 1) * scores[i]
            }
            next += program.count
            result.append(sum)
        }
        return result
    }
}

extension GradientBoostedTrees {
    /// Trains a model. Throws a `HoneError` naming the problem when the data
    /// or parameters are malformed. `schemaVersion` is the version of the
    /// feature extraction that produced the rows; it is written into the model.
    public static func train(on data: TrainingData, validation: TrainingData? = nil,
                             parameters p: GradientBoostingParameters = .init(), schemaVersion: Int) throws -> GradientBoostedTrees {
        try p.validate()
        try data.validate(for: p.objective, role: "training")
        if let v = validation {
            try v.validate(for: p.objective, role: "validation")
            guard v.featureCount == data.featureCount else {
                throw HoneError("gradient boosting: validation rows have \(v.featureCount) features, training rows \(data.featureCount)")
            }
        } else if p.earlyStoppingRounds != nil {
            throw HoneError("gradient boosting: earlyStoppingRounds needs a validation set")
        }

        let n = data.rowCount, d = data.featureCount
        let runner = ParallelRunner(threads: p.threads)
        let matrix = data.features.withUnsafeBufferPointer {
            BinnedMatrix(features: $0, rowCount: n, featureCount: d, maxBins: p.bins,
                         blockCount: p.threads, runner: runner)
        }
        let builder = TreeBuilder(matrix: matrix, parameters: p, runner: runner)
        if let c = p.rowShareColumn, c >= d {
            throw HoneError("gradient boosting: rowShareColumn \(c) is past the \(d) features")
        }
        let loss = ObjectiveFunction(data, objective: p.objective, rowShareColumn: p.rowShareColumn)
        let validationLoss = validation.map { ObjectiveFunction($0, objective: p.objective, rowShareColumn: p.rowShareColumn) }
        let base = loss.baseScore()

        var predictions = [Float](repeating: base, count: n)
        var validationPredictions = [Float](repeating: base, count: validation?.rowCount ?? 0)
        var gradients = [SIMD2<Float>](repeating: .zero, count: n)
        var rng = SplitMix64(seed: p.seed)
        var allowed = [Bool](repeating: true, count: d)
        var featureOrder = Array(0..<d)
        let featuresPerTree = max(1, Int((p.columnSubsample * Double(d)).rounded()))

        var trees: [RegressionTree] = []
        var history: [Double] = []
        var best: (round: Int, metric: Double)? = nil

        for round in 0..<p.rounds {
            predictions.withUnsafeBufferPointer { pred in
                gradients.withUnsafeMutableBufferPointer { loss.gradients(pred, into: $0, round: round, seed: p.seed, runner: runner) }
            }
            // Row subsampling: Bernoulli per row; the root holds the sampled rows in order.
            var sampled = 0
            if p.rowSubsample < 1 {
                for r in 0..<n where rng.nextDouble() < p.rowSubsample { builder.rowIndex[sampled] = Int32(r); sampled += 1 }
            } else {
                for r in 0..<n { builder.rowIndex[r] = Int32(r) }
                sampled = n
            }
            // Column subsampling: a seeded partial shuffle picks the features of this tree.
            if featuresPerTree < d {
                for i in 0..<featuresPerTree {
                    let j = i + Int(rng.next() % UInt64(d - i))
                    featureOrder.swapAt(i, j)
                }
                for f in 0..<d { allowed[f] = false }
                for i in 0..<featuresPerTree { allowed[featureOrder[i]] = true }
            }
            // The share weighs a row's prediction; splitting on it would let a copy score apart from its store.
            if let c = p.rowShareColumn { allowed[c] = false }
            let grown = gradients.withUnsafeBufferPointer {
                builder.grow(gradients: $0.baseAddress!, sampledCount: sampled, allowedFeatures: allowed)
            }
            let tree = grown.tree
            trees.append(tree)

            // Training scores: leaves know their rows unless rows were sampled.
            if sampled == n {
                for leaf in grown.leaves {
                    let v = tree.value[leaf.node]
                    for k in leaf.begin..<leaf.end { predictions[Int(builder.rowIndex[k])] += v }
                }
            } else {
                for r in 0..<n {
                    var node = 0
                    while tree.feature[node] >= 0 {
                        let right = matrix.bin(row: r, feature: Int(tree.feature[node])) > Int(grown.binThreshold[node])
                        node = Int(right ? tree.right[node] : tree.left[node])
                    }
                    predictions[r] += tree.value[node]
                }
            }

            guard let validation, let validationLoss else { continue }
            validation.features.withUnsafeBufferPointer { rows in
                for r in 0..<validation.rowCount {
                    validationPredictions[r] += tree.leafValue(row: rows.baseAddress! + r * d)
                }
            }
            let metric = validationLoss.metric(validationPredictions)
            history.append(metric)
            if best == nil || metric < best!.metric { best = (round, metric) }
            if let patience = p.earlyStoppingRounds, round - best!.round >= patience { break }
        }
        var bestRound: Int? = nil
        if p.earlyStoppingRounds != nil, let best {
            bestRound = best.round
            trees.removeSubrange((best.round + 1)...)
        }
        return GradientBoostedTrees(validated: trees, baseScore: base, featureCount: d, schemaVersion: schemaVersion,
                                    objective: p.objective, parameters: p, validationHistory: history, bestRound: bestRound)
    }
}

extension RegressionTree {
    /// The leaf value a row (of contiguous floats) reaches.
    @inline(__always)
    func leafValue(row: UnsafePointer<Float>) -> Float {
        var node = 0
        while feature[node] >= 0 {
            node = Int(row[Int(feature[node])] > threshold[node] ? right[node] : left[node])
        }
        return value[node]
    }
}
