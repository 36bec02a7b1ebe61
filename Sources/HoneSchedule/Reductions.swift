import HoneIR

/// The value a reduction starts from: 0 for sum, -inf for max, +inf for min
/// (the smallest and largest values for integer types).
public func identity(of op: Reduction.Operator, _ type: ScalarType) -> Expr {
    switch (op, type.isFloat) {
    case (.sum, true): .float(0, type)
    case (.sum, false): .int(0, type)
    case (.max, true): .float(-.infinity, type)
    case (.min, true): .float(.infinity, type)
    case (.max, false): .int(type == .i32 ? Int64(Int32.min) : Int64.min, type)
    case (.min, false): .int(type == .i32 ? Int64(Int32.max) : Int64.max, type)
    }
}

/// `accumulator op value`, with the value converted to the accumulator's type.
public func combine(_ op: Reduction.Operator, _ accumulator: Expr, _ value: Expr, _ type: ScalarType) -> Expr {
    let converted = value.type == type ? value : .cast(type, value)
    switch op {
    case .sum: return .binary(.add, accumulator, converted)
    case .max: return .binary(.max, accumulator, converted)
    case .min: return .binary(.min, accumulator, converted)
    }
}
