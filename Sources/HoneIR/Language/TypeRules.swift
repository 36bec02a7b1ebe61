// Typing of kernel-language expressions.
//
// - Index variables, reduction variables, parameters and integer literals are
//   `.index`; loads have their tensor's element type.
// - A float literal has no type of its own: it adopts the float type of the
//   value it meets (`x * 2.0` stays f32 when x is), and where it meets none,
//   the type of the stage it belongs to (f32 for an i32 stage).
// - Operands of every binary operation end up with identical types: an
//   integer meeting a float is converted with an explicit `.cast` (constants
//   are converted in place), i32 meeting index becomes index, f32 meeting f64
//   becomes f64. Comparisons, `&&`, `||` and `!` give `.bool`.
// - `/` and `%` on integers are floor division and floor modulo; `%` needs
//   integers.

/// An elaborated expression whose float type may still be open: `isUntyped`
/// means every float in it is a literal waiting to adopt a type (its
/// placeholder type is the stage's default float type).
struct TypedExpr {
    var expr: Expr
    var isUntyped: Bool

    init(_ expr: Expr, untyped: Bool = false) {
        self.expr = expr
        self.isUntyped = untyped
    }

    var type: ScalarType { expr.type }
}

enum TypeRules {
    /// Gives every literal of an untyped expression the float type `t`.
    static func retype(_ e: Expr, to t: ScalarType) -> Expr {
        switch e {
        case .float(let v, _): .float(v, t)
        case .unary(.neg, let a): .unary(.neg, retype(a, to: t))
        case .binary(let op, let a, let b) where !op.isComparison && !op.isLogical:
            .binary(op, retype(a, to: t), retype(b, to: t))
        case .call(let f, let args): .call(f, args.map { retype($0, to: t) })
        case .select(let c, let a, let b): .select(c, retype(a, to: t), retype(b, to: t))
        default: e
        }
    }

    /// `e` converted to `t`; constants are converted in place.
    static func cast(_ e: Expr, to t: ScalarType) -> Expr {
        if e.type == t { return e }
        switch e {
        case .int(let v, _) where t.isFloat:
            return .float(Double(v), t)
        case .int(let v, _) where t == .index:
            return .int(v, .index)
        case .int(let v, _) where t == .i32 && Int64(Int32.min) <= v && v <= Int64(Int32.max):
            return .int(v, .i32)
        case .float(let v, _) where t.isFloat:
            return .float(v, t)
        default:
            return .cast(t, e)
        }
    }

    /// The expression with its open float type settled to `t`.
    static func settle(_ e: TypedExpr, default t: ScalarType) -> Expr {
        e.isUntyped ? retype(e.expr, to: t) : e.expr
    }

    /// Brings two numeric operands to one type (see the rules above).
    static func unify(_ a: TypedExpr, _ b: TypedExpr, defaultFloat: ScalarType) -> (Expr, Expr, untyped: Bool) {
        switch (a.isUntyped, b.isUntyped) {
        case (true, true):
            return (a.expr, b.expr, true)
        case (true, false):
            let t = b.type.isFloat ? b.type : defaultFloat
            return (retype(a.expr, to: t), cast(b.expr, to: t), false)
        case (false, true):
            let t = a.type.isFloat ? a.type : defaultFloat
            return (cast(a.expr, to: t), retype(b.expr, to: t), false)
        case (false, false):
            let t = ScalarType.promoted(a.type, b.type)
            return (cast(a.expr, to: t), cast(b.expr, to: t), false)
        }
    }

    /// Folds integer arithmetic on two `.index` constants and drops identities
    /// (`x + 0`, `x * 1`, …). Returns nil when there is nothing to fold; throws
    /// a message on overflow or division by zero.
    static func fold(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> Result<Expr, FoldError>? {
        if case .int(let x, .index) = a, case .int(let y, .index) = b {
            let r: Int64?
            switch op {
            case .add: r = Checked.add(x, y)
            case .sub: r = Checked.sub(x, y)
            case .mul: r = Checked.mul(x, y)
            case .div, .mod:
                guard y != 0 else { return .failure(.divisionByZero) }
                if x == .min && y == -1 { r = nil } else {
                    r = op == .div ? Interval.floorDiv(x, y) : Interval.floorMod(x, y)
                }
            case .min: r = Swift.min(x, y)
            case .max: r = Swift.max(x, y)
            default: return nil
            }
            guard let r else { return .failure(.overflow) }
            return .success(.int(r, .index))
        }
        guard a.type == .index else { return nil }
        switch (op, a.integerConstant, b.integerConstant) {
        case (.add, _, 0), (.sub, _, 0), (.mul, _, 1), (.div, _, 1): return .success(a)
        case (.add, 0, _), (.mul, 1, _): return .success(b)
        default: return nil
        }
    }

    enum FoldError: Error { case overflow, divisionByZero }
}
