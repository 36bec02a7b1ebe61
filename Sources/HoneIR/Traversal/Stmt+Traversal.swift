// Structural traversal of loop-nest statements: the one place that knows
// which expressions and statements each `Stmt` case holds. `StmtRewriter`
// and `walk` are built on `mapChildren`; a new case or a new field of a case
// is handled here and nowhere else.

extension Stmt {
    /// This statement with each child expression replaced by `expr(child)`
    /// and each child statement by `stmt(child)`, or nil when every call
    /// returned nil. Children are passed in order: a loop's min, extent and
    /// body; a store's indices and value; a `let`'s value and body; an `if`'s
    /// condition, then and else branches (the `if`'s facts are kept); a block's statements.
    @inlinable
    public func mapChildren(expr: (Expr) throws -> Expr?, stmt: (Stmt) throws -> Stmt?) rethrows -> Stmt? {
        switch self {
        case .loop(var loop):
            let min = try expr(loop.min), extent = try expr(loop.extent), body = try stmt(loop.body)
            if min == nil && extent == nil && body == nil { return nil }
            loop.min = min ?? loop.min
            loop.extent = extent ?? loop.extent
            loop.body = body ?? loop.body
            return .loop(loop)
        case .store(let name, let indices, let value):
            let newIndices = try Expr.map(indices, expr), newValue = try expr(value)
            if newIndices == nil && newValue == nil { return nil }
            return .store(name, newIndices ?? indices, newValue ?? value)
        case .allocate(let buffer, let body):
            return try stmt(body).map { .allocate(buffer, $0) }
        case .letStmt(let name, let value, let body):
            let newValue = try expr(value), newBody = try stmt(body)
            if newValue == nil && newBody == nil { return nil }
            return .letStmt(name, newValue ?? value, newBody ?? body)
        case .ifThenElse(let condition, let then, let otherwise, let facts):
            let c = try expr(condition), t = try stmt(then), e = try otherwise.flatMap(stmt)
            if c == nil && t == nil && e == nil { return nil }
            return .ifThenElse(c ?? condition, t ?? then, e ?? otherwise, facts)
        case .block(let stmts):
            var result: [Stmt]? = nil
            for i in stmts.indices {
                guard let new = try stmt(stmts[i]) else { continue }
                if result == nil { result = stmts }
                result![i] = new
            }
            return result.map { .block($0) }
        }
    }

    /// Visits this statement, its sub-statements and their expressions in
    /// pre-order: each statement with `stmt`, then (when it says
    /// `.visitChildren`) its expressions and sub-statements in the order of
    /// `mapChildren`, each expression tree walked with `expr`. Returns false
    /// when a visit stopped the walk.
    @inlinable @discardableResult
    public func walk(stmt: (Stmt) throws -> WalkAction = { _ in .visitChildren },
                     expr: (Expr) throws -> WalkAction = { _ in .visitChildren }) rethrows -> Bool {
        switch try stmt(self) {
        case .stop: return false
        case .skipChildren: return true
        case .visitChildren: break
        }
        var going = true
        _ = try mapChildren(
            expr: { e in
                if going { going = try e.walk(expr) }
                return nil
            },
            stmt: { s in
                if going { going = try s.walk(stmt: stmt, expr: expr) }
                return nil
            })
        return going
    }
}
