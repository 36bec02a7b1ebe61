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
public struct Sketch: Hashable, Sendable {
    /// Stable and readable: records name the sketch a candidate came from.
    public var name: String
    public var decisions: [DecisionKind]
    var kernelSteps: [KernelStep] = []
    var tiled: [TiledPlan] = []
    var simple: [SimplePlan] = []
    var placements: [PlacementPlan] = []
    /// `.packed` stages: parallel over blocks, vector lanes when they fit.
    var packedStages: [String] = []

    /// The steps for these decisions.
    public func schedule(_ decisions: [[Int]]) -> Schedule {
        var replay = Replay(sketch: self, decisions: decisions)
        return Schedule(replay.makeSteps())
    }
}

enum KernelStep: Hashable, Sendable {
    case cacheWrite(String)
    case rfactor(stage: String, loop: String, slot: Int)
    /// The block is the register tile of the vectorized dimension: the
    /// product of the two innermost factors of tile decision `slot`.
    case pack(tensor: String, dimension: Int, tileSlot: Int)
}

/// Multi-level tiling of a stage with data reuse (Ansor's "SSRSRS").
///
/// With `inner` set (a cache stage or a fused producer), `outer`'s spatial
/// loops are split in three levels `d.0 d.1 d.2` and `inner` is computed at
/// the last `d.1` (or `d.0`) loop, where it covers a register tile; inside,
/// `inner` runs `r.0… d.0… r.1… d.1…` with the vectorized dimension's `d.1`
/// innermost. Without `inner`, the stage itself runs
/// `d.0… d.1… r.0… d.2… r.1… d.3…`.
struct TiledPlan: Hashable, Sendable {
    var outer: String
    var inner: String?
    /// Spatial loops per dimension, of `outer` and of `inner` (positionally matched).
    var outerLoops: [String]
    var innerLoops: [String]
    /// Reduction loops of the stage that reduces (`inner`, or `outer` alone).
    var reductions: [String]
    var vectorDimension: Int
    /// Per dimension: three factors (levels 1, 2, 3).
    var tileSlots: [Int]
    /// Per reduction: one factor (the inner level).
    var reductionSlots: [Int]
    /// `inner` at the last level-0 loop (0) or level-1 loop (1); nil: level 1.
    var locationSlot: Int?
    var unrollSlot: Int
    var parallelSlot: Int
}

/// One level of tiling for stages without reuse: spatial loops split once,
/// `d.0…`, reductions, `d.1…` with the vectorized dimension innermost.
struct SimplePlan: Hashable, Sendable {
    var stage: String
    var spatial: [String]
    var reductions: [String]
    var vectorDimension: Int?
    var tileSlots: [Int]
    var parallelSlot: Int?
    var unrollSlot: Int?
}

struct PlacementPlan: Hashable, Sendable {
    var stage: String
    var slot: Int
}

/// Loop names as the plans make them.
enum LoopNames {
    static func level(_ loop: String, _ level: Int) -> String { "\(loop).\(level)" }
}

/// Builds the steps of one candidate.
private struct Replay {
    let sketch: Sketch
    let decisions: [[Int]]
    var steps: [Step] = []

    init(sketch: Sketch, decisions: [[Int]]) {
        self.sketch = sketch
        self.decisions = decisions
    }

    func placement(of stage: String) -> Placement {
        guard let plan = sketch.placements.first(where: { $0.stage == stage }),
              case .location(_, let options) = sketch.decisions[plan.slot] else { return .root }
        let chosen = options[decisions[plan.slot][0]]
        // A consumer that is itself inlined has no loops to compute in.
        if case .at(let consumer, _) = chosen, placementIsInline(consumer) { return .root }
        return chosen
    }

    func placementIsInline(_ stage: String) -> Bool {
        guard let plan = sketch.placements.first(where: { $0.stage == stage }),
              case .location(_, let options) = sketch.decisions[plan.slot] else { return false }
        return options[decisions[plan.slot][0]] == .inline
    }

    mutating func makeSteps() -> [Step] {
        let inlined = Set(sketch.placements.map(\.stage).filter(placementIsInline))
        for step in sketch.kernelSteps {
            switch step {
            case .cacheWrite(let stage): steps.append(.cacheWrite(stage: stage))
            case .rfactor(let stage, let loop, let slot): steps.append(.rfactor(stage: stage, loop: loop, factor: decisions[slot][0]))
            case .pack(let tensor, let dimension, let slot):
                let t = decisions[slot]
                steps.append(.pack(tensor: tensor, dimension: dimension, block: t[1] * t[2]))
            }
        }
        for stage in sketch.placements.map(\.stage) where inlined.contains(stage) { steps.append(.computeInline(stage: stage)) }

        for plan in sketch.tiled { tiledStructure(plan) }
        for plan in sketch.simple where !inlined.contains(plan.stage) { simpleStructure(plan) }

        for plan in sketch.tiled {
            guard let inner = plan.inner else { continue }
            let level = plan.locationSlot.map { decisions[$0][0] } ?? 1
            steps.append(.computeAt(stage: inner, consumer: plan.outer, loop: LoopNames.level(plan.outerLoops.last!, level)))
        }
        // Consumers before producers, so a producer can sit inside a consumer that is itself computed inside another stage.
        for plan in sketch.placements.reversed() {
            if case .at(let consumer, let loop) = placement(of: plan.stage) {
                steps.append(.computeAt(stage: plan.stage, consumer: consumer, loop: loop))
            }
        }

        for plan in sketch.tiled { tiledAnnotations(plan) }
        for plan in sketch.simple where !inlined.contains(plan.stage) { simpleAnnotations(plan) }
        for stage in sketch.packedStages { packedAnnotations(stage) }
        return steps
    }

    // MARK: Tiled stages

    private mutating func tiledStructure(_ plan: TiledPlan) {
        let v = plan.vectorDimension
        let tiles = plan.tileSlots.map { decisions[$0] }
        if let inner = plan.inner {
            // The register tile keeps its vector lanes contiguous whatever dimension they run along.
            if v != plan.innerLoops.count - 1 {
                steps.append(.storageOrder(stage: inner, order: plan.innerLoops.indices.filter { $0 != v }.map { plan.innerLoops[$0] } + [plan.innerLoops[v]]))
            }
            for (d, loop) in plan.outerLoops.enumerated() {
                steps.append(.split(stage: plan.outer, loop: loop, factors: [tiles[d][0], tiles[d][1] * tiles[d][2]]))
            }
            // The copy out of the tile is vectorized along the output's innermost dimension (a transpose when the tile's lanes run along another).
            let c = plan.outerLoops.count - 1, copied = plan.outerLoops[c]
            steps.append(.split(stage: plan.outer, loop: LoopNames.level(copied, 2), factors: [tiles[c][2]]))
            let others = plan.outerLoops.indices.filter { $0 != c }
            steps.append(.reorder(stage: plan.outer, order:
                plan.outerLoops.map { LoopNames.level($0, 0) } + plan.outerLoops.map { LoopNames.level($0, 1) }
                + others.map { LoopNames.level(plan.outerLoops[$0], 2) } + ["\(copied).2.0", "\(copied).2.1"]))

            for (d, loop) in plan.innerLoops.enumerated() { steps.append(.split(stage: inner, loop: loop, factors: [tiles[d][2]])) }
            for (r, loop) in plan.reductions.enumerated() { steps.append(.split(stage: inner, loop: loop, factors: [decisions[plan.reductionSlots[r]][0]])) }
            let innerOthers = plan.innerLoops.indices.filter { $0 != v }
            steps.append(.reorder(stage: inner, order:
                plan.reductions.map { LoopNames.level($0, 0) } + plan.innerLoops.map { LoopNames.level($0, 0) }
                + plan.reductions.map { LoopNames.level($0, 1) } + innerOthers.map { LoopNames.level(plan.innerLoops[$0], 1) }
                + [LoopNames.level(plan.innerLoops[v], 1)]))
        } else {
            for (d, loop) in plan.outerLoops.enumerated() { steps.append(.split(stage: plan.outer, loop: loop, factors: tiles[d])) }
            for (r, loop) in plan.reductions.enumerated() { steps.append(.split(stage: plan.outer, loop: loop, factors: [decisions[plan.reductionSlots[r]][0]])) }
            let others = plan.outerLoops.indices.filter { $0 != v }
            steps.append(.reorder(stage: plan.outer, order:
                plan.outerLoops.map { LoopNames.level($0, 0) } + plan.outerLoops.map { LoopNames.level($0, 1) }
                + plan.reductions.map { LoopNames.level($0, 0) } + plan.outerLoops.map { LoopNames.level($0, 2) }
                + plan.reductions.map { LoopNames.level($0, 1) } + others.map { LoopNames.level(plan.outerLoops[$0], 3) }
                + [LoopNames.level(plan.outerLoops[v], 3)]))
        }
    }

    private mutating func tiledAnnotations(_ plan: TiledPlan) {
        parallel(plan.outer, outerLoops: plan.outerLoops.map { LoopNames.level($0, 0) }, slot: plan.parallelSlot)
        let vector = plan.outerLoops[plan.vectorDimension]
        if let inner = plan.inner {
            steps.append(.vectorize(stage: plan.outer, loop: "\(plan.outerLoops.last!).2.1"))
            steps.append(.vectorize(stage: inner, loop: LoopNames.level(plan.innerLoops[plan.vectorDimension], 1)))
            unroll(inner, slot: plan.unrollSlot)
        } else {
            steps.append(.vectorize(stage: plan.outer, loop: LoopNames.level(vector, 3)))
            unroll(plan.outer, slot: plan.unrollSlot)
        }
    }

    // MARK: Other stages

    private mutating func simpleStructure(_ plan: SimplePlan) {
        guard !plan.spatial.isEmpty else { return }
        for (d, loop) in plan.spatial.enumerated() { steps.append(.split(stage: plan.stage, loop: loop, factors: decisions[plan.tileSlots[d]])) }
        let others = plan.spatial.indices.filter { $0 != plan.vectorDimension }
        var order = plan.spatial.map { LoopNames.level($0, 0) } + others.map { LoopNames.level(plan.spatial[$0], 1) } + plan.reductions
        if let v = plan.vectorDimension { order.append(LoopNames.level(plan.spatial[v], 1)) }
        steps.append(.reorder(stage: plan.stage, order: order))
    }

    private mutating func simpleAnnotations(_ plan: SimplePlan) {
        if let slot = plan.parallelSlot, placement(of: plan.stage) == .root, !plan.spatial.isEmpty {
            parallel(plan.stage, outerLoops: plan.spatial.map { LoopNames.level($0, 0) }, slot: slot)
        }
        if let v = plan.vectorDimension { steps.append(.vectorize(stage: plan.stage, loop: LoopNames.level(plan.spatial[v], 1))) }
        if let slot = plan.unrollSlot { unroll(plan.stage, slot: slot) }
    }

    private mutating func packedAnnotations(_ stage: String) {
        steps.append(.parallel(stage: stage, loop: "block"))
        if let block = packBlock(of: stage), block <= 64, block > 1 { steps.append(.vectorize(stage: stage, loop: "lane")) }
    }

    private func packBlock(of packed: String) -> Int? {
        for case .pack(let tensor, _, let slot) in sketch.kernelSteps where tensor + ".packed" == packed {
            return decisions[slot][1] * decisions[slot][2]
        }
        return nil
    }

    private mutating func parallel(_ stage: String, outerLoops: [String], slot: Int) {
        let depth = decisions[slot][0]
        guard depth > 0 else { return }
        let fused = Array(outerLoops.prefix(depth))
        if fused.count > 1 { steps.append(.fuse(stage: stage, loops: fused)) }
        steps.append(.parallel(stage: stage, loop: fused.joined(separator: "@")))
    }

    private mutating func unroll(_ stage: String, slot: Int) {
        let maxStep = DecisionKind.unrollSteps[decisions[slot][0]]
        if maxStep > 0 { steps.append(.unrollMaxStep(stage: stage, maxStep: maxStep)) }
    }
}
