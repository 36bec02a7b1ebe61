// The affine view of integer expressions, shared by interval analysis,
// bounds inference, the simplifier and lowering.

/// An integer expression as `Σ coefficient·atom + constant`.
///
/// What an atom is depends on the use (`AffineForm.Atoms`): interval
/// analysis wants sums of variables only; the simplifier and bounds
/// inference take any index expression that is not itself a sum (a load, a
/// division, a `min`) as an opaque term. Terms keep the order in which their
/// atoms first appear, so printed indices read as written; equal atoms
/// share one term and no coefficient is zero. Equality ignores the order.
///
/// All arithmetic is checked: where a coefficient or the constant would
/// overflow Int64, the expression is not affine (nil), never a trap.
public struct AffineForm: Sendable, Equatable, CustomStringConvertible {
    public typealias Term = (atom: Expr, coefficient: Int64)

    /// Which subexpressions may be terms of a form.
    public enum Atoms: Sendable {
        /// Integer variables only; casts between integer types are looked
        /// through, and a product is affine when one side's form is a
        /// constant. Anything else (a division, a load) is not affine.
        case variables
        /// Any `.index` expression that is not a sum, difference, negation or
        /// product with an integer literal: variables, loads, divisions,
        /// `min`/`max`, products of two variables. Non-index terms are not affine.
        case indexExpressions
    }

    public var terms: [Term]
    public var constant: Int64

    /// `Σ terms + constant`; terms with a zero coefficient are dropped, equal
    /// atoms are not merged (pass distinct ones).
    public init(terms: [Term] = [], constant: Int64 = 0) {
        self.terms = terms.filter { $0.coefficient != 0 }
        self.constant = constant
    }

    /// The affine form of an integer expression, or nil when it is not
    /// affine over `atoms` or a coefficient overflows.
    public init?(_ e: Expr, atoms: Atoms = .variables) {
        self.init()
        guard add(e, times: 1, atoms) else { return nil }
        terms.removeAll { $0.coefficient == 0 }
    }

    public var isConstant: Bool { terms.isEmpty }

    /// The coefficient of `atom` (0 when it is not a term).
    public func coefficient(of atom: Expr) -> Int64 {
        terms.first { $0.atom == atom }?.coefficient ?? 0
    }

    /// The coefficient of the variable `name` (0 when it is not a term).
    public func coefficient(ofVariable name: String) -> Int64 {
        terms.first { if case .variable(name, _) = $0.atom { true } else { false } }?.coefficient ?? 0
    }

    public static func == (a: AffineForm, b: AffineForm) -> Bool {
        a.constant == b.constant && a.terms.count == b.terms.count
            && a.terms.allSatisfy { b.coefficient(of: $0.atom) == $0.coefficient }
    }

    // MARK: Building

    /// Adds `scale·e`; false when `e` is not affine or a value overflows.
    private mutating func add(_ e: Expr, times scale: Int64, _ atoms: Atoms) -> Bool {
        switch e {
        case .int(let v, let t):
            guard t != .bool || atoms == .indexExpressions, let p = Checked.mul(v, scale), let sum = Checked.add(constant, p) else { return false }
            constant = sum
            return true
        case .binary(.add, let a, let b):
            return add(a, times: scale, atoms) && add(b, times: scale, atoms)
        case .binary(.sub, let a, let b):
            guard let negated = Checked.mul(scale, -1) else { return false }
            return add(a, times: scale, atoms) && add(b, times: negated, atoms)
        case .unary(.neg, let a):
            guard let negated = Checked.mul(scale, -1) else { return false }
            return add(a, times: negated, atoms)
        case .binary(.mul, let a, let b):
            if let k = Self.literal(b, atoms) {
                guard let s = Checked.mul(scale, k) else { return false }
                return add(a, times: s, atoms)
            }
            if let k = Self.literal(a, atoms) {
                guard let s = Checked.mul(scale, k) else { return false }
                return add(b, times: s, atoms)
            }
            switch atoms {
            case .indexExpressions:
                return e.type == .index && addAtom(e, times: scale)
            case .variables:
                guard let x = AffineForm(a, atoms: atoms), let y = AffineForm(b, atoms: atoms) else { return false }
                if x.isConstant, let product = y.scaled(by: x.constant) { return adding(product, times: scale) }
                if y.isConstant, let product = x.scaled(by: y.constant) { return adding(product, times: scale) }
                return false
            }
        case .variable(_, let t) where atoms == .variables:
            return t.isInteger && addAtom(e, times: scale)
        case .cast(let t, let a) where atoms == .variables:
            return t.isInteger && a.type.isInteger && add(a, times: scale, atoms)
        default:
            return atoms == .indexExpressions && e.type == .index && addAtom(e, times: scale)
        }
    }

    private static func literal(_ e: Expr, _ atoms: Atoms) -> Int64? {
        guard case .int(let v, let t) = e, t != .bool || atoms == .indexExpressions else { return nil }
        return v
    }

    private mutating func addAtom(_ atom: Expr, times scale: Int64) -> Bool {
        if let i = terms.firstIndex(where: { $0.atom == atom }) {
            guard let sum = Checked.add(terms[i].coefficient, scale) else { return false }
            terms[i].coefficient = sum
        } else {
            terms.append((atom, scale))
        }
        return true
    }

    /// Adds `k·other` in place; false on overflow (self is then unspecified).
    private mutating func adding(_ other: AffineForm, times k: Int64) -> Bool {
        for (atom, c) in other.terms {
            guard let kc = Checked.mul(c, k), addAtom(atom, times: kc) else { return false }
        }
        guard let kc = Checked.mul(other.constant, k), let sum = Checked.add(constant, kc) else { return false }
        constant = sum
        return true
    }

    // MARK: Arithmetic

    /// `self + k·other`, nil on overflow.
    public func adding(_ other: AffineForm, times k: Int64) -> AffineForm? {
        var result = self
        guard result.adding(other, times: k) else { return nil }
        result.terms.removeAll { $0.coefficient == 0 }
        return result
    }

    /// `k·self`, nil on overflow.
    public func scaled(by k: Int64) -> AffineForm? {
        var result = AffineForm()
        guard result.adding(self, times: k) else { return nil }
        result.terms.removeAll { $0.coefficient == 0 }
        return result
    }

    /// Splits into `d·quotient + remainder` (d > 0): terms that are multiples
    /// of `d` (and the constant's multiple of d) go to the quotient. A term
    /// `c·a` is one when d divides c, or when `a` is known to be a multiple of
    /// d / gcd(c, d) (`isMultiple(a, m)`); its quotient is then `(c/g)·(a / (d/g))`.
    public func divided(by d: Int64, isMultiple: (Expr, Int64) -> Bool = { _, _ in false }) -> (quotient: AffineForm, remainder: AffineForm) {
        var q = AffineForm(constant: Interval.floorDiv(constant, d))
        var r = AffineForm(constant: Interval.floorMod(constant, d))
        for term in terms {
            let g = greatestCommonDivisor(term.coefficient, d)
            if g == d {
                q.terms.append((term.atom, term.coefficient / d))
            } else if isMultiple(term.atom, d / g) {
                q.terms.append((.binary(.div, term.atom, .int(d / g, .index)), term.coefficient / g))
            } else {
                r.terms.append(term)
            }
        }
        return (q, r)
    }

    // MARK: Output

    /// The form as an `.index` expression: terms in order, a negative
    /// coefficient as a subtraction, the constant last.
    public var expression: Expr {
        var result: Expr? = nil
        for (atom, c) in terms {
            let term: Expr = c == 1 ? atom : c == -1 ? .unary(.neg, atom) : .binary(.mul, atom, .int(c, .index))
            if let sum = result {
                if c < 0 && c != Int64.min {
                    let positive: Expr = c == -1 ? atom : .binary(.mul, atom, .int(-c, .index))
                    result = .binary(.sub, sum, positive)
                } else {
                    result = .binary(.add, sum, term)
                }
            } else {
                result = term
            }
        }
        guard let sum = result else { return .int(constant, .index) }
        if constant == 0 { return sum }
        return constant > 0 || constant == .min ? .binary(.add, sum, .int(constant, .index)) : .binary(.sub, sum, .int(-constant, .index))
    }

    public var description: String { expression.description }
}

/// Int64 arithmetic that reports overflow as nil.
enum Checked {
    static func add(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }
    static func sub(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.subtractingReportingOverflow(b)
        return o ? nil : r
    }
    static func mul(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }
}

/// The greatest common divisor of the magnitudes (gcd(0, b) = |b|).
public func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var x = a.magnitude, y = b.magnitude
    while y != 0 { (x, y) = (y, x % y) }
    return Int64(x)
}
