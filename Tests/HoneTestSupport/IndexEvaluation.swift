import Hone

/// The value of an index or boolean expression (booleans as 0 and 1) at
/// `point`, with the IR's floor division and modulo; nil for loads, calls,
/// floats, unbound variables and division by zero. Tests check lowered
/// indices and conditions against it.
public func evaluateIndex(_ e: Expr, at point: [String: Int64]) -> Int64? {
    switch e {
    case .int(let v, _): return v
    case .variable(let name, _): return point[name]
    case .float, .load, .call: return nil
    case .cast(_, let a): return evaluateIndex(a, at: point)
    case .unary(.neg, let a): return evaluateIndex(a, at: point).map { 0 &- $0 }
    case .unary(.not, let a): return evaluateIndex(a, at: point).map { $0 == 0 ? 1 : 0 }
    case .select(let c, let a, let b):
        guard let condition = evaluateIndex(c, at: point) else { return nil }
        return evaluateIndex(condition != 0 ? a : b, at: point)
    case .binary(let op, let a, let b):
        guard let x = evaluateIndex(a, at: point), let y = evaluateIndex(b, at: point) else { return nil }
        switch op {
        case .add: return x &+ y
        case .sub: return x &- y
        case .mul: return x &* y
        case .div: return y == 0 ? nil : Interval.floorDiv(x, y)
        case .mod: return y == 0 ? nil : Interval.floorMod(x, y)
        case .min: return min(x, y)
        case .max: return max(x, y)
        case .eq: return x == y ? 1 : 0
        case .ne: return x != y ? 1 : 0
        case .lt: return x < y ? 1 : 0
        case .le: return x <= y ? 1 : 0
        case .gt: return x > y ? 1 : 0
        case .ge: return x >= y ? 1 : 0
        case .and: return x != 0 && y != 0 ? 1 : 0
        case .or: return x != 0 || y != 0 ? 1 : 0
        }
    }
}
