extension Expr {
    /// Calls `visit` on this expression and every subexpression, parents first.
    public func forEachNode(_ visit: (Expr) -> Void) {
        visit(self)
        switch self {
        case .int, .float, .variable: break
        case .load(_, let indices, _): for index in indices { index.forEachNode(visit) }
        case .unary(_, let a), .cast(_, let a): a.forEachNode(visit)
        case .binary(_, let a, let b):
            a.forEachNode(visit)
            b.forEachNode(visit)
        case .call(_, let args): for arg in args { arg.forEachNode(visit) }
        case .select(let c, let a, let b):
            c.forEachNode(visit)
            a.forEachNode(visit)
            b.forEachNode(visit)
        }
    }
}
