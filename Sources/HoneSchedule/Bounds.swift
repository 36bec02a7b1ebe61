import HoneIR

// Bounds inference for compute_at: which region of a producer one iteration
// of a consumer's loop reads.

extension Lowering {
    /// The region of `producer` that `values` (the consumer's value, in its
    /// loop variables, and those of the producer's other readers computed
    /// inside the same loop) read while `innerLoops` run over their extents and
    /// every other variable is fixed; `outerLoops`, fixed, bound the
    /// simplification (a stride-2 window split in two, `(2·x + r.0 + r.1) / 2`,
    /// is `x` when both window loops have one iteration).
    ///
    /// Each index is split into a part fixed during the iteration (outer loop
    /// variables, region origins, any expression free of inner loops) and an
    /// affine function of the inner loops, whose range is exact. Reads whose
    /// fixed parts differ, or indices that are not affine in the inner loops,
    /// fall back to the producer's whole extent in that dimension.
    func inferRegion(of producer: String, readBy values: [Expr], innerLoops: [LoopIterator], outerLoops: [LoopIterator]) -> Region {
        let shape = tensor(producer).shape
        let extents = Dictionary(uniqueKeysWithValues: innerLoops.map { ($0.name, Int64($0.extent)) })
        var fixed: [[Expr: Int64]?] = Array(repeating: nil, count: shape.count)
        var low = [Int64](repeating: .max, count: shape.count), high = [Int64](repeating: .min, count: shape.count)
        var whole = [Bool](repeating: false, count: shape.count)
        // Indices simplified knowing the inner loops' ranges: a packed
        // tensor's `(4·j.0 + j.1) / 4` is `j.0` when 0 ≤ j.1 < 4.
        var simplifier = Simplifier()
        var ranges = extents.mapValues { Interval(0, $0 - 1) }
        for loop in outerLoops { ranges[loop.name] = Interval(0, Int64(loop.extent) - 1) }
        simplifier.context = IntervalContext(ranges: ranges)
        for indices in values.flatMap({ loads(of: producer, in: $0) }) {
            for (d, index) in indices.map(simplifier.simplify).enumerated() where !whole[d] {
                guard let form = SplitAffine(index, inner: extents), fixed[d] == nil || fixed[d] == form.fixed else {
                    whole[d] = true
                    continue
                }
                fixed[d] = form.fixed
                low[d] = min(low[d], form.low)
                high[d] = max(high[d], form.high)
            }
        }
        var region = Region(minNames: [], minValues: [], extents: [], mayExceed: [])
        for d in shape.indices {
            region.minNames.append("\(producer).min.\(d)")
            let extent = high[d] >= low[d] ? high[d] - low[d] + 1 : Int64(shape[d])
            if whole[d] || fixed[d] == nil || extent >= Int64(shape[d]) {
                region.minValues.append(.index(0))
                region.extents.append(shape[d])
                region.mayExceed.append(false)
            } else {
                region.minValues.append(SplitAffine.expression(fixed[d]!, plus: low[d]))
                region.extents.append(Int(extent))
                region.mayExceed.append(true)
            }
        }
        return region
    }

    /// Annotated loops must fit what the code generator can do with them.
    func checkAnnotations(_ stage: String, _ layout: LoopLayout) throws(ScheduleError) {
        for loop in layout.loops {
            if loop.kind == .vectorized && loop.extent > 64 {
                throw ScheduleError(.tooManyIterations, "vectorize: loop \(loop.name) of \(stage) has \(loop.extent) iterations; at most 64 can be vector lanes (split it first)")
            }
            if loop.kind == .unrolled && loop.extent > 512 {
                throw ScheduleError(.tooManyIterations, "unroll: loop \(loop.name) of \(stage) has \(loop.extent) iterations; at most 512 can be unrolled (split it first)")
            }
        }
    }

    /// Ansor's auto_unroll_max_step: unroll the innermost serial loops while
    /// the product of their extents stays within `maxStep` (a vectorized loop
    /// counts as one step; a parallel loop stops the walk).
    func unrolledInnermost(_ loops: [LoopIterator], maxStep: Int) -> [LoopIterator] {
        guard maxStep > 1 else { return loops }
        var result = loops
        var steps = 1
        for i in loops.indices.reversed() {
            switch loops[i].kind {
            case .vectorized: continue
            case .parallel: return result
            case .serial, .unrolled:
                steps *= loops[i].extent
                guard steps <= maxStep else { return result }
                result[i].kind = .unrolled
            }
        }
        return result
    }
}

/// An index as `fixed + Σ c·v + constant` over inner loop variables v, with
/// the exact range of `Σ c·v + constant`. `fixed` maps each term free of
/// inner loops to its coefficient. Divisions and remainders by constants of
/// sums of inner loops count with their ranges (which need not be exact).
struct SplitAffine {
    var fixed: [Expr: Int64] = [:]
    var low: Int64
    var high: Int64

    /// Nil when the index is not affine in the inner loops, or a bound overflows.
    init?(_ expr: Expr, inner extents: [String: Int64]) {
        guard let form = AffineForm(expr, atoms: .indexExpressions) else { return nil }
        // The constant goes into the range, so reads at `y`, `y + 1` and
        // `y + 2` share their fixed part and make one region of three.
        var range = Interval.point(form.constant)
        for (atom, c) in form.terms {
            let termRange: Interval?
            if case .variable(let name, _) = atom, let extent = extents[name] {
                termRange = Interval(min(0, extent - 1), max(0, extent - 1)).scaled(by: c)
            } else if case .binary(let op, let a, .int(let d, _)) = atom, op == .div || op == .mod, d > 0, a.mentions(anyOf: extents.keys) {
                // `e / d` or `e % d` of an index of inner loops only (a loop
                // fused over two dimensions): bounded through e's range.
                guard let e = SplitAffine(a, inner: extents), e.fixed.isEmpty else { return nil }
                let whole = Interval(e.low, e.high)
                termRange = (op == .div ? whole.floorDivided(by: d) : whole.floorModulo(by: d))?.scaled(by: c)
            } else {
                guard !atom.mentions(anyOf: extents.keys) else { return nil }
                fixed[atom] = c
                continue
            }
            guard let term = termRange, let sum = range.adding(term) else { return nil }
            range = sum
        }
        (low, high) = (range.lo, range.hi)
    }

    /// `Σ coefficient·term + offset` as an expression.
    static func expression(_ fixed: [Expr: Int64], plus offset: Int64) -> Expr {
        var result: Expr = .index(Int(offset))
        for (term, c) in fixed.sorted(by: { $0.key.description < $1.key.description }) {
            result = .binary(.add, result, c == 1 ? term : .binary(.mul, term, .index(Int(c))))
        }
        return result
    }
}
