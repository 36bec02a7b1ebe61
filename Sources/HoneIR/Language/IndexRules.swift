// The rules every load's indices obey, shared by elaboration (which reports
// them at source locations) and `Kernel.validate()` (which names the stage).
//
// 1. An index is an `.index` expression affine in the index and reduction
//    variables: constants, variables, `+ -`, unary `-`, `*` by a constant,
//    `/` and `%` by a positive constant, and `min`/`max` (clamps).
// 2. Over the whole iteration domain (each variable in `0 ..< extent`) every
//    index stays in `0 ..< extent` of its dimension, with one exception: a
//    load inside a `select` branch only needs to be in bounds where the
//    branch's condition holds (`select(h >= 1, X[h - 1], 0.0)`). Such an
//    index is clamped — `min(idx, extent - 1)` and/or `max(…, 0)`, on the side
//    that can leave the tensor — so that it is in bounds everywhere.
//
// The clamp is the contract the interpreter and the code generator rely on:
// both may evaluate the two branches of a select eagerly (the code generator
// does, with vector selects), and a clamped load never touches memory
// outside its tensor. Where the condition holds the clamp changes nothing.

/// How an index relates to its dimension's extent.
enum IndexBoundsVerdict: Equatable {
    /// In bounds everywhere in the domain.
    case inBounds
    /// In bounds wherever the enclosing select conditions hold (or never
    /// evaluated by them); needs a clamp on the low and/or high side.
    case needsClamp(low: Bool, high: Bool)
    /// Can leave the tensor even where the conditions hold: `reach` is the
    /// furthest value outside `0 ..< extent`.
    case outOfBounds(reach: Int64)
    /// Not bounded by the analysis (should not happen for affine indices).
    case unbounded
}

/// Classifies `index` against `0 ..< extent`. `narrowed` is the context under
/// the enclosing select conditions (nil when they cannot all hold); `full` is
/// the whole domain.
func classifyIndex(_ index: Expr, extent: Int, narrowed: IntervalContext?, full: IntervalContext) -> IndexBoundsVerdict {
    let valid = Interval(extent: extent)
    guard let whole = full.interval(of: index) else { return .unbounded }
    if whole.isSubset(of: valid) { return .inBounds }
    let low = whole.lo < 0, high = whole.hi > valid.hi
    guard let narrowed else { return .needsClamp(low: low, high: high) }
    guard let guarded = narrowed.interval(of: index) else { return .unbounded }
    if guarded.hi > valid.hi { return .outOfBounds(reach: guarded.hi) }
    if guarded.lo < 0 { return .outOfBounds(reach: guarded.lo) }
    return .needsClamp(low: low, high: high)
}

/// `index` clamped into `0 ..< extent` on the requested sides.
func clampIndex(_ index: Expr, extent: Int, low: Bool, high: Bool) -> Expr {
    var e = index
    if high { e = .binary(.min, e, .index(extent - 1)) }
    if low { e = .binary(.max, e, .index(0)) }
    return e
}

/// "index 2 of X" (1-based, as people count dimensions).
func indexOrdinal(_ dimension: Int, of tensor: String) -> String {
    "index \(dimension + 1) of \(tensor)"
}

func outOfBoundsMessage(_ dimension: Int, of tensor: String, reach: Int64, extent: Int) -> String {
    "\(indexOrdinal(dimension, of: tensor)) can reach \(reach), outside 0..<\(extent)"
}

extension Expr {
    /// Why this index expression is not affine (rule 1 above), or nil.
    func affineIndexProblem() -> String? {
        switch self {
        case .int(_, let t):
            return t.isInteger ? nil : "is a \(t.rawValue) constant"
        case .float:
            return "is a float"
        case .variable(let name, let t):
            return t == .index ? nil : "uses \(name) of type \(t.rawValue)"
        case .load(let name, _, _):
            return "reads tensor \(name); indices cannot depend on tensor data"
        case .unary(.neg, let a):
            return a.affineIndexProblem()
        case .binary(let op, let a, let b):
            switch op {
            case .add, .sub, .min, .max:
                return a.affineIndexProblem() ?? b.affineIndexProblem()
            case .mul:
                if a.integerConstant == nil && b.integerConstant == nil {
                    return "multiplies two non-constant terms (\(self)); indices must be affine"
                }
                return a.affineIndexProblem() ?? b.affineIndexProblem()
            case .div, .mod:
                guard let c = b.integerConstant, c > 0 else {
                    return "divides by \(b), not by a positive constant"
                }
                return a.affineIndexProblem()
            default:
                return "uses '\(op.symbol)', which has no place in an index"
            }
        default:
            return "uses \(self), which is not affine"
        }
    }

    /// The value of an integer constant.
    var integerConstant: Int64? {
        if case .int(let v, let t) = self, t.isInteger { return v }
        return nil
    }
}
