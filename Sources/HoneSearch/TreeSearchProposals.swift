import Foundation
import HoneIR
import HoneSchedule

/// Monte Carlo tree search over the decisions in `DecisionOrder`
/// (ProTuner's use of MCTS for Halide): each rollout selects a path by UCT
/// (`SearchTree`), completes its leaf at random and scores the complete
/// candidate with the model; measured times are backed up along the
/// decisions of every measured candidate and outweigh the model on the
/// nodes they reach. The tree lives as long as the proposer (one run):
/// each batch fades the rollouts of the earlier model, and re-reads the
/// measurements from the history, which on resume holds the earlier
/// records (their paths are added to the tree).
///
/// The batch is the best-scored unmeasured candidates among the batch's
/// rollouts, half of it taken far apart (`diverseFirst`); a share
/// `epsilon` is drawn at random.
final class TreeSearchProposals: ProposalStrategy {
    var usesModel: Bool { true }
    /// Rollouts per batch, as a multiple of `TuningOptions.population` (the
    /// evolutionary search scores population x (generations + 1)).
    var rolloutsPerPopulation = 2
    /// Rollouts selected before they are scored together (one feature pass).
    var wave = 32
    /// What an earlier batch's rollouts weigh in this batch's tree.
    var rolloutFade = 0.5
    private(set) var tree: SearchTree?

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        let (tree, scale) = prepare(context, &rng)
        let searched = count - Int((Double(count) * context.options.epsilon).rounded())
        // Best score per unmeasured schedule; `order` breaks ties the same way on every run.
        var found: [Schedule: (candidate: Candidate, score: Float, order: Int)] = [:]
        let rollouts = max(wave, rolloutsPerPopulation * context.options.population)
        for _ in 0..<((rollouts + wave - 1) / wave) {
            let paths = (0..<wave).map { _ in tree.select(&rng) }
            let candidates = paths.map { context.space.complete($0.last!.partial!, &rng) }
            let schedules = candidates.map(context.space.schedule)
            let scores = context.scores(schedules)
            for (i, path) in paths.enumerated() {
                tree.backup(path, rollout: scores[i].map(scale.modelValue) ?? scale.failedValue)
                if let score = scores[i], !context.measured.contains(schedules[i]), found[schedules[i]] == nil {
                    found[schedules[i]] = (candidates[i], score, found.count)
                }
            }
        }
        let ranked = found.values.sorted { ($0.score, -$0.order) > ($1.score, -$1.order) }.map(\.candidate)
        batch.offer(context.space.diverseFirst(ranked, count: searched / 2), upTo: searched)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }

    /// The tree with this batch's measurements and the value scale; the
    /// tree is made on the first call.
    private func prepare(_ context: ProposalContext, _ rng: inout SplitMix64) -> (SearchTree, TreeValueScale) {
        let tree = self.tree ?? SearchTree(space: context.space)
        if self.tree != nil { tree.fadeRollouts(rolloutFade) }
        self.tree = tree
        let scale = TreeValueScale(context, &rng)
        tree.forgetMeasurements()
        for entry in context.history {
            guard let candidate = entry.candidate else { continue }
            tree.addMeasurement(candidate, value: scale.measuredValue(entry.seconds))
        }
        return (tree, scale)
    }

    /// The partial candidate the next rollout would start from (the tree
    /// and its measurements brought up to date with `context`).
    func nextSelection(_ context: ProposalContext, _ rng: inout SplitMix64) -> PartialCandidate? {
        let (tree, _) = prepare(context, &rng)
        let path = tree.select(&rng)
        tree.abandon(path)
        return path.last?.partial
    }
}

/// Model scores and measured times on one scale: standard deviations from
/// the mean over the measured candidates (the model's scores of them, and
/// their log throughputs), so a candidate the model ranks as it ranks the
/// measured best is worth about what the best's measurement is worth.
/// Before 8 measured candidates have features, the model's scale comes from
/// 64 random candidates.
struct TreeValueScale {
    private var scoreMean = 0.0, scoreSpread = 1.0
    private var speedMean = 0.0, speedSpread = 1.0
    /// The value of an error, of a candidate too slow to finish, and of a rollout without features.
    private(set) var failedValue = -3.0

    init(_ context: ProposalContext, _ rng: inout SplitMix64) {
        var reference = context.scores(context.history.map(\.schedule)).compactMap { $0 }
        if reference.count < 8 {
            reference += context.scores((0..<64).map { _ in context.space.schedule(for: context.space.sample(&rng)) }).compactMap { $0 }
        }
        (scoreMean, scoreSpread) = Self.meanAndSpread(reference.map(Double.init))
        let speeds = context.history.compactMap(\.seconds).map { -log(max($0, 1e-12)) }
        (speedMean, speedSpread) = Self.meanAndSpread(speeds)
        if let slowest = speeds.min() { failedValue = min(-3, (slowest - speedMean) / speedSpread - 1) }
    }

    func modelValue(_ score: Float) -> Double { (Double(score) - scoreMean) / scoreSpread }

    func measuredValue(_ seconds: Double?) -> Double {
        guard let seconds else { return failedValue }
        return (-log(max(seconds, 1e-12)) - speedMean) / speedSpread
    }

    private static func meanAndSpread(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 1) }
        let mean = values.reduce(0, +) / Double(values.count)
        let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        return (mean, spread > 1e-9 ? spread : 1)
    }
}
