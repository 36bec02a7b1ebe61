import HoneCostModel
import HoneIR

/// The model's uncertainty, for exploring where it is unsure instead of
/// at random: a few cheap tree models, each trained on a bootstrap
/// resample of the measured programs; where they disagree on a candidate's
/// rank, the data says little about it. The spread is in standard
/// deviations of the scores over the candidates asked about, so it adds to
/// a normalized score whatever scale each member's scores have.
final class ExplorationEnsemble {
    let members: Int
    let parameters: GradientBoostingParameters
    private var trees: [GradientBoostedTrees] = []
    /// Programs the members were trained on: retrain only when it grew.
    private var trainedOn = 0
    private var rng: SplitMix64

    init(members: Int = 4, seed: UInt64) {
        self.members = members
        // A third of the main model's rounds, half its leaves: cheap enough to retrain every batch.
        parameters = GradientBoostingParameters(objective: .packSumRank, rounds: 30, maxLeaves: 15, threads: ParallelRunner.coreCount,
                                                seed: seed, rowShareColumn: FeatureSchema.partitionShareColumn)
        rng = SplitMix64(seed: seed ^ 0xB007_57A9)
    }

    /// Trains the members when there is new data and at least `minimumPrograms` programs; until then there is no spread.
    func update(_ data: TrainingSet, minimumPrograms: Int = 16) {
        guard data.programs.count >= minimumPrograms, data.programs.count != trainedOn else { return }
        trainedOn = data.programs.count
        trees = (0..<members).compactMap { member in
            var rows: [[Float]] = [], labels: [Float] = [], sizes: [Int] = []
            for _ in data.programs.indices {
                let i = rng.next(below: data.programs.count)
                rows += data.programs[i]
                labels.append(data.labels[i])
                sizes.append(data.programs[i].count)
            }
            var p = parameters
            p.seed = parameters.seed &+ UInt64(member)
            return try? GradientBoostedTrees.train(on: TrainingData(rows: rows, labels: labels, groupSizes: sizes), parameters: p,
                                                   schemaVersion: FeatureSchema.version)
        }
    }

    /// Per program, the members' disagreement: the standard deviation of
    /// their normalized scores (0 for every program while untrained).
    func spread(_ programs: [ProgramFeatures]) -> [Float] {
        guard trees.count >= 2, programs.count >= 2 else { return Array(repeating: 0, count: programs.count) }
        let scores = trees.map { standardized($0.predict(programs)) }
        return programs.indices.map { i in
            let values = scores.map { $0[i] }
            let mean = values.reduce(0, +) / Float(values.count)
            return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count - 1)).squareRoot()
        }
    }
}

/// Scores in standard deviations from their mean (all 0 when they do not vary, or one is not finite).
func standardized(_ scores: [Float]) -> [Float] {
    guard scores.count >= 2, scores.allSatisfy(\.isFinite) else { return Array(repeating: 0, count: scores.count) }
    let mean = scores.reduce(0, +) / Float(scores.count)
    let sd = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(scores.count)).squareRoot()
    return sd > 0 ? scores.map { ($0 - mean) / sd } : Array(repeating: 0, count: scores.count)
}
