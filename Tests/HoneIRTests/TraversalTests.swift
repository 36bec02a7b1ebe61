import Testing
@testable import HoneIR

// The IR visitor and rewriters.

private let i = Expr.indexVar("i"), j = Expr.indexVar("j")
private func c(_ v: Int) -> Expr { .index(v) }
private func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
private func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }
private func a(_ x: Expr, _ y: Expr) -> Expr { .load("A", [x, y], .f32) }

/// Whether two values share their storage: a rewriter that changed nothing
/// hands back the box it was given, not an equal copy.
private func sameStorage<T>(_ x: T, _ y: T) -> Bool {
    withUnsafeBytes(of: x) { bx in withUnsafeBytes(of: y) { by in bx.elementsEqual(by) } }
}

private let value: Expr = .select(.binary(.lt, i, c(4)),
                                  .binary(.add, a(add(mul(i, c(2)), j), j), .call(.exp, [a(i, c(0))])),
                                  .cast(.f32, .unary(.neg, .variable("t", .i32))))

/// Renames `from` to `to`; everything else is left to the default.
private struct Renamer: ExprRewriter {
    var from: String, to: String
    var visited = 0
    mutating func rewrite(_ e: Expr) -> Expr? {
        visited += 1
        if case .variable(from, let t) = e { return .variable(to, t) }
        return rewriteChildren(of: e)
    }
}

/// The default everywhere: changes nothing.
private struct Identity: StmtRewriter {}

@Test func rewriterReturnsTheSameValueWhenNothingChanges() {
    var renamer = Renamer(from: "nowhere", to: "x")
    #expect(renamer.rewrite(value) == nil)
    #expect(renamer.visited == 19)  // every node once
    let result = renamer.rewritten(value)
    #expect(result == value && sameStorage(result, value))
    var identity = Identity()
    let nest = Stmt.loop(Loop("i", extent: c(8), body: .store("B", [i], value)))
    #expect(identity.rewrite(nest) == nil)
    #expect(sameStorage(identity.rewritten(nest), nest))
}

@Test func rewriterRebuildsOnlyWhatChanged() {
    var renamer = Renamer(from: "j", to: "k")
    let k = Expr.indexVar("k")
    let expected: Expr = .select(.binary(.lt, i, c(4)),
                                 .binary(.add, a(add(mul(i, c(2)), k), k), .call(.exp, [a(i, c(0))])),
                                 .cast(.f32, .unary(.neg, .variable("t", .i32))))
    let result = renamer.rewritten(value)
    #expect(result == expected)
    // The untouched branches are the original values, not copies.
    guard case .select(let condition, .binary(_, _, let call), let otherwise) = result,
          case .select(let condition0, .binary(_, _, let call0), let otherwise0) = value else {
        Issue.record("unexpected shape \(result)")
        return
    }
    #expect(sameStorage(condition, condition0) && sameStorage(call, call0) && sameStorage(otherwise, otherwise0))
}

@Test func substitutionRewritesExactlyTheNamedVariables() {
    let result = substitute(value) { $0 == "i" ? add(j, c(1)) : nil }
    let i1 = add(j, c(1))
    #expect(result == .select(.binary(.lt, i1, c(4)),
                              .binary(.add, a(add(mul(i1, c(2)), j), j), .call(.exp, [a(i1, c(0))])),
                              .cast(.f32, .unary(.neg, .variable("t", .i32)))))
    // A replacement is not entered again: `i → i + 1` applies once.
    #expect(substitute(add(i, j)) { $0 == "i" ? add(i, c(1)) : nil } == add(add(i, c(1)), j))
    #expect(sameStorage(substitute(value) { _ in nil }, value))
}

@Test func loadSubstitutionSeesRewrittenIndices() {
    // A[A[i, j], 0]: the inner load is replaced first, the outer one gets its new index.
    let nested = Expr.load("A", [.cast(.index, a(i, j)), c(0)], .f32)
    var seen: [[Expr]] = []
    let result = substituteLoads(nested) { name, indices in
        seen.append(indices)
        return name == "A" ? .float(Double(seen.count), .f32) : nil
    }
    #expect(seen == [[i, j], [.cast(.index, .float(1, .f32)), c(0)]])
    #expect(result == .float(2, .f32))
    #expect(sameStorage(substituteLoads(nested) { _, _ in nil }, nested))
}

@Test func walkVisitsPreOrderAndCanSkipOrStop() {
    var order: [String] = []
    value.walk { e in
        order.append(e.description)
        if case .load = e { return .skipChildren }
        return .visitChildren
    }
    #expect(order == ["select(i < 4, A[i * 2 + j, j] + exp(A[i, 0]), f32(-t))", "i < 4", "i", "4",
                      "A[i * 2 + j, j] + exp(A[i, 0])", "A[i * 2 + j, j]", "exp(A[i, 0])", "A[i, 0]",
                      "f32(-t)", "-t", "t"])
    var visited = 0
    let finished = value.walk { e in
        visited += 1
        if case .call = e { return .stop }
        return .visitChildren
    }
    #expect(!finished && visited == 13)
    #expect(value.contains { $0 == .variable("t", .i32) })
    #expect(!value.contains { $0 == .indexVar("t") })
    #expect(variables(in: value) == ["i", "j", "t"])
    #expect(tensorsRead(by: value) == ["A"])
    #expect(loads(of: "A", in: value) == [[add(mul(i, c(2)), j), j], [i, c(0)]])
    #expect(value.nodeCount(upTo: 100) == 19 && value.nodeCount(upTo: 5) == 6)
}

@Test func statementWalkVisitsStatementsThenTheirExpressions() {
    let nest = Stmt.loop(Loop("i", extent: c(8), body: .block([
        .letStmt("j", add(i, c(1)), .store("B", [i], a(i, j))),
        .ifThenElse(.binary(.lt, i, c(4)), .store("B", [i], .float(0, .f32)), .store("C", [i], .float(1, .f32))),
    ])))
    var events: [String] = []
    nest.walk(stmt: { s in
        switch s {
        case .loop: events.append("loop")
        case .letStmt(let name, _, _): events.append("let \(name)")
        case .store(let name, _, _): events.append("store \(name)")
        case .ifThenElse: events.append("if")
        case .block: events.append("block")
        case .allocate: events.append("allocate")
        }
        return .visitChildren
    }, expr: { e in
        events.append(e.description)
        return .skipChildren
    })
    #expect(events == ["loop", "0", "8", "block", "let j", "i + 1", "store B", "i", "A[i, j]",
                       "if", "i < 4", "store B", "i", "0.0", "store C", "i", "1.0"])
    // Rewriting one store leaves the rest of the nest shared.
    struct DropC: StmtRewriter {
        mutating func rewrite(_ s: Stmt) -> Stmt? {
            if case .store("C", _, _) = s { return .block([]) }
            return rewriteChildren(of: s)
        }
    }
    var drop = DropC()
    let dropped = drop.rewritten(nest)
    guard case .loop(let loop) = dropped, case .block(let stmts) = loop.body,
          case .loop(let loop0) = nest, case .block(let stmts0) = loop0.body else {
        Issue.record("unexpected shape \(dropped)")
        return
    }
    #expect(sameStorage(stmts[0], stmts0[0]))
    #expect(stmts[1] == .ifThenElse(.binary(.lt, i, c(4)), .store("B", [i], .float(0, .f32)), .block([])))
}
