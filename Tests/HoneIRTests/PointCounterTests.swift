import Testing
@testable import HoneIR

/// `PointCounter` counts a fused loop read by its parts as its mixed-radix
/// digits; counts must be those of a walk over every point.
@Suite struct PointCounterTests {
    /// Random conditions over three loops, one of them fused from three
    /// tiles and read by its parts (`v / B`, `v % B`, `v / B % C`), now and
    /// then by divisors out of the chain, past its extent, twice in a row,
    /// or whole; affine or not. Each count, through each level, is the
    /// walk's.
    @Test func fusedLoopsReadByTheirPartsCountAsAWalk() {
        var random = SplitMix64(seed: 0x5EED_0F_D161)
        func pick(_ n: Int) -> Int { random.next(below: n) }
        var counted = 0
        for _ in 0..<1000 {
            let radices = (0..<3).map { _ in 1 + pick(4) + pick(2) }  // the tiles' extents
            let fusedExtent = radices.reduce(1, *)
            let fusedPosition = pick(3)
            let names = ["x", "y", "z"]
            var extents = (0..<3).map { _ in 1 + pick(5) }
            extents[fusedPosition] = fusedExtent
            let fused = Expr.indexVar(names[fusedPosition])
            let cuts = [radices[0], radices[0] * radices[1], fusedExtent, 2 * fusedExtent]
            // Most trials read the fused loop by its parts only; the others
            // also whole, by 1, or by 3 (out of the chain unless a tile is 3).
            let noisy = pick(4) == 0
            func cut() -> Int { noisy && pick(3) == 0 ? [1, 3][pick(2)] : cuts[pick(5) == 0 ? 2 + pick(2) : pick(2)] }
            func part() -> Expr {
                let b = cut()
                switch noisy ? pick(8) : 1 + pick(7) {
                case 0: return fused
                case 1, 2: return .binary(.div, fused, .index(b))
                case 3, 4: return .binary(.mod, fused, .index(b))
                case 5: return .binary(.div, .binary(.div, fused, .index(b)), .index(cut()))
                default:
                    let above = cuts.filter { $0 > b && $0 % b == 0 }
                    let c = above.isEmpty || (noisy && pick(2) == 0) ? 1 + pick(4) : above[pick(above.count)] / b
                    return .binary(.mod, .binary(.div, fused, .index(b)), .index(c))
                }
            }
            func literal() -> Expr {
                var sum = Expr.binary(.mul, part(), .index(pick(5) - 2))
                if pick(2) == 0 { sum = .binary(.mul, sum, part()) }  // not affine
                let other = names[(fusedPosition + 1 + pick(2)) % 3]
                if pick(3) > 0 { sum = .binary(.add, sum, .binary(.mul, .indexVar(other), .index(pick(5) - 2))) }
                return .binary(pick(2) == 0 ? .lt : .ge, sum, .index(pick(13) - 6))
            }
            func condition() -> Expr { (1..<(1 + pick(3))).reduce(literal()) { e, _ in .binary(.and, e, literal()) } }
            let holding = condition(), failing = pick(2) == 0 ? condition() : nil

            var counter = PointCounter(extents: extents.map(Int64.init), variables: names)
            let held = Array(counter.registerLiterals(holding)), failed = failing.map { Array(counter.registerLiterals($0)) }
            counter.finish()
            for level in 0..<3 {
                let count = counter.count(holding: held, failing: failed.map { [$0] } ?? [], through: level)
                // The walk over the loops through `level`, the others at 0.
                var walked: Int64 = 0
                var point = [String: Int64]()
                func walk(_ l: Int) {
                    guard l <= level else {
                        if value(holding, point) != 0 && failing.map({ value($0, point) == 0 }) ?? true { walked += 1 }
                        return
                    }
                    for v in 0..<extents[l] {
                        point[names[l]] = Int64(v)
                        walk(l + 1)
                    }
                }
                for l in 0..<3 { point[names[l]] = 0 }
                walk(0)
                // Conditions that read a loop past `level` have no count, unless
                // those reads fold away (`v / B` with B past v's extent is 0).
                let readsInner = [holding, failing].compactMap { $0 }.contains { reads($0).contains { names.firstIndex(of: $0)! > level } }
                if readsInner {
                    if let count { #expect(count == walked, "\(holding), \(failing.map { "\($0)" } ?? "") through \(level) of \(extents)") }
                } else {
                    #expect(count == walked, "\(holding), \(failing.map { "\($0)" } ?? "") through \(level) of \(extents)")
                    counted += 1
                }
            }
        }
        #expect(counted > 1000)
    }
}

/// An index expression's value at `point` (floor division and remainder).
private func value(_ e: Expr, _ point: [String: Int64]) -> Int64 {
    switch e {
    case .int(let v, _): return v
    case .variable(let name, _): return point[name]!
    case .binary(let op, let a, let b):
        let x = value(a, point), y = value(b, point)
        switch op {
        case .add: return x + y
        case .mul: return x * y
        case .div: return Interval.floorDiv(x, y)
        case .mod: return Interval.floorMod(x, y)
        case .lt: return x < y ? 1 : 0
        case .ge: return x >= y ? 1 : 0
        case .and: return x != 0 && y != 0 ? 1 : 0
        default: fatalError("\(op)")
        }
    default: fatalError("\(e)")
    }
}

/// The variables `e` reads.
private func reads(_ e: Expr) -> [String] {
    switch e {
    case .variable(let name, _): [name]
    case .binary(_, let a, let b): reads(a) + reads(b)
    default: []
    }
}
