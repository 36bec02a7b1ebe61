import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule

/// `AffineForm` replaced three linearizers: the simplifier's `Linear`, bounds
/// inference's `SplitAffine` and interval analysis's variable-only form. The
/// replaced code is kept below as the reference; on every index expression of
/// lowered hand and random schedules (and sums, differences and products of
/// them) the shared form must give what it gave.
@Suite struct AffineFormAgreementTests {
    @Test(arguments: ShippedKernels.names)
    func sharedFormAgreesWithTheFormsItReplaced(name: String) throws {
        var nests: [LoopNest] = []
        if FileManager.default.fileExists(atPath: HandScheduleTests.schedulePath(name)) {
            let schedule = try Schedule.load(path: HandScheduleTests.schedulePath(name))
            nests += [try lower(try ShippedKernels.load(name), schedule: schedule)]
            nests += (0..<2).compactMap { try? lower(try ShippedKernels.small(name, variant: $0), schedule: schedule) }
        }
        for variant in 0..<3 {
            let kernel = try ShippedKernels.small(name, variant: variant)
            var generator = RandomScheduleGenerator(kernel: kernel, seed: UInt64(variant + 1) ^ stableSeed(name))
            nests += (0..<4).compactMap { _ in try? lower(kernel, schedule: generator.next()) }
        }
        var corpus: [(index: Expr, loops: [(String, Int64)])] = []
        for nest in nests { collectIndices(nest.body, loops: [], into: &corpus) }
        var checked = 0
        for (n, (index, loops)) in corpus.enumerated() {
            let other = corpus[(n * 7 + 3) % corpus.count].index
            let variants: [Expr] = [ .binary(.add, index, other), .binary(.sub, index, other), .unary(.neg, index),
                                    .binary(.mul, .binary(.add, index, .index(3)), .index(-5)), .binary(.mul, index, other),
                                    .binary(.mul, .binary(.sub, other, other), index)]
            var simplified: [Expr] = []
            index.forEachNode { if $0.type == .index || $0.type == .bool { simplified.append($0) } }
            for e in variants + simplified {
                checked += 1
                expectSame(AffineForm(e, atoms: .indexExpressions), OldLinear(e), e)
                expectSame(AffineForm(e), OldVariableForm(e), e)
            }
            // Bounds inference sees simplified indices only (a sum of two
            // would repeat terms, which SplitAffine did not merge).
            for e in simplified where e.type == .index {
                for k in 0...loops.count {
                    let inner = Dictionary(loops.suffix(k), uniquingKeysWith: { $1 })
                    let new = SplitAffine(e, inner: inner), old = OldSplitAffine(e, inner: inner)
                    #expect(new?.fixed == old?.fixed && new?.low == old?.low && new?.high == old?.high, "\(e) inner \(inner)")
                    if let new, let old {
                        #expect(SplitAffine.expression(new.fixed, plus: new.low) == OldSplitAffine.expression(old.fixed, plus: old.low))
                    }
                }
            }
        }
        #expect(checked > 1000, "a corpus of \(checked) expressions is too small")
    }

    private func expectSame(_ new: AffineForm?, _ old: OldLinear?, _ e: Expr) {
        guard let new, let old else {
            #expect(new == nil && old == nil, "\(e): \(String(describing: new)) vs \(String(describing: old?.expression))")
            return
        }
        #expect(new.terms.map(\.atom) == old.terms.map(\.atom) && new.terms.map(\.coefficient) == old.terms.map(\.coefficient)
                && new.constant == old.constant && new.expression == old.expression, "\(e)")
        for d: Int64 in [2, 3, 8] {
            let (q, r) = new.divided(by: d), (oq, or) = old.divided(by: d)
            #expect(q.expression == oq.expression && r.expression == or.expression, "\(e) / \(d)")
        }
    }

    private func expectSame(_ new: AffineForm?, _ old: OldVariableForm?, _ e: Expr) {
        guard let new, let old else {
            #expect(new == nil && old == nil, "\(e): \(String(describing: new)) vs \(String(describing: old))")
            return
        }
        let terms = Dictionary(new.terms.map { atom, c in (atom.description, c) }, uniquingKeysWith: +)
        #expect(terms == old.terms && new.constant == old.constant, "\(e)")
    }
}

/// Every index, loop bound, guard and `let` value of a nest, with the loops
/// around it (outermost first) that have constant extents.
private func collectIndices(_ s: Stmt, loops: [(String, Int64)], into corpus: inout [(index: Expr, loops: [(String, Int64)])]) {
    switch s {
    case .loop(let loop):
        corpus += [(loop.min, loops), (loop.extent, loops)]
        var inner = loops
        if case .int(let e, _) = loop.extent, e > 0 { inner.append((loop.variable, e)) }
        collectIndices(loop.body, loops: inner, into: &corpus)
    case .store(_, let indices, let value):
        corpus += indices.map { ($0, loops) }
        value.forEachNode { if case .load(_, let indices, _) = $0 { corpus += indices.map { ($0, loops) } } }
    case .allocate(_, let body): collectIndices(body, loops: loops, into: &corpus)
    case .letStmt(_, let value, let body):
        corpus.append((value, loops))
        collectIndices(body, loops: loops, into: &corpus)
    case .ifThenElse(let condition, let then, let otherwise, _):
        corpus.append((condition, loops))
        collectIndices(then, loops: loops, into: &corpus)
        if let otherwise { collectIndices(otherwise, loops: loops, into: &corpus) }
    case .block(let stmts): for s in stmts { collectIndices(s, loops: loops, into: &corpus) }
    }
}

// MARK: - The replaced implementations, as they were

/// Simplify.swift's `Linear`.
private struct OldLinear {
    var terms: [(atom: Expr, coefficient: Int64)] = []
    var constant: Int64 = 0

    init?(_ expr: Expr) {
        guard add(expr, 1) else { return nil }
        terms.removeAll { $0.coefficient == 0 }
    }

    private init(terms: [(atom: Expr, coefficient: Int64)], constant: Int64) {
        self.terms = terms
        self.constant = constant
    }

    private mutating func add(_ expr: Expr, _ scale: Int64) -> Bool {
        switch expr {
        case .int(let v, _):
            let (p, o1) = v.multipliedReportingOverflow(by: scale)
            let (s, o2) = constant.addingReportingOverflow(p)
            constant = s
            return !o1 && !o2
        case .binary(.add, let a, let b): return add(a, scale) && add(b, scale)
        case .binary(.sub, let a, let b): return add(a, scale) && add(b, -scale)
        case .unary(.neg, let a): return add(a, -scale)
        case .binary(.mul, let a, .int(let c, _)), .binary(.mul, .int(let c, _), let a): return add(a, scale * c)
        default:
            guard expr.type == .index else { return false }
            if let i = terms.firstIndex(where: { $0.atom == expr }) {
                terms[i].coefficient += scale
            } else {
                terms.append((expr, scale))
            }
            return true
        }
    }

    func divided(by d: Int64) -> (quotient: OldLinear, remainder: OldLinear) {
        var q = OldLinear(terms: [], constant: Interval.floorDiv(constant, d))
        var r = OldLinear(terms: [], constant: Interval.floorMod(constant, d))
        for term in terms {
            if greatestCommonDivisor(term.coefficient, d) == d {
                q.terms.append((term.atom, term.coefficient / d))
            } else {
                r.terms.append(term)
            }
        }
        return (q, r)
    }

    var expression: Expr {
        var result: Expr? = nil
        for (atom, c) in terms {
            let term: Expr = c == 1 ? atom : c == -1 ? .unary(.neg, atom) : .binary(.mul, atom, .int(c, .index))
            if let sum = result {
                if c < 0 && c != Int64.min {
                    let positive: Expr = c == -1 ? atom : .binary(.mul, atom, .int(-c, .index))
                    result = .binary(.sub, sum, positive)
                } else {
                    result = .binary(.add, sum, term)
                }
            } else {
                result = term
            }
        }
        guard let sum = result else { return .int(constant, .index) }
        if constant == 0 { return sum }
        return constant > 0 ? .binary(.add, sum, .int(constant, .index)) : .binary(.sub, sum, .int(-constant, .index))
    }
}

/// Interval.swift's `AffineForm` (variables only, terms keyed by name).
private struct OldVariableForm: Equatable {
    var terms: [String: Int64]
    var constant: Int64

    init(terms: [String: Int64] = [:], constant: Int64 = 0) {
        self.terms = terms.filter { $0.value != 0 }
        self.constant = constant
    }

    init?(_ e: Expr) {
        guard let f = OldVariableForm.linearize(e) else { return nil }
        self = f
    }

    var isConstant: Bool { terms.isEmpty }

    private static func linearize(_ e: Expr) -> OldVariableForm? {
        switch e {
        case .int(let v, let t) where t != .bool:
            return OldVariableForm(constant: v)
        case .variable(let name, let t) where t.isInteger:
            return OldVariableForm(terms: [name: 1])
        case .cast(let t, let a) where t.isInteger && a.type.isInteger:
            return linearize(a)
        case .unary(.neg, let a):
            return linearize(a)?.scaled(by: -1)
        case .binary(.add, let a, let b):
            guard let x = linearize(a), let y = linearize(b) else { return nil }
            return x.adding(y, times: 1)
        case .binary(.sub, let a, let b):
            guard let x = linearize(a), let y = linearize(b) else { return nil }
            return x.adding(y, times: -1)
        case .binary(.mul, let a, let b):
            guard let x = linearize(a), let y = linearize(b) else { return nil }
            if x.isConstant { return y.scaled(by: x.constant) }
            if y.isConstant { return x.scaled(by: y.constant) }
            return nil
        default:
            return nil
        }
    }

    func adding(_ other: OldVariableForm, times k: Int64) -> OldVariableForm? {
        var terms = self.terms
        for (name, c) in other.terms {
            let (kc, o1) = c.multipliedReportingOverflow(by: k)
            let (sum, o2) = terms[name, default: 0].addingReportingOverflow(kc)
            guard !o1, !o2 else { return nil }
            terms[name] = sum
        }
        let (kc, o1) = other.constant.multipliedReportingOverflow(by: k)
        let (constant, o2) = self.constant.addingReportingOverflow(kc)
        guard !o1, !o2 else { return nil }
        return OldVariableForm(terms: terms, constant: constant)
    }

    func scaled(by k: Int64) -> OldVariableForm? {
        var terms: [String: Int64] = [:]
        for (name, c) in self.terms {
            let (kc, o) = c.multipliedReportingOverflow(by: k)
            guard !o else { return nil }
            terms[name] = kc
        }
        let (constant, o) = self.constant.multipliedReportingOverflow(by: k)
        guard !o else { return nil }
        return OldVariableForm(terms: terms, constant: constant)
    }
}

/// Bounds.swift's `SplitAffine` (unchecked arithmetic).
private struct OldSplitAffine {
    var fixed: [Expr: Int64] = [:]
    var inner: [String: Int64] = [:]
    var low: Int64 = 0
    var high: Int64 = 0
    private var opaqueLow: Int64 = 0
    private var opaqueHigh: Int64 = 0

    init?(_ expr: Expr, inner extents: [String: Int64]) {
        guard collect(expr, 1, extents) else { return nil }
        let constant = fixed.removeValue(forKey: .index(1)) ?? 0
        (low, high) = (constant + opaqueLow, constant + opaqueHigh)
        for (name, c) in inner {
            let span = c * (extents[name]! - 1)
            low += min(0, span)
            high += max(0, span)
        }
    }

    private mutating func collect(_ expr: Expr, _ scale: Int64, _ extents: [String: Int64]) -> Bool {
        switch expr {
        case .int(let v, _):
            fixed[.index(1), default: 0] += v * scale
            return true
        case .variable(let name, _) where extents[name] != nil:
            inner[name, default: 0] += scale
            return true
        case .binary(.add, let a, let b): return collect(a, scale, extents) && collect(b, scale, extents)
        case .binary(.sub, let a, let b): return collect(a, scale, extents) && collect(b, -scale, extents)
        case .unary(.neg, let a): return collect(a, -scale, extents)
        case .binary(.mul, let a, .int(let c, _)), .binary(.mul, .int(let c, _), let a): return collect(a, scale * c, extents)
        case .binary(let op, let a, .int(let d, _)) where (op == .div || op == .mod) && d > 0 && !variables(in: a).isDisjoint(with: extents.keys):
            guard let e = OldSplitAffine(a, inner: extents), e.fixed.isEmpty, let range = Interval(e.low, e.high).floorDivided(by: d) else { return false }
            var (lo, hi) = (range.lo, range.hi)
            if op == .mod {
                (lo, hi) = lo == hi ? (Interval.floorMod(e.low, d), Interval.floorMod(e.high, d)) : (0, d - 1)
            }
            (opaqueLow, opaqueHigh) = (opaqueLow + min(lo * scale, hi * scale), opaqueHigh + max(lo * scale, hi * scale))
            return true
        default:
            guard variables(in: expr).isDisjoint(with: extents.keys) else { return false }
            fixed[expr, default: 0] += scale
            return true
        }
    }

    static func expression(_ fixed: [Expr: Int64], plus offset: Int64) -> Expr {
        var result: Expr = .index(Int(fixed[.index(1)] ?? 0) + Int(offset))
        for (term, c) in fixed.sorted(by: { $0.key.description < $1.key.description }) where term != .index(1) && c != 0 {
            result = .binary(.add, result, c == 1 ? term : .binary(.mul, term, .index(Int(c))))
        }
        return result
    }
}
