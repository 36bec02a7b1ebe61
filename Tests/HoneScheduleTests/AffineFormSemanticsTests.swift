import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule
import HoneTestSupport

/// The shared `AffineForm` on the indices lowering really produces: for every
/// index, loop bound, guard and `let` value of lowered hand and random
/// schedules of every kernel (and sums, differences and products of them),
/// the form's expression must compute what the index computes, at random
/// points, with either choice of atoms.
@Suite struct AffineFormSemanticsTests {
    @Test(arguments: ShippedKernels.names)
    func formsComputeWhatTheIndicesCompute(name: String) throws {
        var nests: [LoopNest] = []
        if FileManager.default.fileExists(atPath: HandScheduleTests.schedulePath(name)) {
            let schedule = try Schedule.load(path: HandScheduleTests.schedulePath(name))
            nests += (0..<2).compactMap { try? lower(try ShippedKernels.small(name, variant: $0), schedule: schedule) }
        }
        for variant in 0..<3 {
            let kernel = try ShippedKernels.small(name, variant: variant)
            var generator = RandomScheduleGenerator(kernel: kernel, seed: UInt64(variant + 1) ^ stableSeed(name))
            nests += (0..<4).compactMap { _ in try? lower(kernel, schedule: generator.next()) }
        }
        var indices: [Expr] = []
        for nest in nests {
            try nest.body.walk(expr: { e in
                if e.type == .index && !e.readsMemory { indices.append(e) }
                return .visitChildren
            })
        }
        var random = SplitMix64(seed: stableSeed(name))
        var affine = 0
        for (n, index) in indices.enumerated() {
            let other = indices[(n * 7 + 3) % indices.count]
            let variants: [Expr] = [index, .binary(.add, index, other), .binary(.sub, index, other), .unary(.neg, index),
                                    .binary(.mul, .binary(.add, index, .index(3)), .index(-5)), .binary(.mul, index, other)]
            for e in variants {
                for form in [AffineForm(e, atoms: .indexExpressions), AffineForm(e)].compactMap({ $0 }) {
                    affine += 1
                    for _ in 0..<3 {
                        // Every free variable at a random value in [-40, 40].
                        let point = Dictionary(uniqueKeysWithValues: variables(in: e).map { ($0, Int64(random.next() % 81) - 40) })
                        guard let expected = evaluateIndex(e, at: point) else { continue }
                        #expect(expected == evaluateIndex(form.expression, at: point), "\(e) as \(form) at \(point)")
                    }
                }
            }
        }
        #expect(affine > 200, "only \(affine) affine forms checked")
    }
}

extension Expr {
    fileprivate var readsMemory: Bool { contains { if case .load = $0 { true } else { false } } }
}
