/// A typed scalar expression: the right-hand side of a kernel stage and the
/// values of the loop IR.
///
/// Semantics, fixed here for every consumer (interpreter, codegen, features):
/// - Integer `div` and `mod` use floor semantics (`-1 / 2 == -1`, `-1 % 2 == 1`);
///   the divisor of an index expression is a positive constant.
/// - `select(c, a, b)` yields `a` where `c` holds and `b` elsewhere. Both branches
///   may be evaluated (the code generator uses vector selects), so loads in the
///   branch not taken must not fault: elaboration clamps every index that is only
///   in bounds under the condition (`Kernel.clampingGuardedLoads()` does the same
///   for kernels built in code).
/// - Float operations follow IEEE single/double precision; reductions may be
///   reassociated by a schedule, so results are compared with a tolerance.
public indirect enum Expr: Hashable, Sendable {
    /// An integer constant of type `.index` or `.i32` (or `.bool` for 0/1).
    case int(Int64, ScalarType)
    /// A float constant of type `.f32` or `.f64`.
    case float(Double, ScalarType)
    /// A loop or index variable (type `.index`) or a `let`-bound value.
    case variable(String, ScalarType)
    /// An element of a tensor or buffer, one index per dimension.
    case load(String, [Expr], ScalarType)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case call(MathFunction, [Expr])
    case select(Expr, Expr, Expr)
    case cast(ScalarType, Expr)

    /// The type of the value this expression produces.
    public var type: ScalarType {
        switch self {
        case .int(_, let t), .float(_, let t), .variable(_, let t), .load(_, _, let t): t
        case .unary(let op, let a): op == .not ? .bool : a.type
        case .binary(let op, let a, let b): op.isComparison || op.isLogical ? .bool : ScalarType.promoted(a.type, b.type)
        case .call(_, let args): args.map(\.type).reduce(args[0].type, ScalarType.promoted)
        case .select(_, let a, let b): ScalarType.promoted(a.type, b.type)
        case .cast(let t, _): t
        }
    }

    /// An index constant.
    public static func index(_ v: Int) -> Expr { .int(Int64(v), .index) }
    /// An index variable.
    public static func indexVar(_ name: String) -> Expr { .variable(name, .index) }
}

public enum UnaryOp: String, Hashable, Sendable, Codable {
    case neg, not
}

public enum BinaryOp: String, Hashable, Sendable, Codable {
    case add, sub, mul, div, mod, min, max
    case eq, ne, lt, le, gt, ge
    case and, or

    public var isComparison: Bool {
        switch self {
        case .eq, .ne, .lt, .le, .gt, .ge: true
        default: false
        }
    }
    public var isLogical: Bool { self == .and || self == .or }

    /// The operator as written in the kernel language and the loop printer.
    public var symbol: String {
        switch self {
        case .add: "+"
        case .sub: "-"
        case .mul: "*"
        case .div: "/"
        case .mod: "%"
        case .min: "min"
        case .max: "max"
        case .eq: "=="
        case .ne: "!="
        case .lt: "<"
        case .le: "<="
        case .gt: ">"
        case .ge: ">="
        case .and: "&&"
        case .or: "||"
        }
    }
}

/// Math functions callable from the kernel language. All take float arguments
/// except `abs`, which also accepts integers. (`min` and `max` of two values are
/// the binary operators of the same names.)
public enum MathFunction: String, Hashable, Sendable, Codable, CaseIterable {
    case exp, log, sqrt, tanh, abs, floor, ceil, sin, cos, pow

    public var arity: Int { self == .pow ? 2 : 1 }
}
