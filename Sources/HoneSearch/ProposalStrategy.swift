import HoneCostModel
import HoneIR
import HoneMeasure
import HoneSchedule

/// How a search strategy proposes what to measure next (MetaSchedule's
/// `GenerateMeasureCandidates`): it sees the history, the space, the model
/// and the feature cache, and returns a batch. The tuner measures, records
/// and retrains; it never asks which strategy runs.
///
/// A proposal must be well formed, have features (it lowers within the code
/// size budget) and be new: not measured and not twice in the batch.
/// `ProposalBatch` keeps those rules for every strategy.
protocol ProposalStrategy: AnyObject {
    /// Whether the model's scores steer the proposals: the tuner trains the
    /// model, and records its score of each proposal, only then.
    var usesModel: Bool { get }
    /// Up to `count` new candidates (fewer only when the space seems exhausted).
    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate]
}

/// What a strategy sees when it proposes a batch.
struct ProposalContext {
    let space: SearchSpace
    /// Every measured schedule, oldest first (earlier records included).
    let history: [MeasuredCandidate]
    let measured: Set<Schedule>
    let model: CostModel
    let features: FeatureCache
    let options: TuningOptions
    /// Notes for the tuning log.
    let log: (String) -> Void
}

extension SearchStrategy {
    /// The strategy's proposer: the one place a strategy name becomes code.
    func makeProposer() -> ProposalStrategy {
        switch self {
        case .evolutionary: ModelGuidedProposals()
        case .random: RandomProposals()
        case .beam: BeamProposals()
        case .mcts: TreeSearchProposals()
        }
    }

    /// Whether runs with this strategy train a model (and load the pretrained one).
    var usesModel: Bool { makeProposer().usesModel }
}

/// A batch being filled: keeps the new, valid, distinct candidates in the
/// order they are offered, while there is room.
struct ProposalBatch {
    let context: ProposalContext
    let capacity: Int
    private(set) var chosen: [Candidate] = []
    private(set) var schedules: [Schedule] = []
    private var taken = Set<Schedule>()

    init(context: ProposalContext, capacity: Int) {
        self.context = context
        self.capacity = capacity
    }

    var isFull: Bool { chosen.count >= capacity }

    func isNew(_ schedule: Schedule) -> Bool { !context.measured.contains(schedule) && !taken.contains(schedule) }

    /// Offers candidates in order (features come in one pass); `limit` caps the batch for this call.
    mutating func offer(_ candidates: [Candidate], upTo limit: Int? = nil) {
        let limit = min(limit ?? capacity, capacity)
        let schedules = candidates.map(context.space.schedule)
        let rows = context.features.features(schedules)
        for (c, (s, r)) in zip(candidates, zip(schedules, rows)) where chosen.count < limit {
            guard r != nil, !context.measured.contains(s), taken.insert(s).inserted else { continue }
            chosen.append(c)
            self.schedules.append(s)
        }
    }

    /// Fills the rest with random samples, as many tries as it takes within a bound.
    mutating func fillAtRandom(_ rng: inout SplitMix64) {
        var attempts = 0
        while !isFull && attempts < 200 * capacity {
            let draw = (0..<2 * (capacity - chosen.count)).map { _ in context.space.sample(&rng) }
            attempts += draw.count
            offer(draw)
        }
        if !isFull {
            context.log("sampling found only \(chosen.count) of \(capacity) new valid candidates in \(attempts) tries")
        }
    }
}

/// Sketches with random annotation and no model: the baseline every
/// model-guided strategy must beat.
final class RandomProposals: ProposalStrategy {
    var usesModel: Bool { false }

    func propose(count: Int, context: ProposalContext, rng: inout SplitMix64) -> [Candidate] {
        var batch = ProposalBatch(context: context, capacity: count)
        batch.fillAtRandom(&rng)
        return batch.chosen
    }
}
