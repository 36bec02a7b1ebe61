/// `body` with counts for every `if` that has none (`IfFacts.counts`).
///
/// Lowering counts the tests of each stage nest over that nest's loops. What
/// it cannot count there are the bounds tests of a region computed inside a
/// consumer's tile, whose outcome moves with the consumer's loops (through
/// the `let`s that bind the region's origin), and everything under them;
/// nests built by hand have no counts at all.
///
/// Each such test is counted over one run of the whole nest (scope
/// `.kernelRun`): over all the loops around it, given every enclosing test
/// on its path (`PointCounter`), with `let`s replaced by their values. Then
/// `holds / evaluations` is again the exact fraction of its evaluations
/// that take `then`.
///
/// A test stays without counts when it reads memory, sits under a loop of
/// variable bounds, or needs more enumeration than `PointCounter` allows.
public func addMissingTestCounts(_ body: Stmt, counting: PointCounter.Method = .fast) -> Stmt {
    var counter = MissingTestCounter(method: counting)
    return counter.rewrite(body) ?? body
}

private struct MissingTestCounter {
    let method: PointCounter.Method
    /// The loops around the current statement, outermost first.
    var extents: [Int64] = []
    var variables: [String] = []
    /// Loops whose bounds are not constants, around the current statement.
    var unknownLoops = 0
    /// Variables bound by `let`s in scope, to their values over the loops.
    var lets: [String: Expr] = [:]
    /// Renames of loop variables whose loop starts at a constant other than 0.
    var offsets: [String: Expr] = [:]
    /// The enclosing tests (over the loops) and whether the branch taken holds them.
    var path: [(condition: Expr, holds: Bool)] = []

    /// `s` with counts for every uncounted `if`; nil when nothing changed.
    mutating func rewrite(_ s: Stmt) -> Stmt? {
        switch s {
        case .store:
            return nil
        case .block(let stmts):
            var changed = false
            let rewritten = stmts.map { stmt in
                guard let r = rewrite(stmt) else { return stmt }
                changed = true
                return r
            }
            return changed ? .block(rewritten) : nil
        case .allocate(let buffer, let body):
            return rewrite(body).map { .allocate(buffer, $0) }
        case .letStmt(let name, let value, let body):
            let saved = lets[name]
            lets[name] = resolved(value)
            defer { lets[name] = saved }
            return rewrite(body).map { .letStmt(name, value, $0) }
        case .loop(let loop):
            return rewriteLoop(loop).map { body in
                var loop = loop
                loop.body = body
                return .loop(loop)
            }
        case .ifThenElse(let condition, let then, let otherwise, var facts):
            let test = resolved(condition)
            var changed = false
            if facts.counts == nil, let counts = count(test) {
                facts.counts = counts
                changed = true
            }
            path.append((test, true))
            let newThen = rewrite(then)
            path[path.count - 1].holds = false
            let newOtherwise = otherwise.flatMap { rewrite($0) }
            path.removeLast()
            guard changed || newThen != nil || newOtherwise != nil else { return nil }
            return .ifThenElse(condition, newThen ?? then, newOtherwise ?? otherwise, facts)
        }
    }

    private mutating func rewriteLoop(_ loop: Loop) -> Stmt? {
        guard case .int(let extent, _) = resolved(loop.extent), case .int(let start, _) = resolved(loop.min) else {
            // No test under it is counted (`count`).
            unknownLoops += 1
            defer { unknownLoops -= 1 }
            return rewrite(loop.body)
        }
        let savedOffset = offsets[loop.variable]
        offsets[loop.variable] = start == 0 ? nil : .binary(.add, .indexVar(loop.variable), .index(Int(start)))
        extents.append(max(extent, 0))
        variables.append(loop.variable)
        defer {
            offsets[loop.variable] = savedOffset
            extents.removeLast()
            variables.removeLast()
        }
        return rewrite(loop.body)
    }

    /// `e` over the loops: `let`s replaced by their values, loop variables by their iteration.
    private func resolved(_ e: Expr) -> Expr {
        guard !lets.isEmpty || !offsets.isEmpty else { return e }
        return substitute(e) { lets[$0] ?? offsets[$0] }
    }

    /// How often `test` is evaluated and holds over one run of the kernel.
    private func count(_ test: Expr) -> IfFacts.Counts? {
        guard unknownLoops == 0 else { return nil }
        var counter = PointCounter(extents: extents, variables: variables, method: method)
        var holding: [Int] = [], failing: [[Int]] = []
        for (condition, holds) in path {
            let literals = counter.registerLiterals(condition)
            if holds { holding += literals } else { failing.append(Array(literals)) }
        }
        let own = Array(counter.registerLiterals(test))
        counter.finish()
        let level = extents.count - 1
        guard let evaluations = counter.count(holding: holding, failing: failing, through: level),
              let holds = counter.count(holding: holding, and: own, failing: failing, through: level)
        else { return nil }
        return IfFacts.Counts(evaluations: evaluations, holds: holds, scope: .kernelRun)
    }
}
