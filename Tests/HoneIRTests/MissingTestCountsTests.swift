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

    /// A fused tile loop `v` of 32 (tiles of 2, 8 and 2) binds a region's
    /// origin from its parts, `v / 16`, `v / 2 % 8` and `v % 2`, as lowering
    /// does for a region computed under a fused parallel loop; another test
    /// reads `v / 2` and `v % 16`. Read whole, `v` would join every loop of
    /// each test in one component past the enumeration limit; as its three
    /// digits each test splits into small affine components, and the counts
    /// are those of the walk below.
    @Test func fusedLoopsReadWithSeveralDivisorsAreCounted() throws {
        let fused = v("b.0@h.0@i.0@j.0")
        let origins = [
            ("h.min", Expr.binary(.mul, .binary(.div, fused, c(16)), c(8))),
            ("i.min", .binary(.mul, .binary(.mod, .binary(.div, fused, c(2)), c(8)), c(16))),
            ("j.min", .binary(.mul, .binary(.mod, fused, c(2)), c(64))),
        ]
        func sum(_ terms: Expr...) -> Expr { terms.dropFirst().reduce(terms[0]) { .binary(.add, $0, $1) } }
        // Under the parts' origins: a tile test, then under it a conjunction of two bounds tests.
        let tileTest = Expr.binary(.lt, sum(v("h.min"), .binary(.mul, v("a"), c(3))), c(12))
        let bounds = Expr.binary(.and,
            .binary(.lt, sum(v("i.min"), .binary(.mul, v("c"), c(8)), v("l")), c(200)),
            .binary(.lt, sum(v("j.min"), .binary(.mul, v("b"), c(5)), v("l")), c(150)))
        // Beside them, a test of `v / 2` and `v % 16`.
        let mixed = Expr.binary(.and,
            .binary(.lt, sum(.binary(.mul, .binary(.div, fused, c(2)), c(4)), v("e"), v("m")), c(150)),
            .binary(.lt, sum(.binary(.mul, .binary(.mod, fused, c(16)), c(3)), v("m")), c(100)))
        let store = Stmt.store("Y", [v("l")], .float(1, .f32))
        func loop(_ name: String, _ extent: Int, _ body: Stmt) -> Stmt { .loop(Loop(name, extent: c(extent), body: body)) }
        let regions = loop("a", 3, .ifThenElse(tileTest,
            loop("b", 16, loop("c", 16, loop("l", 64, .ifThenElse(bounds, store, nil)))), nil))
        let beside = loop("e", 40, loop("m", 64, .ifThenElse(mixed, store, nil)))
        let inner = origins.reversed().reduce(Stmt.block([regions, beside])) { .letStmt($1.0, $1.1, $0) }
        let counted = addMissingTestCounts(loop("b.0@h.0@i.0@j.0", 32, inner))
        var facts: [IfFacts] = []
        _ = try counted.walk(stmt: { s in
            if case .ifThenElse(_, _, _, let f) = s { facts.append(f) }
            return .visitChildren
        })
        var expected: [(evaluations: Int64, holds: Int64)] = [(0, 0), (0, 0), (0, 0)]
        for fused in 0..<32 {
            let (h, i, j) = (fused / 16 * 8, fused / 2 % 8 * 16, fused % 2 * 64)
            for a in 0..<3 {
                expected[0].evaluations += 1
                guard h + a * 3 < 12 else { continue }
                expected[0].holds += 1
                for b in 0..<16 {
                    for c in 0..<16 {
                        for l in 0..<64 {
                            expected[1].evaluations += 1
                            if i + c * 8 + l < 200 && j + b * 5 + l < 150 { expected[1].holds += 1 }
                        }
                    }
                }
            }
            for e in 0..<40 {
                for m in 0..<64 {
                    expected[2].evaluations += 1
                    if fused / 2 * 4 + e + m < 150 && fused % 16 * 3 + m < 100 { expected[2].holds += 1 }
                }
            }
        }
        #expect(facts.map { $0.counts.map { [$0.evaluations, $0.holds] } } == expected.map { [$0.evaluations, $0.holds] })
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
