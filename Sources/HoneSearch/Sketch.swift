import HoneIR
import HoneSchedule

/// A schedule's structure with holes: which stages are cached, rfactored,
/// packed, tiled and how many tile levels they get, and which loops the
/// annotations go on. A `Candidate` fills the holes (the decisions); replay
/// turns the pair into the `Step` list that lowering and the records use
/// (MetaSchedule's trace + decisions).
///
/// Steps come out in an order every step kind accepts: kernel-level steps
/// (pack, cache_write, rfactor, compute_inline), then the loop structure of
/// each stage (split, reorder), then compute locations, then annotations
/// (fuse + parallel, vectorize, unroll). A `compute_at` names a loop before
/// the consumer's outer loops are fused; the fuse carries it along.
///
/// Every loop name in a plan was read back from the loops the sketch's own
/// steps created when it was built (`SketchBuilder`): replay only fills in
/// the factors, so it is quick and never spells a name.
public struct Sketch: Hashable, Sendable {
    /// Stable and readable: records name the sketch a candidate came from.
    public var name: String
    public var decisions: [DecisionKind]
    var kernelSteps: [KernelStep] = []
    /// Tiled stages first, then the others.
    var plans: [StagePlan] = []
    var placements: [PlacementPlan] = []
    /// The stages that read each intermediate stage, after the kernel-level
    /// steps: a stage computed at a loop of a stage that is not its only
    /// reader needs its readers computed inside that loop.
    var readers: [String: [String]] = [:]
    /// Every intermediate stage is computed at a loop of the stage its
    /// readers share (never inlined or at root): a pipeline computed per
    /// tile of its output, which free placements rarely reach when stages
    /// have several readers (all must land at the same stage's loops).
    var fusesPipeline = false

    /// The steps for these decisions.
    public func schedule(_ decisions: [[Int]]) -> Schedule {
        var replay = SketchReplay(sketch: self, decisions: decisions)
        return Schedule(replay.makeSteps())
    }
}

enum KernelStep: Hashable, Sendable {
    case cacheWrite(String)
    case rfactor(stage: String, loop: String, factor: ChoiceSlot)
    case pack(PackPlan)
}

/// A `pack` step and the annotations of the stage it adds.
struct PackPlan: Hashable, Sendable {
    var tensor: String
    var dimension: Int
    /// The register tile of the vectorized dimension.
    var block: TileFactor
    /// The packed stage: parallel over blocks, vector lanes when they fit.
    var stage: String
}

/// The loop structure and annotations of one stage, or of a tiled stage
/// with the stage computed in its tiles (a `cache_write` register tile or a
/// fused producer).
///
/// Multi-level tiling (Ansor's "SSRSRS"): with a stage inside, the outer
/// stage's spatial loops are split in three levels `d.0 d.1 d.2` and the
/// inner one is computed at the last `d.1` (or `d.0`) loop, where it covers
/// a register tile; inside, it runs `r.0… d.0… r.1… d.1…` with the
/// vectorized dimension's `d.1` innermost. A stage tiled alone runs
/// `d.0… d.1… r.0… d.2… r.1… d.3…`. Other stages are split once: `d.0…`,
/// reductions, `d.1…` with the vectorized dimension innermost.
struct StagePlan: Hashable, Sendable {
    /// The stage whose placement decides: an inlined stage has no loops,
    /// and only a stage computed at root runs its outer loops in parallel.
    var stage: String
    var structure: [LoopStep] = []
    var tileContents: TileContents?
    var parallel: ParallelPlan?
    var vectorized: [StageLoop] = []
    var unroll: UnrollPlan?
    /// By stage of the plan: the loops a producer may be computed at
    /// (outside the vectorized loop).
    var attachLoops: [String: [String]] = [:]
}

/// A structural step whose factors are read from the decisions.
enum LoopStep: Hashable, Sendable {
    case storageOrder(stage: String, order: [String])
    case split(stage: String, loop: String, factors: [TileFactor])
    case reorder(stage: String, order: [String])
}

/// The stage computed inside a tiled stage's tiles, at one of `loops`
/// (chosen by `slot`; the last one without a decision).
struct TileContents: Hashable, Sendable {
    var stage: String
    var consumer: String
    var loops: [String]
    var slot: ChoiceSlot?
}

struct StageLoop: Hashable, Sendable {
    var stage: String
    var loop: String
}

/// How many of `outerLoops` are fused into the parallel loop.
struct ParallelPlan: Hashable, Sendable {
    var stage: String
    var outerLoops: [String]
    var depth: ChoiceSlot
}

struct UnrollPlan: Hashable, Sendable {
    var stage: String
    var maxStep: ChoiceSlot
}

struct PlacementPlan: Hashable, Sendable {
    var stage: String
    var slot: ChoiceSlot
}
