import Testing
@testable import HoneIR

/// `addMissingTestCounts` counts the `if`s that have no counts over all the
/// loops around them, through `let`s, given the tests on their path.
@Suite struct MissingTestCountsTests {
    private func v(_ name: String) -> Expr { .indexVar(name) }
    private func c(_ n: Int) -> Expr { .index(n) }

    /// A region of 3 points starting at `2·i - 1` for each of 4 tiles, its
    /// points tested against a tensor of 6, as lowering tests a producer's
    /// region under a consumer's tile; under a tile test that fails for the
    /// last tile, and a non-affine test (a fused loop's remainder) below.
    @Test func regionBoundsAreCountedOverTheConsumersLoops() throws {
        let point = Expr.binary(.add, v("m"), v("j"))
        let inside = Expr.binary(.and, .binary(.ge, point, c(0)), .binary(.lt, point, c(6)))
        let oddFused = Expr.binary(.eq, .binary(.mod, .binary(.add, v("i"), v("j")), c(2)), c(1))
        let store = Stmt.store("Y", [point], .float(1, .f32))
        let body = Stmt.loop(Loop("i", extent: c(4), body:
            .ifThenElse(.binary(.lt, v("i"), c(3)),
                .letStmt("m", .binary(.sub, .binary(.mul, v("i"), c(2)), c(1)),
                    .loop(Loop("j", min: c(0), extent: c(3), body:
                        .ifThenElse(inside, .ifThenElse(oddFused, store, nil), nil)))),
                nil)))
        let counted = addMissingTestCounts(body)
        var facts: [IfFacts] = []
        _ = try counted.walk(stmt: { s in
            if case .ifThenElse(_, _, _, let f) = s { facts.append(f) }
            return .visitChildren
        })
        // By enumeration: i < 3 holds for 3 of 4; then m + j in 0..<6 for
        // i = 0: j = 1, 2; i = 1: 0, 1, 2; i = 2: 0, 1, 2 (8 of 9);
        // (i + j) odd among those: (0,1), (1,0), (1,2), (2,1) (4 of 8).
        var expected: [(Int64, Int64)] = [(4, 3), (0, 0), (0, 0)]
        for i in 0..<4 where i < 3 {
            for j in 0..<3 {
                expected[1].0 += 1
                let p = 2 * i - 1 + j
                guard p >= 0 && p < 6 else { continue }
                expected[1].1 += 1
                expected[2].0 += 1
                if (i + j) % 2 == 1 { expected[2].1 += 1 }
            }
        }
        #expect(facts.map { $0.counts.map { [$0.evaluations, $0.holds] } } == expected.map { [$0.0, $0.1] })
        #expect(facts.allSatisfy { $0.counts?.scope == .kernelRun })
        #expect(addMissingTestCounts(counted) == counted, "counted tests are left as they are")
    }

    @Test func testsReadingMemoryStayUncounted() {
        let test = Expr.binary(.lt, .load("X", [v("i")], .index), c(3))
        let body = Stmt.loop(Loop("i", extent: c(4), body: .ifThenElse(test, .store("Y", [v("i")], .float(0, .f32)), nil)))
        guard case .loop(let loop) = addMissingTestCounts(body), case .ifThenElse(_, _, _, let facts) = loop.body else {
            Issue.record("the nest changed shape")
            return
        }
        #expect(facts.counts == nil)
    }
}
