import HoneIR

/// One scheduling decision, applied to the state left by the steps before it.
///
/// Loop names: a stage starts with one loop per dimension of its tensor,
/// named by the stage's index variables (`i`, `j`), then one per reduction
/// axis (`k`). `split` of `i` into n factors yields `i.0` (outermost) ...
/// `i.n`; `fuse` of `i.0` and `j.0` yields `i.0@j.0`. Names never change
/// after they are made, so later steps refer to loops unambiguously.
///
/// Tile factors, unroll steps and compute locations are plain values in the
/// steps: a search mutates a schedule by changing them.
public enum Step: Hashable, Sendable {
    /// `loop` becomes `loop.0` (extent ceil(E / product)) followed by one loop
    /// per factor, outermost first. Factors need not divide the extent: the
    /// points past the end are skipped by guards (see `Lower.swift`).
    case split(stage: String, loop: String, factors: [Int])
    /// The stage's loops take this order (all of them, outermost first).
    case reorder(stage: String, order: [String])
    /// Adjacent loops of the same kind (spatial or reduction) become one.
    case fuse(stage: String, loops: [String])
    /// The loop's iterations become the lanes of vector instructions
    /// (a spatial loop of constant extent, at most 64).
    case vectorize(stage: String, loop: String)
    /// The loop is repeated in straight-line code (constant extent, at most 64).
    case unroll(stage: String, loop: String)
    /// Ansor's `auto_unroll_max_step`: the innermost loops of the stage are
    /// unrolled while the product of their extents stays within `maxStep`.
    case unrollMaxStep(stage: String, maxStep: Int)
    /// The loop's iterations are split among threads (a spatial loop).
    case parallel(stage: String, loop: String)
    /// The stage is computed, tile by tile, inside `loop` of `consumer`, into
    /// a buffer holding just the region that one iteration of the loop reads.
    case computeAt(stage: String, consumer: String, loop: String)
    /// The stage's expression is substituted into its consumers (elementwise
    /// stages, no reduction).
    case computeInline(stage: String)
    /// The stage is computed in full before its consumers (the default).
    case computeRoot(stage: String)
    /// The stage's reduction accumulates into a new stage `<stage>.local`;
    /// the stage itself becomes a copy of it. Compute `.local` at a loop of
    /// the stage to keep the accumulators in registers.
    case cacheWrite(stage: String)
    /// Splits reduction axis `loop` by `factor` into an inner axis that
    /// becomes a spatial dimension of a new stage `<stage>.rf`, which holds
    /// partial results; the stage then reduces over that dimension only.
    case rfactor(stage: String, loop: String, factor: Int)
    /// Lays out tensor `tensor` in blocks of `block` along `dimension`: a new
    /// stage `<tensor>.packed` of shape [ceil(n/block), other dims..., block]
    /// that every consumer reads instead (gemm's packed B panels).
    case pack(tensor: String, dimension: Int, block: Int)
    /// Splits `dimension` of tensor `tensor` into its `stride` phases: a
    /// new stage `<tensor>.phases` of shape [stride, dims...] with that
    /// dimension ceil(n/stride) long, `phases[p, ..., i, ...] = T[..., i·stride + p, ...]`,
    /// that every consumer reads instead. A convolution of stride S reads
    /// `x·S + s`: from the phases it reads `[s % S, ..., x + s / S, ...]`,
    /// unit stride along x (oneDNN's stride-1 copy of a strided 1x1 input).
    case deinterleave(tensor: String, dimension: Int, stride: Int)
    /// The stage's buffer stores its dimensions in `order` (its index
    /// variables, outermost first), whatever its loop order (Halide's
    /// `reorder_storage`): a register tile vectorized over a dimension that
    /// is not the tensor's last keeps its vector lanes contiguous. Any
    /// intermediate stage (root, computed at a loop, `.local`, `.rf`,
    /// `.packed`); the output's layout is the caller's.
    case storageOrder(stage: String, order: [String])

    /// The stage (or tensor) the step acts on.
    public var stage: String {
        switch self {
        case .split(let s, _, _), .reorder(let s, _), .fuse(let s, _), .vectorize(let s, _), .unroll(let s, _),
             .unrollMaxStep(let s, _), .parallel(let s, _), .computeAt(let s, _, _), .computeInline(let s),
             .computeRoot(let s), .cacheWrite(let s), .rfactor(let s, _, _), .pack(let s, _, _), .deinterleave(let s, _, _),
             .storageOrder(let s, _):
            return s
        }
    }

    /// The step's name in schedule files and error messages.
    public var kind: String {
        switch self {
        case .split: "split"
        case .reorder: "reorder"
        case .fuse: "fuse"
        case .vectorize: "vectorize"
        case .unroll: "unroll"
        case .unrollMaxStep: "unroll_max_step"
        case .parallel: "parallel"
        case .computeAt: "compute_at"
        case .computeInline: "compute_inline"
        case .computeRoot: "compute_root"
        case .cacheWrite: "cache_write"
        case .rfactor: "rfactor"
        case .pack: "pack"
        case .deinterleave: "deinterleave"
        case .storageOrder: "storage_order"
        }
    }
}

/// A schedule: the steps applied, in order, to a kernel's default loop nests.
public struct Schedule: Hashable, Sendable {
    public var steps: [Step]

    public init(_ steps: [Step] = []) { self.steps = steps }

    public static let `default` = Schedule()
}

/// A step that cannot be applied, or a schedule that cannot be lowered:
/// what kind of mistake it is, the step to blame (by position and kind) when
/// there is one, and the reason, written for people.
public struct ScheduleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The mistake, for code that reacts to it (a search counting what it
    /// rejects, tests); `reason` words it for people, with the names involved.
    public enum Kind: Hashable, Sendable, CaseIterable {
        /// The step names a stage, a loop or a tensor that does not exist
        /// (at that point: earlier steps rename loops and add stages).
        case unknownStage, unknownLoop, unknownTensor
        /// A number in the step is out of range: a split, rfactor or pack
        /// factor below 1 (or a split without factors), a dimension the
        /// tensor does not have, a negative max_step.
        case outOfRange
        /// A reorder or storage_order that does not name every loop (or
        /// dimension) once; a fuse of fewer than two loops, or of loops not
        /// adjacent in the order given.
        case invalidOrder
        /// The loop is already vectorized, unrolled or parallel (split and
        /// fuse come before annotations), or the stage already vectorizes
        /// another loop.
        case alreadyAnnotated
        /// cache_write or rfactor after steps that changed the stage's loops:
        /// they must come first.
        case alreadyTransformed
        /// The stage already has its cache stage or rfactor stage, or the
        /// tensor is already packed.
        case alreadyApplied
        /// The step would break an earlier compute_at into the stage (the
        /// producer would be computed where nothing reads it): it must come
        /// before that compute_at.
        case wrongOrder
        /// A reduction loop where only spatial loops can go: vectorized,
        /// parallel, or fused with a spatial loop.
        case reductionLoop
        /// rfactor of a spatial loop, or cache_write of a stage without a reduction.
        case notAReduction
        /// compute_inline of a reduction (only elementwise stages inline).
        case notElementwise
        /// The kernel's output is computed at root, in full, in the caller's
        /// layout: it cannot be inlined, computed at a loop, packed or reordered in storage.
        case outputStage
        /// compute_at into a stage that does not read the producer, that is
        /// not its only consumer, that is the producer itself, or that is
        /// computed inside the producer.
        case invalidConsumer
        /// A stage is computed at a loop that later steps removed.
        case computeLocationMissing
        /// A stage is computed at (or inside) its consumer's vectorized loop,
        /// whose body runs once for all lanes while each lane would need its
        /// own region of the stage.
        case insideVectorizedLoop
        /// A vectorized loop of more than 64 iterations or an unrolled loop of
        /// more than 512 (split it first).
        case tooManyIterations
    }

    public var kind: Kind
    /// The position of the step to blame (0-based), nil when the whole schedule is.
    public var stepIndex: Int?
    public var step: Step?
    public var reason: String

    public init(_ kind: Kind, _ reason: String, step: Step? = nil, at index: Int? = nil) {
        self.kind = kind
        self.reason = reason
        self.step = step
        self.stepIndex = index
    }

    /// `schedule step 2 (split on C): split: loop i is already parallel; split before annotating`.
    public var description: String {
        guard let step else { return "schedule: \(reason)" }
        let position = stepIndex.map { "step \($0 + 1) " } ?? ""
        return "schedule \(position)(\(step.kind) on \(step.stage)): \(step.kind): \(reason)"
    }
}
