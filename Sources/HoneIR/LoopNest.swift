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
    case ifThenElse(Expr, Stmt, Stmt?)
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
