import Testing
@testable import Hone
@testable import HoneCostModel
import HoneTestSupport

/// The features' index forms (`IndexForms.swift`: slopes per loop level and
/// value bounds, in doubles, with estimates for indices that are not
/// affine) agree exactly with HoneIR's `AffineForm` wherever an index is
/// affine in the loops: one definition of what is affine, and the
/// features' estimates confined to what is not.
@Suite struct IndexFormAgreementTests {
    @Test(arguments: ShippedKernels.names)
    func affineIndicesHaveTheSameFormInTheFeatures(name: String) throws {
        let kernel = try ShippedKernels.small(name, variant: 1)
        var generator = RandomScheduleGenerator(kernel: kernel, seed: name.utf8.reduce(UInt64(0x1F0E)) { $0 &* 31 &+ UInt64($1) })
        var extractor = FeatureExtractor(registers: .avx2, threads: 2)
        var checked = 0
        for _ in 0..<12 {
            guard let nest = try? lower(kernel, schedule: generator.next()) else { continue }
            forEachIndex(nest.body, loops: [], lets: [:]) { index, loops in
                guard loops.count <= extractor.forms.levelCapacity, let affine = AffineForm(index) else { return }
                // The loop variables as the features see them: start + iteration.
                let levels = Dictionary(uniqueKeysWithValues: loops.enumerated().map { ($1.variable, $0) })
                guard affine.terms.allSatisfy({ if case .variable(let v, _) = $0.atom { levels[v] != nil } else { false } }) else { return }
                extractor.reset()
                for (level, loop) in loops.enumerated() {
                    extractor.loops.append(EnclosingLoop(extent: Double(loop.extent), hasConstantExtent: true, kind: .serial, id: Int32(level),
                                                         start: .constant(Double(loop.start)), trip: 1))
                    extractor.scope.append(ScopeEntry(name: loop.variable, binding: .loop(level: level)))
                }
                let f = extractor.linearize(index)
                let forms = extractor.forms
                #expect(forms.mask(f) & (opaqueBit | inexactBit) == 0, "\(index)")
                var constant = affine.constant
                for (level, loop) in loops.enumerated() {
                    let c = affine.coefficient(ofVariable: loop.variable)
                    constant += c * loop.start
                    #expect(forms.slope(f, level) == Double(c), "\(index): slope of \(loop.variable)")
                }
                #expect(forms.constant(f) == Double(constant), "\(index): constant")
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}

private struct LoopInScope {
    var variable: String
    var start: Int64
    var extent: Int64
}

/// Calls `body` with every index of every store and load, `let`s replaced
/// by their values, and the constant-bounded loops around it.
private func forEachIndex(_ s: Stmt, loops: [LoopInScope], lets: [String: Expr], _ body: (Expr, [LoopInScope]) -> Void) {
    func indices(_ e: Expr) {
        e.forEachNode { node in
            if case .load(_, let idx, _) = node { for i in idx { body(substitute(i) { lets[$0] }, loops) } }
        }
    }
    switch s {
    case .loop(let loop):
        guard case .int(let start, _) = loop.min, case .int(let extent, _) = loop.extent else { return }
        forEachIndex(loop.body, loops: loops + [LoopInScope(variable: loop.variable, start: start, extent: extent)], lets: lets, body)
    case .store(_, let idx, let value):
        for i in idx { body(substitute(i) { lets[$0] }, loops) }
        indices(value)
    case .allocate(_, let inner):
        forEachIndex(inner, loops: loops, lets: lets, body)
    case .letStmt(let name, let value, let inner):
        var lets = lets
        lets[name] = substitute(value) { lets[$0] }
        forEachIndex(inner, loops: loops, lets: lets, body)
    case .ifThenElse(_, let then, let otherwise, _):
        forEachIndex(then, loops: loops, lets: lets, body)
        if let otherwise { forEachIndex(otherwise, loops: loops, lets: lets, body) }
    case .block(let stmts):
        for stmt in stmts { forEachIndex(stmt, loops: loops, lets: lets, body) }
    }
}
