// Rewriters in the manner of Halide's IRMutator: a pass overrides `rewrite`
// for the cases it changes and hands every other node to `rewriteChildren`.
// "Unchanged" is nil, so an untouched subtree is neither rebuilt nor
// compared: a pass that changes nothing allocates nothing and returns the
// very value it was given.

/// A rewriting pass over expressions.
///
///     struct Renamer: ExprRewriter {
///         mutating func rewrite(_ e: Expr) -> Expr? {
///             if case .variable("x", let t) = e { return .variable("y", t) }
///             return rewriteChildren(of: e)
///         }
///     }
public protocol ExprRewriter {
    /// The replacement of `e`, or nil to keep it. The default rewrites the
    /// children of `e` (`rewriteChildren(of:)`).
    mutating func rewrite(_ e: Expr) -> Expr?
}

extension ExprRewriter {
    @inlinable
    public mutating func rewrite(_ e: Expr) -> Expr? { rewriteChildren(of: e) }

    /// `e` with its children rewritten, or nil when none changed.
    @inlinable
    public mutating func rewriteChildren(of e: Expr) -> Expr? { e.mapChildren { rewrite($0) } }

    /// `e` rewritten: `e` itself when nothing changed.
    @inlinable
    public mutating func rewritten(_ e: Expr) -> Expr { rewrite(e) ?? e }
}

/// A rewriting pass over loop-nest statements and the expressions in them.
/// Statements the pass does not override are rebuilt around their rewritten
/// children (`rewriteChildren(of:)`); expressions go to `rewrite(_: Expr)`.
public protocol StmtRewriter: ExprRewriter {
    /// The replacement of `s`, or nil to keep it. The default rewrites the
    /// children of `s` (`rewriteChildren(of:)`).
    mutating func rewrite(_ s: Stmt) -> Stmt?
}

extension StmtRewriter {
    @inlinable
    public mutating func rewrite(_ s: Stmt) -> Stmt? { rewriteChildren(of: s) }

    /// `s` with its expressions and sub-statements rewritten, or nil when none changed.
    @inlinable
    public mutating func rewriteChildren(of s: Stmt) -> Stmt? {
        s.mapChildren(expr: { rewrite($0) }, stmt: { rewrite($0) })
    }

    /// `s` rewritten: `s` itself when nothing changed.
    @inlinable
    public mutating func rewritten(_ s: Stmt) -> Stmt { rewrite(s) ?? s }
}

extension Expr {
    /// Rewrites top-down: where `transform` returns an expression, it replaces
    /// the node (and is not entered); elsewhere the children are rewritten.
    /// Returns `self` when `transform` returned nil everywhere.
    @inlinable
    public func rewritten(_ transform: (Expr) throws -> Expr?) rethrows -> Expr {
        func rewrite(_ e: Expr) throws -> Expr? {
            if let new = try transform(e) { return new }
            return try e.mapChildren(rewrite)
        }
        return try rewrite(self) ?? self
    }
}

// MARK: - Substitution

/// Replaces variables for which `replacement` returns an expression.
public func substitute(_ expr: Expr, _ replacement: (String) -> Expr?) -> Expr {
    expr.rewritten { if case .variable(let name, _) = $0 { replacement(name) } else { nil } }
}

/// Replaces every load of a tensor for which `replacement` returns an
/// expression; `replacement` gets the load's indices already substituted.
public func substituteLoads(_ expr: Expr, _ replacement: (String, [Expr]) -> Expr?) -> Expr {
    func rewrite(_ e: Expr) -> Expr? {
        guard case .load(let name, let indices, let t) = e else { return e.mapChildren(rewrite) }
        let inner = Expr.map(indices, rewrite)
        return replacement(name, inner ?? indices) ?? inner.map { .load(name, $0, t) }
    }
    return rewrite(expr) ?? expr
}
