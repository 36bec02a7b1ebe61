import HoneIR

/// What is known of an integer's value modulo some number (Halide's
/// modulus-remainder analysis): the value is `modulus·k + remainder` for
/// some integer k. Modulus 1 knows nothing; modulus 0 means the value is
/// exactly `remainder`. A tile origin `t / 56 * 16` is (16, 0), so a packed
/// index `(origin + f) / 16` with `0 ≤ f < 16` is `origin / 16`.
struct Alignment: Hashable {
    var modulus: Int64
    /// In `0 ..< modulus` when modulus > 0.
    var remainder: Int64

    init(modulus: Int64, remainder: Int64) {
        self.modulus = abs(modulus)
        self.remainder = self.modulus == 0 ? remainder : Interval.floorMod(remainder, self.modulus)
    }

    static let unknown = Alignment(modulus: 1, remainder: 0)
    static func exactly(_ value: Int64) -> Alignment { Alignment(modulus: 0, remainder: value) }

    /// True when every value is a multiple of `d` (d > 0).
    func isMultiple(of d: Int64) -> Bool {
        modulus == 0 ? remainder % d == 0 : modulus % d == 0 && remainder % d == 0
    }

    static func + (a: Alignment, b: Alignment) -> Alignment {
        let (r, overflow) = a.remainder.addingReportingOverflow(b.remainder)
        return overflow ? .unknown : Alignment(modulus: greatestCommonDivisor(a.modulus, b.modulus), remainder: r)
    }

    static prefix func - (a: Alignment) -> Alignment {
        a.remainder == .min ? .unknown : Alignment(modulus: a.modulus, remainder: -a.remainder)
    }

    static func * (a: Alignment, b: Alignment) -> Alignment {
        // (m₁k₁ + r₁)(m₂k₂ + r₂): every term but r₁r₂ is a multiple of greatestCommonDivisor(m₁m₂, m₁r₂, m₂r₁).
        let products = [(a.modulus, b.modulus), (a.modulus, b.remainder), (a.remainder, b.modulus), (a.remainder, b.remainder)]
            .map { $0.multipliedReportingOverflow(by: $1) }
        guard products.allSatisfy({ !$0.overflow }) else { return .unknown }
        let p = products.map(\.partialValue)
        return Alignment(modulus: greatestCommonDivisor(greatestCommonDivisor(p[0], p[1]), p[2]), remainder: p[3])
    }

    /// Floor division by a positive constant.
    func dividedBy(_ d: Int64) -> Alignment {
        if modulus == 0 { return .exactly(Interval.floorDiv(remainder, d)) }
        // (m·k + r) / d = (m/d)·k + r / d when d divides m (0 ≤ r < m).
        guard modulus % d == 0 else { return .unknown }
        return Alignment(modulus: modulus / d, remainder: remainder / d)
    }

    /// Floor remainder by a positive constant.
    func moduloBy(_ d: Int64) -> Alignment {
        if modulus == 0 { return .exactly(Interval.floorMod(remainder, d)) }
        let g = greatestCommonDivisor(modulus, d)
        return g == d ? .exactly(Interval.floorMod(remainder, d)) : Alignment(modulus: g, remainder: remainder)
    }
}

/// The alignment of an integer expression, given what is known of the
/// variables in scope (`let` names bound to aligned values).
func alignment(of expr: Expr, _ known: ScopedValues<Alignment>) -> Alignment {
    switch expr {
    case .int(let v, let t) where t.isInteger || t == .index: return .exactly(v)
    case .variable(let name, _): return known[name] ?? .unknown
    case .unary(.neg, let a): return -alignment(of: a, known)
    case .binary(.add, let a, let b): return alignment(of: a, known) + alignment(of: b, known)
    case .binary(.sub, let a, let b): return alignment(of: a, known) + -alignment(of: b, known)
    case .binary(.mul, let a, let b): return alignment(of: a, known) * alignment(of: b, known)
    case .binary(.div, let a, .int(let d, _)) where d > 0: return alignment(of: a, known).dividedBy(d)
    case .binary(.mod, let a, .int(let d, _)) where d > 0: return alignment(of: a, known).moduloBy(d)
    default: return .unknown
    }
}
