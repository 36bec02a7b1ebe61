import HoneIR

/// Lays out buffers in the dimension order their `storage_order` steps ask
/// for: `orders[name]` lists the tensor's dimensions outermost first, and
/// every allocation, load and store of `name` is permuted to match. Indices
/// are still written per dimension, so the code generator's row-major
/// flattening makes the last dimension listed the unit-stride one.
func reorderStorage(_ stmt: Stmt, orders: [String: [Int]]) -> Stmt {
    guard !orders.isEmpty else { return stmt }
    var reorder = StorageReordering(orders: orders)
    return reorder.rewritten(stmt)
}

private struct StorageReordering: StmtRewriter {
    let orders: [String: [Int]]

    func permuted<T>(_ values: [T], _ name: String) -> [T] {
        guard let order = orders[name] else { return values }
        return order.map { values[$0] }
    }

    mutating func rewrite(_ e: Expr) -> Expr? {
        guard case .load(let name, let indices, let type) = e, orders[name] != nil else { return rewriteChildren(of: e) }
        return .load(name, permuted(Expr.map(indices) { rewrite($0) } ?? indices, name), type)
    }

    mutating func rewrite(_ s: Stmt) -> Stmt? {
        switch s {
        case .store(let name, let indices, let value) where orders[name] != nil:
            return .store(name, permuted(Expr.map(indices) { rewrite($0) } ?? indices, name), rewritten(value))
        case .allocate(var buffer, let body) where orders[buffer.name] != nil:
            buffer.shape = permuted(buffer.shape, buffer.name)
            return .allocate(buffer, rewritten(body))
        default:
            return rewriteChildren(of: s)
        }
    }
}
