import HoneIR
import HoneSchedule

/// The order in which beam search and tree search fill a sketch's decisions,
/// as adams2019 does: stages from the last to the first (a consumer's
/// choices frame its producers'); within a stage its compute location
/// first, then rfactor, tiles and unrolling; a parallel depth comes after
/// the tiles it counts tasks from.
struct DecisionOrder {
    /// Per sketch, its decision slots in the order they are decided.
    let slots: [[Int]]

    init(space: SearchSpace) {
        let stageIndex = Dictionary(space.kernel.stages.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        slots = space.sketches.map { Self.order($0.decisions, stageIndex) }
    }

    private static func order(_ kinds: [DecisionKind], _ stageIndex: [String: Int]) -> [Int] {
        var order = kinds.indices.sorted { a, b in
            let (ra, rb) = (rank(kinds[a].stage, stageIndex), rank(kinds[b].stage, stageIndex))
            if ra != rb { return ra > rb }
            let (ka, kb) = (kinds[a].fillRank, kinds[b].fillRank)
            return ka != kb ? ka < kb : a < b
        }
        // A parallel depth reads tile slots that may belong to another stage's name (a cache stage's outer loops).
        for (slot, kind) in kinds.enumerated() {
            guard case .parallel(_, let loops) = kind, let at = order.firstIndex(of: slot) else { continue }
            let lastTile = loops.compactMap { order.firstIndex(of: $0.tileSlot.index) }.max() ?? -1
            if lastTile > at {
                order.remove(at: at)
                order.insert(slot, at: lastTile)
            }
        }
        return order
    }

    /// Where a stage comes in the kernel: a cache stage with its stage, an
    /// rfactor stage just before it, a packed copy of an input before all.
    private static func rank(_ stage: String, _ stageIndex: [String: Int]) -> Double {
        if let i = stageIndex[stage] { return Double(i) }
        if StageName.isLocal(stage), let i = stageIndex[String(stage.dropLast(".local".count))] { return Double(i) }
        if StageName.isRfactor(stage), let i = stageIndex[String(stage.dropLast(".rf".count))] { return Double(i) - 0.5 }
        return -1
    }
}

extension DecisionKind {
    /// The stage the decision belongs to.
    var stage: String {
        switch self {
        case .tile(let stage, _, _, _, _), .location(let stage, _), .unroll(let stage), .parallel(let stage, _), .rfactor(let stage, _, _): stage
        }
    }

    /// Order within a stage.
    fileprivate var fillRank: Int {
        switch self {
        case .location: 0
        case .rfactor: 1
        case .tile: 2
        case .unroll: 3
        case .parallel: 4
        }
    }
}

/// A candidate with its first `depth` decisions (in `DecisionOrder`) made;
/// the others are empty until completed.
struct PartialCandidate: Hashable {
    var sketch: Int
    var decisions: [[Int]]
    var depth = 0

    init(sketch: Int, space: SearchSpace) {
        self.sketch = sketch
        decisions = Array(repeating: [], count: space.sketches[sketch].decisions.count)
    }

    func isComplete(_ order: DecisionOrder) -> Bool { depth == order.slots[sketch].count }

    /// The slot decided next (nil when complete).
    func nextSlot(_ order: DecisionOrder) -> Int? {
        let slots = order.slots[sketch]
        return depth < slots.count ? slots[depth] : nil
    }

    /// The partial candidate with its next slot set to `value`.
    func deciding(_ value: [Int], _ order: DecisionOrder) -> PartialCandidate {
        var next = self
        next.decisions[order.slots[sketch][depth]] = value
        next.depth += 1
        return next
    }
}

extension SearchSpace {
    /// The partial candidate with its undecided slots drawn as `sample`
    /// draws them (parallel depths last, from the tiles).
    func complete(_ partial: PartialCandidate, _ rng: inout SplitMix64) -> Candidate {
        let kinds = sketches[partial.sketch].decisions
        var decisions = partial.decisions
        for (i, kind) in kinds.enumerated() where decisions[i].isEmpty {
            if case .parallel = kind { continue }
            decisions[i] = sampleDecision(kind, &rng)
        }
        for (i, kind) in kinds.enumerated() where decisions[i].isEmpty {
            if case .parallel(_, let loops) = kind { decisions[i] = [parallelDepth(loops, decisions, &rng)] }
        }
        return Candidate(sketch: partial.sketch, decisions: decisions)
    }

    /// The values a search tries for a slot: every one when there are few
    /// (locations, unroll steps, parallel depths), else up to `limit`
    /// distinct draws (tile factors, rfactor factors).
    func choices(for slot: Int, of sketch: Int, limit: Int, _ rng: inout SplitMix64) -> [[Int]] {
        let kind = sketches[sketch].decisions[slot]
        switch kind {
        case .location(_, let options): return options.indices.map { [$0] }
        case .unroll: return DecisionKind.unrollSteps.indices.map { [$0] }
        case .parallel(_, let loops): return (0...loops.count).map { [$0] }
        case .tile, .rfactor:
            var values: [[Int]] = []
            var seen = Set<[Int]>()
            for _ in 0..<(4 * limit) where values.count < limit {
                let value = sampleDecision(kind, &rng)
                if seen.insert(value).inserted { values.append(value) }
            }
            return values
        }
    }

    /// Whether `choices(for:)` lists every value of the slot.
    func enumeratesChoices(for slot: Int, of sketch: Int) -> Bool {
        switch sketches[sketch].decisions[slot] {
        case .location, .unroll, .parallel: true
        case .tile, .rfactor: false
        }
    }
}
