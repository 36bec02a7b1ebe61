import Testing
@testable import HoneIR
@testable import HoneSchedule

/// Loops whose bodies are guarded by an upper bound on the loop variable stop
/// where the guard would (splits by factors larger than what is left of a
/// loop or a region leave such guards).
@Suite struct LoopTighteningTests {
    let v = Expr.indexVar("v"), i = Expr.indexVar("i")
    let store = Stmt.store("A", [.indexVar("v")], .float(1, .f32))

    func loop(_ extent: Int, _ condition: Expr, kind: LoopKind = .serial) -> Stmt {
        .loop(Loop("v", extent: .index(extent), kind: kind, body: .ifThenElse(condition, store, nil)))
    }

    @Test func aGuardOfOneIterationLeavesNoLoop() {
        #expect(simplify(loop(28, .binary(.lt, v, .index(1)))) == .store("A", [.index(0)], .float(1, .f32)))
    }

    @Test(arguments: [
        (Expr.binary(.lt, .indexVar("v"), .index(5)), 5),  // v < 5
        (.binary(.le, .binary(.add, .indexVar("v"), .index(3)), .index(5)), 3),  // v + 3 <= 5
        (.binary(.ge, .index(5), .indexVar("v")), 6),  // 5 >= v
        (.binary(.gt, .index(7), .binary(.mul, .indexVar("v"), .index(2))), 4),  // 7 > 2v
        (.binary(.and, .binary(.lt, .indexVar("v"), .index(6)), .binary(.lt, .indexVar("v"), .index(4))), 4),
    ])
    func theLoopStopsWhereTheGuardWould(condition: Expr, extent: Int) {
        guard case .loop(let tightened) = simplify(loop(8, condition)) else { Issue.record("no loop left"); return }
        #expect(tightened.extent == .index(extent))
        #expect(tightened.body == store, "the guard always holds in the shorter loop")
    }

    @Test func guardsThatDoNotBoundTheLoopLeaveIt() {
        // A lower bound, a bound past the end, a bound that depends on an unbounded value.
        for condition in [Expr.binary(.ge, v, .index(2)), .binary(.lt, v, .index(9)), .binary(.lt, .binary(.add, v, .indexVar("n")), .index(3))] {
            guard case .loop(let kept) = simplify(loop(8, condition)) else { Issue.record("\(condition)"); continue }
            #expect(kept.extent == .index(8), "\(condition)")
        }
        // Vectorized loops keep their lanes; the guard becomes a mask.
        guard case .loop(let vector) = simplify(loop(8, .binary(.lt, v, .index(3)), kind: .vectorized)) else { Issue.record("no loop"); return }
        #expect(vector.extent == .index(8))
    }

    /// A tail tile: `4i + v < 13` with i in 0..<4 bounds v only where i is known.
    @Test func aTailTileUsesTheOuterLoopsRange() {
        let guarded = loop(4, .binary(.lt, .binary(.add, .binary(.mul, i, .index(4)), v), .index(13)))
        let outer = Stmt.loop(Loop("i", extent: .index(4), body: guarded))
        guard case .loop(let kept) = simplify(outer), case .loop(let inner) = kept.body else { Issue.record("\(simplify(outer))"); return }
        #expect(inner.extent == .index(4))  // i = 0 allows all 4
        let tail = Stmt.letStmt("i", .index(3), guarded)
        #expect(simplify(tail) == .store("A", [.index(0)], .float(1, .f32)))  // 12 + v < 13: v = 0 only
    }
}
