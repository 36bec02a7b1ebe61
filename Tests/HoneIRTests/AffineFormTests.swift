import Testing
@testable import HoneIR

// The shared affine form (see also AffineFormAgreementTests, which compares it
// with the linearizers it replaced on lowered kernels).

private let i = Expr.indexVar("i"), j = Expr.indexVar("j")
private func c(_ v: Int64) -> Expr { .int(v, .index) }
private func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
private func sub(_ a: Expr, _ b: Expr) -> Expr { .binary(.sub, a, b) }
private func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }
private func div(_ a: Expr, _ b: Expr) -> Expr { .binary(.div, a, b) }

@Test func overflowIsNotAffine() {
    let big = c(Int64.max / 2 + 1)
    // Each of these overflows Int64 somewhere; none may trap.
    for e in [mul(i, mul(big, c(2))), mul(mul(i, big), c(2)), add(big, big), sub(c(.min), c(1)),
              add(mul(i, big), mul(i, big)), .unary(.neg, c(.min)), mul(add(i, c(.max)), c(-2)), mul(c(-1), c(.min))] {
        #expect(AffineForm(e) == nil, "\(e)")
        // A product of two non-literals is one opaque term there.
        #expect(AffineForm(e, atoms: .indexExpressions) == nil || e == mul(i, mul(big, c(2))), "\(e)")
    }
    #expect(AffineForm(mul(i, c(.max)))?.coefficient(of: i) == .max)
    #expect(AffineForm(c(.max))!.adding(AffineForm(c(1))!, times: 1) == nil)
    #expect(AffineForm(i)!.scaled(by: .min)?.coefficient(of: i) == .min)
    #expect(AffineForm(mul(i, c(-1)))!.scaled(by: .min) == nil)
}

@Test func atomsDecideWhatIsATerm() throws {
    let load = Expr.load("A", [i], .index)
    let e = add(mul(sub(div(i, c(4)), load), c(3)), add(j, div(i, c(4))))
    #expect(AffineForm(e) == nil)
    let form = try #require(AffineForm(e, atoms: .indexExpressions))
    // Terms in order of first appearance, equal atoms merged.
    #expect(form.terms.map(\.atom) == [div(i, c(4)), load, j] && form.terms.map(\.coefficient) == [4, -3, 1])
    #expect(form.expression == add(sub(mul(div(i, c(4)), c(4)), mul(load, c(3))), j))
    // Interval analysis looks through integer casts and folds constant products.
    let cast = Expr.cast(.index, .variable("t", .i32))
    #expect(AffineForm(mul(add(c(1), c(2)), cast)) == AffineForm(terms: [(.variable("t", .i32), 3)]))
    #expect(AffineForm(cast, atoms: .indexExpressions)?.terms.map(\.atom) == [cast])
    #expect(AffineForm(.variable("t", .i32), atoms: .indexExpressions) == nil)
    #expect(AffineForm(mul(i, j), atoms: .indexExpressions)?.terms.map(\.atom) == [mul(i, j)])
    // Equality ignores the order of the terms.
    #expect(AffineForm(add(i, j)) == AffineForm(add(j, i)) && AffineForm(add(i, j)) != AffineForm(sub(i, j)))
}

@Test func divisionSplitsOffMultiples() throws {
    let form = try #require(AffineForm(add(add(mul(i, c(8)), mul(j, c(2))), c(-3)), atoms: .indexExpressions))
    let (q, r) = form.divided(by: 4)
    #expect(q.expression == sub(mul(i, c(2)), c(1)) && r.expression == add(mul(j, c(2)), c(1)))
    // j known to be even: 2·j is a multiple of 4, as (j / 2).
    let (q2, r2) = form.divided(by: 4) { atom, m in atom == j && m == 2 }
    #expect(q2.expression == sub(add(mul(i, c(2)), div(j, c(2))), c(1)) && r2.expression == c(1))
    #expect(AffineForm(i)!.adding(AffineForm(i)!, times: -1)!.isConstant)
    #expect(AffineForm(sub(i, c(.min + 1)), atoms: .indexExpressions)!.expression == add(i, c(.max)))
    #expect(AffineForm(add(i, c(.min)), atoms: .indexExpressions)!.expression == add(i, c(.min)))
}
