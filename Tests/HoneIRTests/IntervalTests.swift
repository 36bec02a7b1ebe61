import Testing
@testable import HoneIR

// Interval (bounds) analysis of integer expressions.

private let i = Expr.indexVar("i"), j = Expr.indexVar("j"), y = Expr.indexVar("y"), r = Expr.indexVar("r")
private func c(_ v: Int) -> Expr { .index(v) }
private func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
private func sub(_ a: Expr, _ b: Expr) -> Expr { .binary(.sub, a, b) }
private func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }

@Test func intervalArithmetic() {
    let a = Interval(-2, 3), b = Interval(-4, 1)
    #expect(a.adding(b) == Interval(-6, 4))
    #expect(a.subtracting(b) == Interval(-3, 7))
    #expect(a.multiplied(by: b) == Interval(-12, 8))
    #expect(a.scaled(by: -2) == Interval(-6, 4))
    #expect(a.negated() == Interval(-3, 2))
    #expect(a.minimum(b) == Interval(-4, 1))
    #expect(a.maximum(b) == Interval(-2, 3))
    #expect(a.hull(Interval(10, 12)) == Interval(-2, 12))
    #expect(a.intersection(Interval(3, 9)) == Interval(3, 3))
    #expect(a.intersection(Interval(4, 9)) == nil)
    #expect(Interval(0...5) == Interval(extent: 6))
    #expect(Interval(extent: 6).range == 0...5)
}

@Test func floorDivisionAndModulo() {
    #expect(Interval(-3, 5).floorDivided(by: 2) == Interval(-2, 2))
    #expect(Interval(-3, 5).floorDivided(by: -2) == Interval(-3, 1))
    #expect(Interval(1, 9).floorDivided(by: Interval(2, 3)) == Interval(0, 4))
    #expect(Interval(1, 9).floorDivided(by: Interval(-1, 3)) == nil)
    #expect(Interval(3, 5).floorModulo(by: 8) == Interval(3, 5))
    #expect(Interval(6, 9).floorModulo(by: 8) == Interval(0, 7))
    #expect(Interval(-1, -1).floorModulo(by: 4) == Interval(3, 3))
    #expect(Interval(0, 2).floorModulo(by: Interval(3, 5)) == Interval(0, 2))
    #expect(Interval.floorDiv(-1, 2) == -1 && Interval.floorMod(-1, 2) == 1)
}

@Test func overflowGivesNoInterval() {
    #expect(Interval(0, .max).adding(.point(1)) == nil)
    #expect(Interval(.min, 0).negated() == nil)
    #expect(Interval(2, .max / 2 + 1).scaled(by: 2) == nil)
}

@Test func intervalsOfIndexExpressions() {
    let ranges = ["i": Interval(0, 3), "j": Interval(0, 4)]
    #expect(sub(add(mul(c(2), i), j), c(1)).interval(in: ranges) == Interval(-1, 9))
    #expect(Expr.binary(.min, add(i, c(1)), c(3)).interval(in: ranges) == Interval(1, 3))
    #expect(Expr.binary(.div, add(i, j), c(2)).interval(in: ranges) == Interval(0, 3))
    #expect(Expr.binary(.mod, add(i, c(8)), c(4)).interval(in: ranges) == Interval(0, 3))
    #expect(Expr.unary(.neg, i).interval(in: ranges) == Interval(-3, 0))
    #expect(Expr.call(.abs, [sub(i, c(2))]).interval(in: ranges) == Interval(0, 2))
    // Unknown variables, loads and floats have no interval.
    #expect(add(i, .indexVar("q")).interval(in: ranges) == nil)
    #expect(Expr.load("A", [i], .index).interval(in: ranges) == nil)
    #expect(Expr.float(1, .f32).interval(in: ranges) == nil)
    // Closed ranges work as well.
    #expect(IntervalContext(ranges: ["i": 2...5]).interval(of: add(i, i)) == Interval(4, 10))
}

@Test func selectNarrowsItsBranches() {
    let ranges = ["i": Interval(0, 5)]
    let guarded = Expr.select(.binary(.ge, i, c(2)), sub(i, c(2)), c(0))
    #expect(guarded.interval(in: ranges) == Interval(0, 3))
    let unguarded = Expr.select(.binary(.ge, j, c(2)), sub(i, c(2)), c(0))
    #expect(unguarded.interval(in: ranges) == Interval(-2, 3))
}

@Test func conditionsNarrowVariables() throws {
    let context = IntervalContext(ranges: ["i": Interval(0, 9)])
    let both = Expr.binary(.and, .binary(.ge, i, c(1)), .binary(.le, i, c(3)))
    #expect(context.assuming(both)?.ranges["i"] == Interval(1, 3))
    // The negation of a disjunction, and `!`.
    let outside = Expr.binary(.or, .binary(.lt, i, c(1)), .binary(.gt, i, c(3)))
    #expect(context.assuming(outside, false)?.ranges["i"] == Interval(1, 3))
    #expect(context.assuming(.unary(.not, .binary(.lt, i, c(2))))?.ranges["i"] == Interval(2, 9))
    // Coefficients and constants on either side.
    #expect(context.assuming(.binary(.ge, mul(c(2), i), c(3)))?.ranges["i"] == Interval(2, 9))
    #expect(context.assuming(.binary(.ge, c(-2), .unary(.neg, i)))?.ranges["i"] == Interval(2, 9))
    #expect(context.assuming(.binary(.le, add(i, c(4)), c(6)))?.ranges["i"] == Interval(0, 2))
    #expect(context.assuming(.binary(.ne, i, c(2)), false)?.ranges["i"] == Interval(2, 2))
    // A condition that cannot hold makes the branch unreachable.
    #expect(context.assuming(.binary(.lt, i, c(0))) == nil)
    // A disjunction that holds narrows nothing (sound, not tight).
    #expect(context.assuming(outside)?.ranges["i"] == Interval(0, 9))
}

@Test func conditionsOnSumsBecomeFacts() throws {
    let context = IntervalContext(ranges: ["y": Interval(0, 5), "r": Interval(0, 2)])
    let inside = Expr.binary(.and, .binary(.ge, add(y, r), c(1)), .binary(.le, add(y, r), c(6)))
    let narrowed = try #require(context.assuming(inside))
    #expect(narrowed.ranges == context.ranges)
    #expect(narrowed.interval(of: sub(add(y, r), c(1))) == Interval(0, 5))
    #expect(context.interval(of: sub(add(y, r), c(1))) == Interval(-1, 6))
    // A scaled form and a form with extra terms use the fact too.
    #expect(narrowed.interval(of: add(mul(c(2), y), mul(c(2), r))) == Interval(2, 12))
    #expect(narrowed.interval(of: sub(add(y, r), r)) == Interval(0, 5))
}

@Test func affineForms() throws {
    let form = try #require(AffineForm(sub(mul(c(2), add(i, c(1))), i)))
    #expect(form == AffineForm(terms: [(i, 1)], constant: 2) && form.coefficient(ofVariable: "i") == 1)
    #expect(AffineForm(mul(i, j)) == nil)
    #expect(AffineForm(.binary(.div, i, c(2))) == nil)
    #expect(AffineForm(sub(i, i))?.isConstant == true)
}
