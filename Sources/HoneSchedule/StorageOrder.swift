import HoneIR

/// Lays out buffers in the dimension order their `storage_order` steps ask
/// for: `orders[name]` lists the tensor's dimensions outermost first, and
/// every allocation, load and store of `name` is permuted to match. Indices
/// are still written per dimension, so the code generator's row-major
/// flattening makes the last dimension listed the unit-stride one.
func reorderStorage(_ stmt: Stmt, orders: [String: [Int]]) -> Stmt {
    guard !orders.isEmpty else { return stmt }
    func permuted<T>(_ values: [T], _ name: String) -> [T] {
        guard let order = orders[name] else { return values }
        return order.map { values[$0] }
    }
    func rewrite(_ expr: Expr) -> Expr {
        switch expr {
        case .int, .float, .variable: return expr
        case .load(let name, let indices, let type): return .load(name, permuted(indices.map(rewrite), name), type)
        case .unary(let op, let a): return .unary(op, rewrite(a))
        case .binary(let op, let a, let b): return .binary(op, rewrite(a), rewrite(b))
        case .call(let f, let args): return .call(f, args.map(rewrite))
        case .select(let c, let a, let b): return .select(rewrite(c), rewrite(a), rewrite(b))
        case .cast(let t, let a): return .cast(t, rewrite(a))
        }
    }
    func rewrite(_ stmt: Stmt) -> Stmt {
        switch stmt {
        case .loop(var loop):
            loop.min = rewrite(loop.min)
            loop.extent = rewrite(loop.extent)
            loop.body = rewrite(loop.body)
            return .loop(loop)
        case .store(let name, let indices, let value):
            return .store(name, permuted(indices.map(rewrite), name), rewrite(value))
        case .allocate(var buffer, let body):
            buffer.shape = permuted(buffer.shape, buffer.name)
            return .allocate(buffer, rewrite(body))
        case .letStmt(let name, let value, let body): return .letStmt(name, rewrite(value), rewrite(body))
        case .ifThenElse(let c, let then, let otherwise, let facts): return .ifThenElse(rewrite(c), rewrite(then), otherwise.map(rewrite), facts)
        case .block(let stmts): return .block(stmts.map(rewrite))
        }
    }
    return rewrite(stmt)
}
