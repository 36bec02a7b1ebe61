/// Hone's loop IR: what a kernel plus a schedule lowers to, and what the code
/// generator, the feature extractor and the printer consume.
///
/// Buffers are addressed with one index per dimension; the code generator
/// flattens them row-major using each buffer's shape. Loop bounds and indices
/// are `.index` expressions over enclosing loop variables and `let` names.
public struct LoopNest: Hashable, Sendable {
    public var name: String
    /// The function's buffer arguments in calling order (inputs, then output).
    public var arguments: [Buffer]
    public var body: Stmt

    public init(name: String, arguments: [Buffer], body: Stmt) {
        self.name = name
        self.arguments = arguments
        self.body = body
    }
}

/// A buffer in the loop IR: a function argument or an allocation.
public struct Buffer: Hashable, Sendable {
    public var name: String
    public var type: ScalarType
    public var shape: [Int]
    public var memory: MemoryKind

    public init(name: String, type: ScalarType, shape: [Int], memory: MemoryKind = .heap) {
        self.name = name
        self.type = type
        self.shape = shape
        self.memory = memory
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * type.byteSize }
}

/// Where an allocation lives. Arguments are `.heap` (the caller owns them).
public enum MemoryKind: String, Hashable, Sendable, Codable {
    /// malloc'ed (aligned) for the allocation's scope: large intermediates.
    case heap
    /// On the stack of the enclosing function or parallel task: small tiles.
    case stack
    /// A small accumulator the code generator keeps in registers when it can
    /// (fully unrolled or vectorized accesses): cache_write targets.
    case register
}

public enum LoopKind: String, Hashable, Sendable, Codable {
    case serial
    /// Iterations are distributed over OpenMP threads.
    case parallel
    /// The body is computed as one vector of `extent` lanes (constant extent).
    case vectorized
    /// The body is repeated `extent` times by the code generator (constant extent).
    case unrolled
}

public struct Loop: Hashable, Sendable {
    public var variable: String
    public var min: Expr
    public var extent: Expr
    public var kind: LoopKind
    public var body: Stmt

    public init(_ variable: String, min: Expr = .index(0), extent: Expr, kind: LoopKind = .serial, body: Stmt) {
        self.variable = variable
        self.min = min
        self.extent = extent
        self.kind = kind
        self.body = body
    }
}

public indirect enum Stmt: Hashable, Sendable {
    case loop(Loop)
    /// `buffer[indices] = value`.
    case store(String, [Expr], Expr)
    /// Allocate `buffer` for the duration of `body`.
    case allocate(Buffer, Stmt)
    /// Bind `name` to `value` within `body`.
    case letStmt(String, Expr, Stmt)
    /// `if condition { then } else { otherwise }`, with what lowering knew
    /// of the test (`IfFacts`); transformations keep the facts.
    case ifThenElse(Expr, Stmt, Stmt?, IfFacts = .unknown)
    case block([Stmt])

    /// A block that drops empty blocks and does not nest a single statement.
    public static func sequence(_ stmts: [Stmt]) -> Stmt {
        let flat = stmts.flatMap { s -> [Stmt] in
            if case .block(let inner) = s { return inner }
            return [s]
        }
        return flat.count == 1 ? flat[0] : .block(flat)
    }
}

extension Stmt {
    /// Whether any loop in the statement runs in parallel (the code then calls OpenMP).
    public var containsParallelLoop: Bool {
        !walk(stmt: { if case .loop(let loop) = $0, loop.kind == .parallel { .stop } else { .visitChildren } },
              expr: { _ in .skipChildren })
    }
}

/// What lowering knew of an `if` when it made it.
public struct IfFacts: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// A tile test: `then` is a copy of the subtree without the checks
        /// the test implies (the fast path), `otherwise` the guarded copy.
        case partition
        /// A per-point check: a split's tail (`i < 1000` after a split that
        /// does not divide 1000) or a region point outside its tensor.
        case tailGuard
        /// Made by hand or by another pass: nothing is known.
        case other
    }

    /// Exact counts: how many times the test is evaluated, and how many of
    /// those it holds. Either way `holds / evaluations` is the exact
    /// fraction of the test's evaluations that take `then`.
    public struct Counts: Hashable, Sendable {
        /// What the counts are taken over.
        public enum Scope: Hashable, Sendable {
            /// One run of the stage's loop nest the `if` belongs to: every
            /// run counts the same, wherever the nest is computed.
            case stageNestRun
            /// One run of the kernel, summed over every run of the nest: for
            /// tests whose outcome moves with loops outside it (a region's
            /// bounds under a consumer's tile).
            case kernelRun
        }

        public var evaluations: Int64
        public var holds: Int64
        public var scope: Scope

        public init(evaluations: Int64, holds: Int64, scope: Scope = .stageNestRun) {
            precondition(0 <= holds && holds <= evaluations, "if counts: \(holds) of \(evaluations)")
            self.evaluations = evaluations
            self.holds = holds
            self.scope = scope
        }
    }

    public var kind: Kind
    /// Nil when the test reads memory or loops of variable bounds, or its
    /// counts were too costly to take.
    public var counts: Counts?

    public init(kind: Kind, counts: Counts? = nil) {
        self.kind = kind
        self.counts = counts
    }

    public static let unknown = IfFacts(kind: .other)
}

extension LoopNest {
    /// How many times each store runs over the whole nest, in program
    /// order, from what lowering recorded: the extents of the loops around
    /// it times, for each `if` around it, the fraction of the test's
    /// evaluations that take the store's branch. Nil for a store under a
    /// loop of variable extent or an `if` without counts.
    public var storePointCounts: [Int64?] {
        var counts: [Int64?] = []
        func walk(_ s: Stmt, _ numerator: Int64, _ denominator: Int64, _ known: Bool) {
            switch s {
            case .loop(let loop):
                guard case .int(let e, _) = loop.extent else { return walk(loop.body, numerator, denominator, false) }
                let (n, overflow) = numerator.multipliedReportingOverflow(by: max(e, 0))
                walk(loop.body, n, denominator, known && !overflow)
            case .store:
                counts.append(known && numerator % denominator == 0 ? numerator / denominator : nil)
            case .allocate(_, let body), .letStmt(_, _, let body):
                walk(body, numerator, denominator, known)
            case .ifThenElse(_, let then, let otherwise, let facts):
                guard let c = facts.counts else {
                    walk(then, numerator, denominator, false)
                    otherwise.map { walk($0, numerator, denominator, false) }
                    return
                }
                guard c.evaluations > 0 else {
                    // Never reached: nothing below runs.
                    walk(then, 0, 1, known)
                    otherwise.map { walk($0, 0, 1, known) }
                    return
                }
                for (branch, taken) in [(then, c.holds), (otherwise, c.evaluations - c.holds)] {
                    guard let branch else { continue }
                    // numerator/denominator · taken/evaluations, kept in lowest terms.
                    let g1 = greatestCommonDivisor(numerator, c.evaluations), g2 = greatestCommonDivisor(taken, denominator)
                    let (n, o1) = (numerator / max(g1, 1)).multipliedReportingOverflow(by: taken / max(g2, 1))
                    let (d, o2) = (denominator / max(g2, 1)).multipliedReportingOverflow(by: c.evaluations / max(g1, 1))
                    let g = max(greatestCommonDivisor(n, d), 1)
                    walk(branch, n / g, d / g, known && !o1 && !o2)
                }
            case .block(let stmts):
                for stmt in stmts { walk(stmt, numerator, denominator, known) }
            }
        }
        walk(body, 1, 1, true)
        return counts
    }
}
