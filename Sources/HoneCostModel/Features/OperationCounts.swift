import HoneIR

/// Columns of the compute group (`FeatureSchema` columns 0–15), as indices
/// into a `SIMD16<Double>` of counts.
enum Op {
    static let floatMad = 0, floatAddSub = 1, floatMul = 2, floatDivMod = 3, floatCmp = 4, floatMath = 5, floatCast = 6
    static let intMad = 7, intAddSub = 8, intMul = 9, intDivMod = 10, intCmp = 11, intMath = 12, intCast = 13
    static let bool = 14, select = 15
    /// Offset from a float column to its integer twin.
    static let intShift = 7
}

/// The column for an operation whose operands have type `t`: the float
/// column itself or its integer twin.
@inline(__always) func column(_ floatColumn: Int, _ t: ScalarType) -> Int {
    t.isFloat ? floatColumn : floatColumn + Op.intShift
}

extension FeatureExtractor {
    /// Adds the operations of one evaluation of `e` to `counts` and returns
    /// `e`'s type (computed bottom-up: `Expr.type` would revisit subtrees).
    /// With `collect`, every load is also recorded as a read access of the
    /// current store.
    @discardableResult
    mutating func count(_ e: Expr, _ counts: inout SIMD16<Double>, collect: Bool) -> ScalarType {
        switch e {
        case .int(_, let t), .float(_, let t), .variable(_, let t):
            return t
        case .load(let name, let indices, let t):
            for index in indices { count(index, &counts, collect: collect) }
            if collect { addAccess(name, indices, isWrite: false) }
            return t
        case .unary(.neg, let a):
            let t = count(a, &counts, collect: collect)
            counts[column(Op.floatAddSub, t)] += 1
            return t
        case .unary(.not, let a):
            count(a, &counts, collect: collect)
            counts[Op.bool] += 1
            return .bool
        case .binary(let op, let a, let b):
            if op == .add || op == .sub {
                // A product feeding an add or sub is one fused multiply-add.
                if case .binary(.mul, let x, let y) = b {
                    let t = ScalarType.promoted(count(a, &counts, collect: collect),
                                    ScalarType.promoted(count(x, &counts, collect: collect), count(y, &counts, collect: collect)))
                    counts[column(Op.floatMad, t)] += 1
                    return t
                }
                if case .binary(.mul, let x, let y) = a {
                    let t = ScalarType.promoted(ScalarType.promoted(count(x, &counts, collect: collect), count(y, &counts, collect: collect)),
                                    count(b, &counts, collect: collect))
                    counts[column(Op.floatMad, t)] += 1
                    return t
                }
            }
            let t = ScalarType.promoted(count(a, &counts, collect: collect), count(b, &counts, collect: collect))
            switch op {
            case .add, .sub: counts[column(Op.floatAddSub, t)] += 1
            case .mul: counts[column(Op.floatMul, t)] += 1
            case .div, .mod: counts[column(Op.floatDivMod, t)] += 1
            case .min, .max: counts[column(Op.floatCmp, t)] += 1
            case .eq, .ne, .lt, .le, .gt, .ge:
                counts[column(Op.floatCmp, t)] += 1
                return .bool
            case .and, .or:
                counts[Op.bool] += 1
                return .bool
            }
            return t
        case .call(_, let args):
            var t = ScalarType.bool
            for arg in args { t = ScalarType.promoted(t, count(arg, &counts, collect: collect)) }
            counts[column(Op.floatMath, t)] += 1
            return t
        case .select(let c, let a, let b):
            count(c, &counts, collect: collect)
            let t = ScalarType.promoted(count(a, &counts, collect: collect), count(b, &counts, collect: collect))
            counts[Op.select] += 1
            return t
        case .cast(let t, let a):
            count(a, &counts, collect: collect)
            counts[column(Op.floatCast, t)] += 1
            return t
        }
    }
}
