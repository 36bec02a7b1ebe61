// Size estimates of loop nests, for the budgets that keep compile times and
// parallel overheads in check.

/// How many times a loop nest enters a parallel region: the iterations of
/// the loops around each outermost parallel loop (nested parallel loops run
/// on the thread that reaches them).
public func parallelRegionsEntered(_ stmt: Stmt) -> Int {
    func count(_ stmt: Stmt, _ times: Int) -> Int {
        switch stmt {
        case .loop(let loop):
            if loop.kind == .parallel { return times }
            guard case .int(let e, _) = loop.extent else { return count(loop.body, times) }
            let repeats = loop.kind == .vectorized ? 1 : Int(max(e, 1))
            return count(loop.body, times.multipliedReportingOverflow(by: repeats).partialValue)
        case .store: return 0
        case .allocate(_, let body), .letStmt(_, _, let body): return count(body, times)
        case .ifThenElse(_, let then, let otherwise, _): return count(then, times) + (otherwise.map { count($0, times) } ?? 0)
        case .block(let stmts): return stmts.reduce(0) { $0 + count($1, times) }
        }
    }
    return count(stmt, 1)
}

/// A rough size of the machine code a loop nest becomes, in units of one
/// store with its loads: unrolled loops repeat their bodies, as do loops
/// short enough for LLVM to unroll fully (at most 48 units in all), and wide
/// vector loops count once per 8 lanes. Guarded tiles count both copies.
/// LLVM's instruction scheduling takes time quadratic in the size of
/// straight-line code, so this is what bounds compile times.
public func estimatedCodeSize(_ stmt: Stmt) -> Int {
    func size(_ stmt: Stmt) -> Int {
        switch stmt {
        case .loop(let loop):
            let body = size(loop.body)
            guard case .int(let e, _) = loop.extent else { return body }
            let extent = Int(max(e, 1))
            switch loop.kind {
            case .unrolled: return body.multipliedReportingOverflow(by: extent).partialValue
            case .vectorized: return body * max(1, (extent + 7) / 8)
            case .serial where body * extent <= 48: return body * extent
            case .serial, .parallel: return body
            }
        case .store(_, let indices, let value):
            return 1 + indices.reduce(0) { $0 + loads(in: $1) } + loads(in: value)
        case .allocate(_, let body), .letStmt(_, _, let body): return size(body)
        case .ifThenElse(_, let then, let otherwise, _): return size(then) + (otherwise.map(size) ?? 0)
        case .block(let stmts): return stmts.reduce(0) { ($0 + size($1)) }
        }
    }
    func loads(in expr: Expr) -> Int {
        var count = 0
        expr.forEachNode { if case .load = $0 { count += 1 } }
        return count
    }
    return size(stmt)
}
