import HoneIR

/// A point of the search space: a sketch (by its position in the space) and
/// one value per decision of that sketch.
///
/// Every decision is a short list of integers: the inner factors of a tiled
/// loop (outermost level first), or a single choice (an index into a list of
/// compute locations, unroll steps or parallel depths, or a factor). The
/// number of decisions and the length of each are fixed per sketch, so a
/// mutation never changes which loops later steps name.
public struct Candidate: Hashable, Sendable {
    public var sketch: Int
    public var decisions: [[Int]]

    public init(sketch: Int, decisions: [[Int]]) {
        self.sketch = sketch
        self.decisions = decisions
    }
}

/// What a decision chooses, with what it needs to sample and mutate it.
public enum DecisionKind: Hashable, Sendable {
    /// The inner factors of loop `loop` (extent `extent`) of `stage`, one per
    /// tile level below the outermost. `vectorLanes` is set when the
    /// innermost level becomes vector lanes (then it is at most 64).
    case tile(stage: String, loop: String, extent: Int, levels: Int, vectorLanes: Bool)
    /// Where `stage` is computed: an index into the sketch's options for it.
    case location(stage: String, options: [Placement])
    /// Ansor's auto_unroll_max_step for `stage`: an index into `unrollSteps`.
    case unroll(stage: String)
    /// How many of the outermost loops of `stage` are fused into its parallel
    /// loop (0: serial). `outerLoops` says how each of those loops' extent
    /// follows from the tile decisions.
    case parallel(stage: String, outerLoops: [OuterLoop])
    /// The factor of `rfactor` on reduction axis `loop` of `stage`.
    case rfactor(stage: String, loop: String, extent: Int)

    /// The unroll steps a `.unroll` decision picks from (Ansor's CPU set).
    public static let unrollSteps = [0, 16, 64, 512]
}

/// Where a stage is computed.
public enum Placement: Hashable, Sendable, CustomStringConvertible {
    case inline
    case root
    case at(consumer: String, loop: String)

    public var description: String {
        switch self {
        case .inline: "inline"
        case .root: "root"
        case .at(let consumer, let loop): "at \(consumer).\(loop)"
        }
    }
}

/// An outermost loop of a tiled stage: its extent is `extent` divided by the
/// product of the factors of tile decision `tileSlot` (rounded up).
public struct OuterLoop: Hashable, Sendable {
    public var extent: Int
    public var tileSlot: TileSlot
}
