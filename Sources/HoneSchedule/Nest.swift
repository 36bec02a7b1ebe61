import HoneIR

/// A condition a point of a stage must meet to be computed: `i < 1000` after
/// a split of `i` that does not divide 1000, or a region point inside its
/// tensor. `isInternal` tells which loops run within one tile of the
/// condition (the split's inner parts, or all of a region's loops): where
/// they cannot break it, the tile is a fast path without the check.
struct Guard {
    var condition: Expr
    var isInternal: (String) -> Bool
}

/// A stage's loops around `body`, with its guards, and the producers
/// computed inside its loops.
struct NestBuilder {
    var loops: [LoopIterator]
    /// Loop name → the variable it binds in the loop IR.
    var variable: (String) -> String
    var body: Stmt
    var guards: [Guard]
    /// Statements (allocations and producer nests) that open each loop's body,
    /// wrapping the rest of it.
    var openers: [String: (Stmt) -> Stmt] = [:]

    /// Guards that can be decided for a whole tile become a loop partition
    /// (Halide's "steady state"): where the tile's extreme points pass, a
    /// copy of the subtree without the check runs; elsewhere the guarded
    /// copy does. Each partition doubles the code below it, so at most this
    /// many levels are partitioned; other guards stay per-point checks.
    static let maxPartitionLevels = 2

    func build() -> Stmt {
        let positions = Dictionary(uniqueKeysWithValues: loops.enumerated().map { (variable($1.name), $0) })
        let extents = Dictionary(uniqueKeysWithValues: loops.map { (variable($0.name), Int64($0.extent)) })
        // Where each guard is checked point by point (inside the innermost loop
        // it reads) and, when it can be, where its tile test goes (inside the
        // innermost loop it reads that is not internal to its tiles).
        var pointLevel: [Int] = [], partitionLevel: [Int?] = [], fastTests: [Expr?] = []
        for g in guards {
            let used = variables(in: g.condition).compactMap { name in positions[name].map { (name, $0) } }
            pointLevel.append(used.map(\.1).max() ?? -1)
            let inTile = Set(used.filter { g.isInternal($0.0) }.map(\.0))
            let test = inTile.isEmpty ? nil : tileTest(g.condition, internal: inTile, extents: extents)
            fastTests.append(test)
            partitionLevel.append(test == nil ? nil : (used.filter { !inTile.contains($0.0) }.map(\.1).max() ?? -1))
        }
        let levels = Set(partitionLevel.compactMap { $0 }).sorted().prefix(Self.maxPartitionLevels)
        for i in guards.indices where partitionLevel[i].map({ !levels.contains($0) }) ?? false { partitionLevel[i] = nil }

        // Exact counts for each `if`, over the loops around it, given the
        // tests on its path (`PointCounts.swift`).
        // A nest without guards has no `if`: nothing to count.
        var registering = PointCounter(extents: guards.isEmpty ? [] : loops.map { Int64($0.extent) }, positions: positions)
        let guardLiterals = guards.map { registering.register($0.condition) }
        let testLiterals = fastTests.map { $0.map { registering.register($0) } ?? [] }
        if !guards.isEmpty { registering.finish() }
        let counter = registering
        /// The tests passed and failed on the way to a point.
        struct Path {
            var holding: [Int] = []
            var failing: [[Int]] = []
        }
        func facts(_ kind: IfFacts.Kind, _ literals: [Int], _ path: Path, _ level: Int) -> IfFacts {
            guard let evaluations = counter.count(holding: path.holding, failing: path.failing, through: level),
                  let holds = counter.count(holding: path.holding + literals, failing: path.failing, through: level)
            else { return IfFacts(kind: kind) }
            return IfFacts(kind: kind, counts: IfFacts.Counts(evaluations: evaluations, holds: holds))
        }

        func content(_ level: Int, _ active: [Bool], _ path: Path) -> Stmt {
            var path = path
            let checks = guards.indices.filter { active[$0] && pointLevel[$0] == level }
            let checkLiterals = checks.flatMap { guardLiterals[$0] }
            let checkFacts = checks.isEmpty ? nil : facts(.tailGuard, checkLiterals, path, level)
            path.holding += checkLiterals
            // The loop's opener, then the loops inside it.
            func rest(_ active: [Bool], _ path: Path) -> Stmt {
                let inner = level + 1 < loops.count ? loopStmt(level + 1, active, path) : body
                if level >= 0, let opener = openers[loops[level].name] { return opener(inner) }
                return inner
            }
            var stmt: Stmt
            let partitioned = guards.indices.filter { active[$0] && partitionLevel[$0] == level }
            if partitioned.isEmpty {
                stmt = rest(active, path)
            } else {
                var fast = active
                for i in partitioned { fast[i] = false }
                let tests = partitioned.flatMap { testLiterals[$0] }
                var passed = path, failed = path
                passed.holding += tests
                failed.failing.append(tests)
                stmt = .ifThenElse(conjunction(partitioned.map { fastTests[$0]! }), rest(fast, passed), rest(active, failed),
                                   facts(.partition, tests, path, level))
            }
            return checks.isEmpty ? stmt : .ifThenElse(conjunction(checks.map { guards[$0].condition }), stmt, nil, checkFacts!)
        }
        func loopStmt(_ level: Int, _ active: [Bool], _ path: Path) -> Stmt {
            let loop = loops[level]
            return .loop(Loop(variable(loop.name), extent: .index(loop.extent), kind: loop.kind, body: content(level, active, path)))
        }
        return content(-1, Array(repeating: true, count: guards.count), Path())
    }

    private func conjunction(_ conditions: [Expr]) -> Expr {
        conditions.dropFirst().reduce(conditions[0]) { .binary(.and, $0, $1) }
    }

    /// The condition at the tile's worst point: each internal loop variable
    /// replaced by the end of its range that makes the comparison hardest.
    /// Nil when the condition is not a conjunction of affine comparisons.
    private func tileTest(_ condition: Expr, internal inTile: Set<String>, extents: [String: Int64]) -> Expr? {
        switch condition {
        case .binary(.and, let a, let b):
            guard let ta = tileTest(a, internal: inTile, extents: extents), let tb = tileTest(b, internal: inTile, extents: extents) else { return nil }
            return .binary(.and, ta, tb)
        case .binary(let op, let a, let b) where [.lt, .le, .gt, .ge].contains(op):
            guard let form = AffineForm(.binary(.sub, a, b), atoms: .indexExpressions) else { return nil }
            let wantMaximum = op == .lt || op == .le
            var worst: Expr = .index(Int(form.constant))
            for (atom, c) in form.terms {
                if case .variable(let name, _) = atom, inTile.contains(name) {
                    let span = c * (extents[name]! - 1)
                    worst = .binary(.add, worst, .index(Int(wantMaximum ? max(0, span) : min(0, span))))
                } else {
                    guard variables(in: atom).isDisjoint(with: inTile) else { return nil }
                    worst = .binary(.add, worst, .binary(.mul, atom, .int(c, .index)))
                }
            }
            return .binary(op, worst, .index(0))
        default:
            return nil
        }
    }
}
