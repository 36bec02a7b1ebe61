import HoneIR

/// A condition a point of a stage must meet to be computed: `i < 1000` after
/// a split of `i` that does not divide 1000, or a region point inside its
/// tensor. `isInternal` tells which loops run within one tile of the
/// condition (the split's inner parts, or all of a region's loops): where
/// they cannot break it, the tile is a fast path without the check.
struct Guard {
    var condition: Expr
    var isInternal: (String) -> Bool
    /// Tested again per vector where its tile test fails (a region's bounds:
    /// an edge tile of a stage computed at a loop is mostly full vectors).
    var retestsPerVector = false
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
    var counting: PointCounter.Method = .fast

    /// Guards that can be decided for a whole tile become a loop partition
    /// (Halide's "steady state"): where the tile's extreme points pass, a
    /// copy of the subtree without the check runs; elsewhere the guarded
    /// copy does. Each partition doubles the code below it, so at most this
    /// many levels are partitioned; other guards stay per-point checks.
    static let maxPartitionLevels = 2

    func build() -> Stmt {
        let names = loops.map { variable($0.name) }
        let openerAt = openers.isEmpty ? [] : loops.map { openers[$0.name] }
        /// The loops inside `level`, around `body`, with each loop's opener.
        func plainNest(_ level: Int) -> Stmt {
            let inner = level + 1 < loops.count ? .loop(Loop(names[level + 1], extent: .index(loops[level + 1].extent),
                                                           kind: loops[level + 1].kind, body: plainNest(level + 1))) : body
            if level >= 0, !openerAt.isEmpty, let opener = openerAt[level] { return opener(inner) }
            return inner
        }
        guard !guards.isEmpty else { return plainNest(-1) }

        // Where each guard is checked point by point (inside the innermost loop
        // it reads) and, when it can be, where its tile test goes (inside the
        // innermost loop it reads that is not internal to its tiles).
        var pointLevel: [Int] = [], partitionLevel: [Int?] = [], fastTests: [Expr?] = []
        let usedLoops = guards.map { loopsRead(by: $0.condition, names) }
        for (g, used) in zip(guards, usedLoops) {
            pointLevel.append(used.max() ?? -1)
            let inTile = used.filter { g.isInternal(names[$0]) }
            let test = inTile.isEmpty ? nil : tileTest(g.condition, internal: inTile, names)
            fastTests.append(test)
            partitionLevel.append(test == nil ? nil : (used.filter { !inTile.contains($0) }.max() ?? -1))
        }
        var levels: [Int] = []  // the outermost partition levels, at most `maxPartitionLevels`
        for level in partitionLevel.compactMap({ $0 }).sorted() where !levels.contains(level) && levels.count < Self.maxPartitionLevels {
            levels.append(level)
        }
        for i in guards.indices where partitionLevel[i].map({ !levels.contains($0) }) ?? false { partitionLevel[i] = nil }
        // Where a region's partitioned guard fails (an edge tile), it is
        // tested again per vector, right outside the vectorized loop it
        // reads: the full vectors of the edge tile run unmasked (AVX2's
        // masked stores cost several times a plain one), the last masked.
        var vectorLevel: [Int?] = [], vectorTests: [Expr?] = []
        for (i, (g, used)) in zip(guards, usedLoops).enumerated() {
            guard g.retestsPerVector, let primary = partitionLevel[i], let lanes = used.filter({ loops[$0].kind == .vectorized }).max(), lanes - 1 > primary,
                  used.allSatisfy({ $0 <= lanes }), let test = tileTest(g.condition, internal: [lanes], names) else {
                vectorLevel.append(nil)
                vectorTests.append(nil)
                continue
            }
            vectorLevel.append(lanes - 1)
            vectorTests.append(test)
        }

        // Exact counts for each `if`, over the loops around it, given the
        // tests on its path (`PointCounts.swift`).
        var registering = PointCounter(extents: loops.map { Int64($0.extent) }, variables: names, method: counting)
        let guardLiterals = guards.map { registering.registerLiterals($0.condition) }
        let testLiterals = fastTests.map { $0.map { registering.registerLiterals($0) } ?? 0..<0 }
        let vectorTestLiterals = vectorTests.map { $0.map { registering.registerLiterals($0) } ?? 0..<0 }
        registering.finish()
        let counter = registering
        /// The tests passed and failed on the way to a point.
        struct Path {
            var holding: [Int] = []
            var failing: [[Int]] = []
        }
        func facts(_ kind: IfFacts.Kind, _ literals: [Int], _ path: Path, _ level: Int) -> IfFacts {
            guard let evaluations = counter.count(holding: path.holding, failing: path.failing, through: level),
                  let holds = counter.count(holding: path.holding, and: literals, failing: path.failing, through: level)
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
                if level >= 0, !openerAt.isEmpty, let opener = openerAt[level] { return opener(inner) }
                return inner
            }
            var stmt: Stmt
            let partitioned = guards.indices.filter { active[$0] && partitionLevel[$0] == level }
            // Only reached with the guard still active where its tile test failed.
            let perVector = guards.indices.filter { active[$0] && vectorLevel[$0] == level }
            if partitioned.isEmpty && perVector.isEmpty {
                stmt = rest(active, path)
            } else {
                var fast = active
                for i in partitioned + perVector { fast[i] = false }
                let tests = partitioned.flatMap { testLiterals[$0] } + perVector.flatMap { vectorTestLiterals[$0] }
                var passed = path, failed = path
                passed.holding += tests
                failed.failing.append(tests)
                let condition = conjunction(partitioned.map { fastTests[$0]! } + perVector.map { vectorTests[$0]! })
                stmt = .ifThenElse(condition, rest(fast, passed), rest(active, failed), facts(.partition, tests, path, level))
            }
            return checks.isEmpty ? stmt : .ifThenElse(conjunction(checks.map { guards[$0].condition }), stmt, nil, checkFacts!)
        }
        func loopStmt(_ level: Int, _ active: [Bool], _ path: Path) -> Stmt {
            let loop = loops[level]
            return .loop(Loop(names[level], extent: .index(loop.extent), kind: loop.kind, body: content(level, active, path)))
        }
        return content(-1, Array(repeating: true, count: guards.count), Path())
    }

    /// The positions of the loops `e` reads, each once.
    private func loopsRead(by e: Expr, _ names: [String]) -> [Int] {
        var positions: [Int] = []
        e.walk { node in
            if case .variable(let name, _) = node, let p = names.firstIndex(of: name), !positions.contains(p) { positions.append(p) }
            return .visitChildren
        }
        return positions
    }

    private func conjunction(_ conditions: [Expr]) -> Expr {
        conditions.dropFirst().reduce(conditions[0]) { .binary(.and, $0, $1) }
    }

    /// The condition at the tile's worst point: each internal loop variable
    /// replaced by the end of its range that makes the comparison hardest.
    /// Nil when the condition is not a conjunction of affine comparisons.
    /// `inTile`: the positions of the internal loops it reads.
    private func tileTest(_ condition: Expr, internal inTile: [Int], _ names: [String]) -> Expr? {
        switch condition {
        case .binary(.and, let a, let b):
            guard let ta = tileTest(a, internal: inTile, names), let tb = tileTest(b, internal: inTile, names) else { return nil }
            return .binary(.and, ta, tb)
        case .binary(let op, let a, let b) where op == .lt || op == .le || op == .gt || op == .ge:
            guard let form = AffineForm(.binary(.sub, a, b), atoms: .indexExpressions) else { return nil }
            let wantMaximum = op == .lt || op == .le
            var worst: Expr = .index(Int(form.constant))
            for (atom, c) in form.terms {
                if case .variable(let name, _) = atom, let p = names.firstIndex(of: name), inTile.contains(p) {
                    let span = c * (Int64(loops[p].extent) - 1)
                    worst = .binary(.add, worst, .index(Int(wantMaximum ? max(0, span) : min(0, span))))
                } else {
                    guard loopsRead(by: atom, names).allSatisfy({ !inTile.contains($0) }) else { return nil }
                    worst = .binary(.add, worst, .binary(.mul, atom, .int(c, .index)))
                }
            }
            return .binary(op, worst, .index(0))
        default:
            return nil
        }
    }
}
