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
                        var point: [String: Int64] = [:]
                        let expected = evaluate(e, at: &point, &random)
                        let got = evaluate(form.expression, at: &point, &random)
                        #expect(expected == got, "\(e) as \(form) at \(point)")
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

/// An index or boolean expression's value; free variables get random values
/// in [-40, 40] the first time they are read (and keep them in `point`).
/// Loads never reach here (they are filtered out above).
private func evaluate(_ e: Expr, at point: inout [String: Int64], _ random: inout SplitMix64) -> Int64 {
    func value(_ e: Expr) -> Int64 {
        switch e {
        case .int(let v, _): return v
        case .float(let v, _): return Int64(v)
        case .variable(let name, _):
            if let v = point[name] { return v }
            let v = Int64(random.next() % 81) - 40
            point[name] = v
            return v
        case .load: return 0
        case .cast(_, let a): return value(a)
        case .unary(.neg, let a): return 0 &- value(a)
        case .unary(.not, let a): return value(a) == 0 ? 1 : 0
        case .call(_, let args): return args.reduce(0) { $0 &+ value($1) }
        case .select(let c, let a, let b): return value(c) != 0 ? value(a) : value(b)
        case .binary(let op, let a, let b):
            let (x, y) = (value(a), value(b))
            switch op {
            case .add: return x &+ y
            case .sub: return x &- y
            case .mul: return x &* y
            case .div: return y == 0 ? 0 : Interval.floorDiv(x, y)
            case .mod: return y == 0 ? 0 : x &- Interval.floorDiv(x, y) &* y
            case .min: return min(x, y)
            case .max: return max(x, y)
            case .eq: return x == y ? 1 : 0
            case .ne: return x != y ? 1 : 0
            case .lt: return x < y ? 1 : 0
            case .le: return x <= y ? 1 : 0
            case .gt: return x > y ? 1 : 0
            case .ge: return x >= y ? 1 : 0
            case .and: return x != 0 && y != 0 ? 1 : 0
            case .or: return x != 0 || y != 0 ? 1 : 0
            }
        }
    }
    return value(e)
}
