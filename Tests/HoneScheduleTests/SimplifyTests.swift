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

/// Divisions and remainders of sums whose terms are known multiples of the
/// divisor (a tile origin bound by a `let`), as packed layouts produce.
@Suite struct AlignedDivisionTests {
    let t = Expr.indexVar("t"), f = Expr.indexVar("f"), origin = Expr.indexVar("origin")

    /// `let origin = t / 56 * 16` around a loop of f over 0..<lanes storing `value`.
    func simplified(_ value: (Expr) -> [Expr], lanes: Int = 16, originValue: Expr? = nil, tiles: Int = 224) -> [Expr] {
        let bound = originValue ?? .binary(.mul, .binary(.div, t, .index(56)), .index(16))
        let store = Stmt.store("A", value(origin), .float(0, .f32))
        let nest = Stmt.loop(Loop("t", extent: .index(tiles), body: .letStmt("origin", bound,
            .loop(Loop("f", extent: .index(lanes), kind: .vectorized, body: store)))))
        guard case .loop(let outer) = simplify(nest), case .letStmt(_, _, .loop(let inner)) = outer.body,
              case .store(_, let indices, _) = inner.body else { Issue.record("unexpected nest \(simplify(nest))"); return [] }
        return indices
    }

    @Test func aPackedIndexBecomesTheBlockAndTheLane() {
        let indices = simplified { [.binary(.div, .binary(.add, $0, f), .index(16)), .binary(.mod, .binary(.add, $0, f), .index(16))] }
        #expect(indices == [.binary(.div, origin, .index(16)), f])
    }

    /// A multiple of 8 scaled by 2 is a multiple of 16: `(2·origin' + f) / 16 = origin' / 8`.
    @Test func aScaledTermCounts() {
        let indices = simplified({ [.binary(.div, .binary(.add, .binary(.mul, $0, .index(2)), f), .index(16))] },
                                 originValue: .binary(.mul, .binary(.div, t, .index(56)), .index(8)))
        #expect(indices == [.binary(.div, origin, .index(8))])
    }

    /// What cannot be proved stays a division: an origin that is a multiple
    /// of 8 only.
    @Test func unprovenDivisionsStay() {
        let index = { (o: Expr) in Expr.binary(.div, .binary(.add, o, .indexVar("f")), .index(16)) }
        let indices = simplified({ [index($0)] }, lanes: 16,
                                 originValue: .binary(.mul, .binary(.div, .indexVar("t"), .index(56)), .index(8)))
        #expect(indices == [index(.indexVar("origin"))])
    }

    /// Floor division is exact on a multiple of the divisor, whatever the
    /// rest's range: lanes that reach past the block read `origin / 16 + f / 16`,
    /// and a stride-2 window `(2·x + s) / 2` is `x + s / 2`.
    @Test func theMultiplePartOfADivisionComesOut() {
        let indices = simplified({ [.binary(.div, .binary(.add, $0, f), .index(16)), .binary(.mod, .binary(.add, $0, f), .index(16))] },
                                 lanes: 17, originValue: .binary(.mul, .binary(.div, t, .index(56)), .index(16)))
        #expect(indices == [.binary(.add, .binary(.div, origin, .index(16)), .binary(.div, f, .index(16))), .binary(.mod, f, .index(16))])
        let s = Expr.indexVar("s")
        let window = simplified { _ in [.binary(.div, .binary(.add, .binary(.mul, f, .index(2)), s), .index(2))] }
        #expect(window == [.binary(.add, f, .binary(.div, s, .index(2)))])
    }

    /// A grouped convolution's channel tile: `(origin + f) / 64` with the
    /// origin a multiple of 16 (up to 624) and f in 0..<16 never crosses a
    /// group of 64, so it is `origin / 64`, the same in every lane, and the
    /// remainder is `origin % 64 + f`.
    @Test func aTileInsideOneGroupReadsOneGroup() {
        let sum = { (o: Expr) in Expr.binary(.add, o, self.f) }
        let indices = simplified({ [.binary(.div, sum($0), .index(64)), .binary(.mod, sum($0), .index(64))] }, tiles: 2240)
        #expect(indices == [.binary(.div, origin, .index(64)), .binary(.add, .binary(.mod, origin, .index(64)), f)])
    }

    /// An origin 4 past a multiple of 16 leaves room for 12 lanes, not 13;
    /// an origin that is a multiple of 8 only, for none of 16.
    @Test(arguments: [(16, 4, 12, true), (16, 4, 13, false), (8, 0, 16, false), (32, 0, 32, true)])
    func aTileCrossesNoGroupOnlyWhenProved(multiple: Int, offset: Int, lanes: Int, folds: Bool) {
        let index = { (o: Expr) in Expr.binary(.div, .binary(.add, o, .indexVar("f")), .index(64)) }
        let origin = Expr.binary(.add, .binary(.mul, .binary(.div, t, .index(56)), .index(multiple)), .index(offset))
        let indices = simplified({ [index($0)] }, lanes: lanes, originValue: origin, tiles: 2240)
        #expect(indices == [folds ? .binary(.div, self.origin, .index(64)) : index(self.origin)])
    }

    @Test(arguments: [
        // (expression, modulus, remainder)
        (Expr.binary(.mul, .binary(.div, .indexVar("t"), .index(56)), .index(16)), Int64(16), Int64(0)),
        (.binary(.add, .binary(.mul, .indexVar("t"), .index(12)), .index(8)), 12, 8),
        (.binary(.add, .binary(.mul, .indexVar("t"), .index(12)), .index(5)), 12, 5),
        (.binary(.div, .binary(.mul, .indexVar("t"), .index(32)), .index(4)), 8, 0),
        (.binary(.mod, .binary(.add, .binary(.mul, .indexVar("t"), .index(32)), .index(3)), .index(8)), 0, 3),
        (.binary(.mul, .indexVar("t"), .indexVar("u")), 1, 0),
        (.binary(.sub, .index(7), .binary(.mul, .indexVar("t"), .index(6))), 6, 1),
    ])
    func alignmentOfIndexExpressions(expr: Expr, modulus: Int64, remainder: Int64) {
        #expect(alignment(of: expr, ScopedValues()) == Alignment(modulus: modulus, remainder: remainder))
    }
}

/// Index sums are simplified as one affine form built from their operands'
/// forms; simplifying them level by level (each partial sum rebuilt from its
/// form and read back) gives the same expression, terms in the same order,
/// including where terms cancel and come back.
@Suite struct SumSimplificationTests {
    /// Level by level, as each `+`, `-` and `*` of indices was once simplified.
    func levelByLevel(_ e: Expr) -> Expr {
        switch e {
        case .binary(let op, let a, let b) where op == .add || op == .sub || op == .mul:
            let combined = Expr.binary(op, levelByLevel(a), levelByLevel(b))
            return AffineForm(combined, atoms: .indexExpressions)?.expression ?? combined
        case .unary(.neg, let a):
            return .unary(.neg, levelByLevel(a))
        default:
            return e
        }
    }

    /// A random index expression over three variables, small literals
    /// (zero included), a division and a product of two variables.
    func randomSum(_ depth: Int, _ rng: inout SplitMix64) -> Expr {
        let leaves: [Expr] = [.indexVar("x"), .indexVar("y"), .indexVar("z"), .index(0), .index(1), .index(3), .index(-2),
                              .binary(.div, .indexVar("x"), .index(3)), .binary(.mul, .indexVar("x"), .indexVar("y"))]
        if depth == 0 || rng.next() % 4 == 0 { return leaves[Int(rng.next() % UInt64(leaves.count))] }
        switch rng.next() % 5 {
        case 0, 1: return .binary(.add, randomSum(depth - 1, &rng), randomSum(depth - 1, &rng))
        case 2: return .binary(.sub, randomSum(depth - 1, &rng), randomSum(depth - 1, &rng))
        case 3: return .binary(.mul, randomSum(depth - 1, &rng), leaves[3 + Int(rng.next() % 4)])
        default: return .unary(.neg, randomSum(depth - 1, &rng))
        }
    }

    @Test func sumsSimplifyAsLevelByLevel() {
        var rng = SplitMix64(seed: 17)
        var cancelled = 0
        for _ in 0..<3000 {
            let e = randomSum(6, &rng)
            let expected = levelByLevel(e)
            #expect(Simplifier().simplify(e) == expected, "\(e)")
            if case .int = expected { cancelled += 1 }
        }
        #expect(cancelled > 0, "some sums cancel to a constant")
    }

    @Test func termsThatCancelAndReturnKeepTheirLevelsOrder() {
        let (x, y) = (Expr.indexVar("x"), Expr.indexVar("y"))
        // (x - x) + y + x: x cancels at the first level, so it comes back after y.
        let e = Expr.binary(.add, .binary(.add, .binary(.sub, x, x), y), x)
        #expect(Simplifier().simplify(e) == .binary(.add, y, x))
    }
}
