// Structural traversal of expressions: the one place that knows which
// children each `Expr` case has. Visitors (`walk`, `forEachNode`) and
// rewriters (`ExprRewriter`) are built on `mapChildren`, so a pass states
// only the cases it cares about.

/// What a pre-order visitor does after seeing a node.
public enum WalkAction: Sendable {
    /// Visit the node's children next.
    case visitChildren
    /// Leave the node's children out and go on with its next sibling.
    case skipChildren
    /// End the whole walk.
    case stop
}

extension Expr {
    /// This expression with each child replaced by `transform(child)`, or nil
    /// when `transform` returned nil for every child (nothing is rebuilt then).
    /// Children are passed left to right: load indices, operands, arguments,
    /// condition before branches.
    @inlinable
    public func mapChildren(_ transform: (Expr) throws -> Expr?) rethrows -> Expr? {
        switch self {
        case .int, .float, .variable:
            return nil
        case .load(let name, let indices, let t):
            return try Expr.map(indices, transform).map { .load(name, $0, t) }
        case .unary(let op, let a):
            return try transform(a).map { .unary(op, $0) }
        case .cast(let t, let a):
            return try transform(a).map { .cast(t, $0) }
        case .binary(let op, let a, let b):
            let x = try transform(a), y = try transform(b)
            if x == nil && y == nil { return nil }
            return .binary(op, x ?? a, y ?? b)
        case .call(let f, let args):
            return try Expr.map(args, transform).map { .call(f, $0) }
        case .select(let c, let a, let b):
            let x = try transform(c), y = try transform(a), z = try transform(b)
            if x == nil && y == nil && z == nil { return nil }
            return .select(x ?? c, y ?? a, z ?? b)
        }
    }

    /// `exprs` with each element replaced by `transform(element)`, or nil when
    /// `transform` returned nil for all of them. The array is copied only
    /// from the first change on.
    @inlinable
    public static func map(_ exprs: [Expr], _ transform: (Expr) throws -> Expr?) rethrows -> [Expr]? {
        var result: [Expr]? = nil
        for i in exprs.indices {
            guard let new = try transform(exprs[i]) else { continue }
            if result == nil { result = exprs }
            result![i] = new
        }
        return result
    }

    /// Calls `visit` on each child, left to right.
    @inlinable
    public func forEachChild(_ visit: (Expr) throws -> Void) rethrows {
        _ = try mapChildren { try visit($0); return nil }
    }

    /// Visits this expression and its subexpressions in pre-order; `visit`
    /// says whether to enter a node's children. Returns false when a visit
    /// stopped the walk.
    @inlinable @discardableResult
    public func walk(_ visit: (Expr) throws -> WalkAction) rethrows -> Bool {
        switch try visit(self) {
        case .stop: return false
        case .skipChildren: return true
        case .visitChildren: break
        }
        var going = true
        try forEachChild { child in
            if going { going = try child.walk(visit) }
        }
        return going
    }

    /// Calls `visit` on this expression and every subexpression, parents first.
    @inlinable
    public func forEachNode(_ visit: (Expr) throws -> Void) rethrows {
        try walk { try visit($0); return .visitChildren }
    }

    /// Whether this expression or a subexpression satisfies `predicate`
    /// (the walk ends at the first that does).
    @inlinable
    public func contains(where predicate: (Expr) throws -> Bool) rethrows -> Bool {
        try !walk { try predicate($0) ? .stop : .visitChildren }
    }
}

// MARK: - Queries

extension Expr {
    /// Adds the names of the variables this expression uses.
    public func collectVariables(into names: inout Set<String>) {
        forEachNode { if case .variable(let name, _) = $0 { names.insert(name) } }
    }

    /// Whether the expression uses any of `names`.
    public func mentions(anyOf names: some Collection<String>) -> Bool {
        contains { if case .variable(let name, _) = $0 { names.contains(name) } else { false } }
    }

    /// The number of nodes, counting no further than `limit + 1`.
    public func nodeCount(upTo limit: Int) -> Int {
        var count = 0
        walk { _ in
            count += 1
            return count <= limit ? .visitChildren : .stop
        }
        return count
    }
}

/// The variables an expression mentions.
public func variables(in expr: Expr) -> Set<String> {
    var names = Set<String>()
    expr.collectVariables(into: &names)
    return names
}

/// The names of the tensors an expression reads.
public func tensorsRead(by expr: Expr) -> Set<String> {
    var names = Set<String>()
    expr.forEachNode { if case .load(let name, _, _) = $0 { names.insert(name) } }
    return names
}

/// The index lists of every load of `tensor` in `expr`, in pre-order.
public func loads(of tensor: String, in expr: Expr) -> [[Expr]] {
    var found: [[Expr]] = []
    expr.forEachNode { if case .load(tensor, let indices, _) = $0 { found.append(indices) } }
    return found
}
