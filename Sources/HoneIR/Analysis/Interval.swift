// Interval (bounds) analysis of integer expressions.
//
// Used by elaboration and `Kernel.validate()` to prove that every load stays
// inside its tensor, and meant for bounds inference (which region of a
// producer a consumer's loop nest touches).
//
// An `IntervalContext` knows a range for each integer variable and, under
// `select` conditions, facts about affine combinations of them
// (`h + r >= 1` gives `h + r ∈ [1, …]`). `interval(of:)` returns a sound
// enclosure of an expression's values, or nil when it cannot bound it (a load,
// a float, an unknown variable, a division by a range containing zero, an
// overflow). Plain range lookups allocate nothing; affine facts are consulted
// only when a condition introduced one.

/// A non-empty closed range of integers `lo...hi`.
public struct Interval: Hashable, Sendable, CustomStringConvertible {
    public var lo: Int64
    public var hi: Int64

    public init(_ lo: Int64, _ hi: Int64) {
        precondition(lo <= hi, "empty interval \(lo)...\(hi)")
        self.lo = lo
        self.hi = hi
    }

    public init(_ range: ClosedRange<Int64>) { self.init(range.lowerBound, range.upperBound) }

    /// The values of a loop or index variable over `0 ..< extent` (extent ≥ 1).
    public init(extent: Int) { self.init(0, Int64(extent) - 1) }

    public static func point(_ v: Int64) -> Interval { Interval(v, v) }

    public var range: ClosedRange<Int64> { lo...hi }
    public var isPoint: Bool { lo == hi }
    public var description: String { "\(lo)...\(hi)" }

    public func contains(_ v: Int64) -> Bool { lo <= v && v <= hi }
    public func isSubset(of other: Interval) -> Bool { other.lo <= lo && hi <= other.hi }

    /// The smallest interval containing both.
    public func hull(_ other: Interval) -> Interval { Interval(Swift.min(lo, other.lo), Swift.max(hi, other.hi)) }
    /// The common part, or nil when they are disjoint.
    public func intersection(_ other: Interval) -> Interval? {
        let l = Swift.max(lo, other.lo), h = Swift.min(hi, other.hi)
        return l <= h ? Interval(l, h) : nil
    }

    // Arithmetic: each result encloses every value of the operation applied to
    // members of the operands; nil on Int64 overflow.

    public func adding(_ o: Interval) -> Interval? {
        guard let l = Checked.add(lo, o.lo), let h = Checked.add(hi, o.hi) else { return nil }
        return Interval(l, h)
    }
    public func subtracting(_ o: Interval) -> Interval? {
        guard let l = Checked.sub(lo, o.hi), let h = Checked.sub(hi, o.lo) else { return nil }
        return Interval(l, h)
    }
    public func negated() -> Interval? {
        guard lo != .min else { return nil }
        return Interval(-hi, -lo)
    }
    public func scaled(by k: Int64) -> Interval? {
        guard let a = Checked.mul(lo, k), let b = Checked.mul(hi, k) else { return nil }
        return Interval(Swift.min(a, b), Swift.max(a, b))
    }
    public func multiplied(by o: Interval) -> Interval? {
        if o.isPoint { return scaled(by: o.lo) }
        if isPoint { return o.scaled(by: lo) }
        guard let a = Checked.mul(lo, o.lo), let b = Checked.mul(lo, o.hi),
              let c = Checked.mul(hi, o.lo), let d = Checked.mul(hi, o.hi) else { return nil }
        return Interval(Swift.min(a, b, c, d), Swift.max(a, b, c, d))
    }
    /// Floor division by a constant; nil when `d` is zero.
    public func floorDivided(by d: Int64) -> Interval? {
        guard d != 0, !(d == -1 && lo == .min) else { return nil }
        let a = Interval.floorDiv(lo, d), b = Interval.floorDiv(hi, d)
        return Interval(Swift.min(a, b), Swift.max(a, b))
    }
    /// Floor division by a range of divisors; nil when it contains zero.
    public func floorDivided(by d: Interval) -> Interval? {
        if d.isPoint { return floorDivided(by: d.lo) }
        guard !d.contains(0), !(d.contains(-1) && lo == .min) else { return nil }
        // With the divisor's sign fixed, x / y is monotone in each argument,
        // so the extremes sit at the corners.
        let a = Interval.floorDiv(lo, d.lo), b = Interval.floorDiv(lo, d.hi), c = Interval.floorDiv(hi, d.lo), e = Interval.floorDiv(hi, d.hi)
        return Interval(Swift.min(a, b, c, e), Swift.max(a, b, c, e))
    }
    /// Floor modulo by a positive constant: the result lies in `0 ..< d`, and
    /// is exact when the operand does not wrap around a multiple of `d`.
    public func floorModulo(by d: Int64) -> Interval? {
        guard d > 0 else { return nil }
        if Interval.floorDiv(lo, d) == Interval.floorDiv(hi, d) { return Interval(Interval.floorMod(lo, d), Interval.floorMod(hi, d)) }
        return Interval(0, d - 1)
    }
    /// Floor modulo by a range of positive divisors.
    public func floorModulo(by d: Interval) -> Interval? {
        if d.isPoint { return floorModulo(by: d.lo) }
        guard d.lo > 0 else { return nil }
        if lo >= 0 && hi < d.lo { return self }
        return Interval(0, d.hi - 1)
    }
    /// The interval of `min(x, y)` for x in self, y in other.
    public func minimum(_ o: Interval) -> Interval { Interval(Swift.min(lo, o.lo), Swift.min(hi, o.hi)) }
    /// The interval of `max(x, y)` for x in self, y in other.
    public func maximum(_ o: Interval) -> Interval { Interval(Swift.max(lo, o.lo), Swift.max(hi, o.hi)) }
}

extension Interval {
    /// Floor division (rounds towards negative infinity), as `Expr` defines it.
    /// `b` must not be zero, nor `-1` with `a == Int64.min`.
    @inlinable public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Floor modulo: the result has the sign of `b` (`-1 % 2 == 1`). `b` must not be zero.
    @inlinable public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r != 0 && ((r < 0) != (b < 0)) ? r + b : r
    }
}

// MARK: - Context

/// What is known about integer variables at a point of an expression: a range
/// per variable, narrowed by enclosing `select` conditions, plus facts about
/// affine combinations of several variables.
public struct IntervalContext: Sendable {
    /// A range for each variable in scope.
    public var ranges: [String: Interval]
    /// `form ∈ range` facts; each form has constant 0, coprime coefficients,
    /// terms in alphabetical order and a positive first coefficient.
    public private(set) var facts: [(form: AffineForm, range: Interval)] = []

    public init(ranges: [String: Interval] = [:]) { self.ranges = ranges }

    public init(ranges: [String: ClosedRange<Int64>]) {
        self.ranges = ranges.mapValues { Interval($0) }
    }

    /// A copy where `name` ranges over `interval` (e.g. a reduction variable).
    public func binding(_ name: String, to interval: Interval) -> IntervalContext {
        var c = self
        c.ranges[name] = interval
        return c
    }

    // MARK: Evaluation

    /// A sound enclosure of the values of the integer expression `e`, or nil
    /// when it cannot be bounded.
    public func interval(of e: Expr) -> Interval? {
        if !facts.isEmpty, case .binary(let op, _, _) = e, op == .add || op == .sub || op == .mul,
           let form = AffineForm(e), let i = interval(ofAffine: form) {
            return i
        }
        switch e {
        case .int(let v, let t):
            return t.isFloat ? nil : .point(v)
        case .float, .load:
            return nil
        case .variable(let name, let t):
            return t.isFloat ? nil : ranges[name]
        case .unary(.neg, let a):
            return interval(of: a)?.negated()
        case .unary(.not, _):
            return Interval(0, 1)
        case .binary(let op, let a, let b):
            if op.isComparison || op.isLogical { return Interval(0, 1) }
            guard a.type != .f32, a.type != .f64, let x = interval(of: a), let y = interval(of: b) else { return nil }
            switch op {
            case .add: return x.adding(y)
            case .sub: return x.subtracting(y)
            case .mul: return x.multiplied(by: y)
            case .div: return x.floorDivided(by: y)
            case .mod: return x.floorModulo(by: y)
            case .min: return x.minimum(y)
            case .max: return x.maximum(y)
            default: return nil
            }
        case .select(let c, let a, let b):
            let whenTrue = assuming(c, true), whenFalse = assuming(c, false)
            let x = whenTrue.map { $0.interval(of: a) }, y = whenFalse.map { $0.interval(of: b) }
            switch (x, y) {
            case (.some(.some(let x)), .some(.some(let y))): return x.hull(y)
            case (.some(.some(let x)), .none): return x
            case (.none, .some(.some(let y))): return y
            default: return nil
            }
        case .cast(let t, let a):
            guard t.isInteger || t == .bool, a.type.isInteger || a.type == .bool, let x = interval(of: a) else { return nil }
            if t == .bool { return Interval(0, 1) }
            if t == .i32 && (x.lo < Int64(Int32.min) || x.hi > Int64(Int32.max)) { return nil }
            return x
        case .call(.abs, let args) where args.count == 1 && args[0].type.isInteger:
            guard let x = interval(of: args[0]) else { return nil }
            if x.lo >= 0 { return x }
            guard let n = x.negated() else { return nil }
            if x.hi <= 0 { return n }
            return Interval(0, Swift.max(x.hi, n.hi))
        case .call:
            return nil
        }
    }

    /// The interval of an affine form: the sum of its terms' ranges, tightened
    /// by every fact whose form appears in it (scaled).
    public func interval(ofAffine form: AffineForm) -> Interval? {
        guard var result = plainInterval(of: form) else { return nil }
        for fact in facts {
            // A fact's first term has the alphabetically first variable.
            let first = fact.form.terms[0], mine = form.coefficient(of: first.atom)
            guard mine != 0, mine % first.coefficient == 0 else { continue }
            let k = mine / first.coefficient
            guard fact.form.terms.allSatisfy({ form.coefficient(of: $0.atom) == $0.coefficient &* k }),
                  let rest = form.adding(fact.form, times: -k),
                  let restInterval = plainInterval(of: rest),
                  let scaled = fact.range.scaled(by: k),
                  let candidate = scaled.adding(restInterval),
                  let tightened = result.intersection(candidate) else { continue }
            result = tightened
        }
        return result
    }

    private func plainInterval(of form: AffineForm) -> Interval? {
        var result = Interval.point(form.constant)
        for (atom, c) in form.terms {
            guard case .variable(let name, _) = atom, let r = ranges[name], let term = r.scaled(by: c), let sum = result.adding(term) else { return nil }
            result = sum
        }
        return result
    }

    // MARK: Narrowing

    /// The context inside a branch guarded by `condition` (when `truth` is
    /// true) or by its negation. Returns nil when the branch is unreachable
    /// with the known ranges.
    ///
    /// Understood: comparisons between affine integer expressions, `&&` (when
    /// true), `||` (when false), `!`, and boolean constants. Anything else
    /// narrows nothing, which is always sound.
    public func assuming(_ condition: Expr, _ truth: Bool = true) -> IntervalContext? {
        switch condition {
        case .int(let v, .bool):
            return (v != 0) == truth ? self : nil
        case .unary(.not, let a):
            return assuming(a, !truth)
        case .binary(.and, let a, let b) where truth:
            return assuming(a, true)?.assuming(b, true)
        case .binary(.or, let a, let b) where !truth:
            return assuming(a, false)?.assuming(b, false)
        case .binary(let op, let a, let b) where op.isComparison:
            guard a.type.isInteger, b.type.isInteger, let x = AffineForm(a), let y = AffineForm(b),
                  let d = x.adding(y, times: -1) else { return self }
            // `d op 0`, with op negated in the false branch.
            let effective = truth ? op : op.negatedComparison
            let bound: Interval
            switch effective {
            case .lt: bound = Interval(.min, -1)
            case .le: bound = Interval(.min, 0)
            case .gt: bound = Interval(1, .max)
            case .ge: bound = Interval(0, .max)
            case .eq: bound = Interval(0, 0)
            default: return self  // `!=` says nothing about a range
            }
            return constraining(AffineForm(terms: d.terms), to: bound, minus: d.constant)
        default:
            return self
        }
    }

    /// Adds `form ∈ bound - shift`.
    private func constraining(_ form: AffineForm, to bound: Interval, minus shift: Int64) -> IntervalContext? {
        // Shift the bound, saturating at the Int64 extremes (they mean "unbounded").
        func sub(_ v: Int64) -> Int64 {
            if v == .min || v == .max { return v }
            let (r, o) = v.subtractingReportingOverflow(shift)
            return o ? (shift > 0 ? .min : .max) : r
        }
        var lo = sub(bound.lo), hi = sub(bound.hi)
        if form.terms.isEmpty { return lo <= 0 && 0 <= hi ? self : nil }
        // Normalize: order the terms by variable, divide by the gcd, make the
        // first coefficient positive.
        var terms = form.terms.sorted { name(of: $0.atom) < name(of: $1.atom) }
        let g = terms.reduce(0) { greatestCommonDivisor($0, $1.coefficient) }
        let divisor = terms[0].coefficient < 0 ? -g : g
        for i in terms.indices { terms[i].coefficient /= divisor }
        // `divisor·F ∈ [lo, hi]` ⇒ F ∈ [ceil(lo/divisor), floor(hi/divisor)] (swapped if
        // negative). Int64.min and .max stand for "unbounded" and stay so.
        func divide(_ a: Int64, roundingUp: Bool) -> Int64 {
            if a == .min || a == .max { return (a == .min) == (divisor > 0) ? .min : .max }
            let q = Interval.floorDiv(a, divisor)
            return roundingUp && q &* divisor != a ? q + 1 : q
        }
        (lo, hi) = divisor > 0
            ? (divide(lo, roundingUp: true), divide(hi, roundingUp: false))
            : (divide(hi, roundingUp: true), divide(lo, roundingUp: false))
        guard lo <= hi else { return nil }
        var range = Interval(lo, hi)
        var c = self
        if terms.count == 1, terms[0].coefficient == 1 {
            let only = name(of: terms[0].atom)
            guard let known = c.ranges[only] else { return self }
            guard let narrowed = known.intersection(range) else { return nil }
            c.ranges[only] = narrowed
            return c
        }
        let normalized = AffineForm(terms: terms)
        // Keep facts finite: what the ranges already allow bounds the fact, and
        // a fact they cannot meet makes the branch unreachable.
        if let possible = c.plainInterval(of: normalized) {
            guard let both = possible.intersection(range) else { return nil }
            range = both
        }
        if let existing = c.facts.firstIndex(where: { $0.form == normalized }) {
            guard let narrowed = c.facts[existing].range.intersection(range) else { return nil }
            c.facts[existing].range = narrowed
        } else {
            c.facts.append((normalized, range))
        }
        return c
    }
}

/// The name of a variable term (`AffineForm.Atoms.variables`).
private func name(of atom: Expr) -> String {
    guard case .variable(let name, _) = atom else { preconditionFailure("\(atom) is not a variable") }
    return name
}

extension BinaryOp {
    /// The comparison that holds exactly when this one does not (`<` ↔ `>=`).
    public var negatedComparison: BinaryOp {
        switch self {
        case .lt: .ge
        case .le: .gt
        case .gt: .le
        case .ge: .lt
        case .eq: .ne
        case .ne: .eq
        default: preconditionFailure("\(self) is not a comparison")
        }
    }
}

extension Expr {
    /// The interval of this integer expression with each variable in `ranges`,
    /// or nil when it cannot be bounded (see `IntervalContext`).
    public func interval(in ranges: [String: Interval]) -> Interval? {
        IntervalContext(ranges: ranges).interval(of: self)
    }
}
