import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule
import HoneTestSupport

/// Lowering records, for each `if` it makes, what it is (a tile partition or
/// a per-point tail guard) and exact counts, so each store's executions are
/// known without estimating them: checked against a walk of the nest that
/// counts every store as it runs.
@Suite struct PointCountTests {
    /// A 10-wide loop split by 4, the inner part vectorized: one partition
    /// (two full tiles take the fast path, the third the guarded one) and a
    /// tail guard per lane of the last tile.
    @Test func aNonDividingSplitMakesAPartitionAndATailGuard() throws {
        let kernel = try Kernel.parse("""
            kernel scale
            param N = 10
            input  X: f32[N]
            output Y: f32[N]
            Y[i] = X[i] * 2.0
            """)
        let nest = try lower(kernel, schedule: Schedule([.split(stage: "Y", loop: "i", factors: [4]), .vectorize(stage: "Y", loop: "i.1")]))
        let ifs = branches(nest.body)
        #expect(ifs.map(\.kind) == [.partition, .tailGuard], "\(nest)")
        #expect(ifs.first?.counts == IfFacts.Counts(evaluations: 3, holds: 2))
        #expect(ifs.last?.counts == IfFacts.Counts(evaluations: 4, holds: 2))
        #expect(nest.storePointCounts == [8, 2])
        #expect(nest.storePointCounts == executions(nest))
    }

    /// Softmax's exponentials fused over (j.0, i, j.1), 16 × 17 × 4, with
    /// the row maximum computed per fused iteration: the region's bounds
    /// test reads the row `v / 4 % 17` under the tail guard on the column
    /// `v / 68 * 4 + v % 4`. Read whole, the fused loop and the region's 64
    /// rows are past the enumeration limit; as its three digits, the guard
    /// and the test read apart and both are counted.
    @Test func aRegionUnderAFusedLoopReadWithSeveralDivisorsIsCounted() throws {
        let kernel = try ShippedKernels.load("softmax", ["M": 17, "N": 63])
        let nest = try lower(kernel, schedule: Schedule([
            .cacheWrite(stage: "rowmax"), .computeInline(stage: "rowmax"),
            .split(stage: "e", loop: "j", factors: [4]), .reorder(stage: "e", order: ["j.0", "i", "j.1"]),
            .fuse(stage: "e", loops: ["j.0", "i", "j.1"]),
            .split(stage: "rowmax.local", loop: "i", factors: [64]), .split(stage: "rowmax.local", loop: "j", factors: [32]),
            .reorder(stage: "rowmax.local", order: ["i.1", "j.0", "i.0", "j.1"]),
            .computeAt(stage: "rowmax.local", consumer: "e", loop: "j.0@i@j.1"),
        ]))
        let ifs = branches(nest.body)
        #expect(ifs.count >= 4 && ifs.allSatisfy { $0.counts != nil }, "\(nest)")
        #expect(nest.storePointCounts.allSatisfy { $0 != nil })
        #expect(nest.storePointCounts == executions(nest), "\(nest)")
    }

    @Test(arguments: ShippedKernels.names)
    func randomSchedulesCountTheirStoresExactly(name: String) throws {
        let variants = try (0..<3).map { try ShippedKernels.small(name, variant: $0) }
        var generators = variants.enumerated().map { RandomScheduleGenerator(kernel: $1, seed: UInt64($0 + 11) &* 0x9E37_79B9 ^ stableSeed(name)) }
        var stores = 0, counted = 0
        for trial in 0..<24 {
            let v = trial % variants.count
            let schedule = generators[v].next()
            guard let nest = try? lower(variants[v], schedule: schedule) else { continue }
            let (exact, walked) = (nest.storePointCounts, executions(nest))
            #expect(exact.count == walked.count)
            for (e, w) in zip(exact, walked) {
                stores += 1
                guard let e else { continue }
                counted += 1
                #expect(e == w, "\(name): \(e) counted, \(w!) run\n\(schedule.json())\n\(nest)")
            }
            for facts in branches(nest.body) { #expect(facts.kind != .other) }
        }
        // Region bounds tests under a consumer's tile are counted too (`addMissingTestCounts`).
        #expect(counted == stores, "\(name): \(counted) of \(stores) stores counted")
    }

    @Test(arguments: HandScheduleTests.scheduled)
    func handSchedulesCountTheirStoresExactly(name: String) throws {
        let schedule = try Schedule.load(path: HandScheduleTests.schedulePath(name))
        let defaults = try ShippedKernels.load(name).parameters
        let medium = try ShippedKernels.load(name, Dictionary(uniqueKeysWithValues: defaults.map { ($0.name, min($0.value, 20)) }))
        for kernel in [medium, try ShippedKernels.small(name, variant: 0), try ShippedKernels.small(name, variant: 1)] {
            let nest = try lower(kernel, schedule: schedule)
            let (exact, walked) = (nest.storePointCounts, executions(nest))
            #expect(exact.count == walked.count)
            for (e, w) in zip(exact, walked) { #expect(e == w, "\(name)\n\(nest)") }
        }
    }
}

/// The facts of every `if`, in program order.
private func branches(_ s: Stmt) -> [IfFacts] {
    switch s {
    case .loop(let loop): branches(loop.body)
    case .store: []
    case .allocate(_, let body), .letStmt(_, _, let body): branches(body)
    case .ifThenElse(_, let then, let otherwise, let facts): [facts] + branches(then) + (otherwise.map(branches) ?? [])
    case .block(let stmts): stmts.flatMap(branches)
    }
}

/// How many times each store runs, by running the nest's control flow:
/// every loop iterated, every `let` bound and every condition evaluated.
func executions(_ nest: LoopNest) -> [Int64?] {
    var counts: [Int64] = []
    var environment: [String: Int64] = [:]
    func walk(_ s: Stmt, _ position: inout Int, _ live: Bool) {
        if live, !hasBranches(s) {
            // No `if` below: every store runs once per iteration of the loops around it.
            addStatically(s, 1, &position)
            return
        }
        switch s {
        case .loop(let loop):
            let lo = value(loop.min), n = value(loop.extent)
            let saved = environment[loop.variable]
            if live && n > 0 {
                for i in lo..<(lo + n) {
                    environment[loop.variable] = i
                    var p = position
                    walk(loop.body, &p, true)
                    if i == lo + n - 1 { position = p }
                }
            } else {
                walk(loop.body, &position, false)
            }
            environment[loop.variable] = saved
        case .store:
            if counts.count <= position { counts.append(0) }
            if live { counts[position] += 1 }
            position += 1
        case .allocate(_, let body):
            walk(body, &position, live)
        case .letStmt(let name, let v, let body):
            let saved = environment[name]
            if live { environment[name] = value(v) }
            walk(body, &position, live)
            environment[name] = saved
        case .ifThenElse(let condition, let then, let otherwise, _):
            let holds = live && value(condition) != 0
            walk(then, &position, live && holds)
            if let otherwise { walk(otherwise, &position, live && !holds) }
        case .block(let stmts):
            for stmt in stmts { walk(stmt, &position, live) }
        }
    }
    func value(_ e: Expr) -> Int64 {
        guard let v = evaluateIndex(e, at: environment) else { fatalError("not an index: \(e)") }
        return v
    }
    func addStatically(_ s: Stmt, _ times: Int64, _ position: inout Int) {
        switch s {
        case .loop(let loop): addStatically(loop.body, times * max(value(loop.extent), 0), &position)
        case .store:
            if counts.count <= position { counts.append(0) }
            counts[position] += times
            position += 1
        case .allocate(_, let body), .letStmt(_, _, let body): addStatically(body, times, &position)
        case .ifThenElse: fatalError("not static")
        case .block(let stmts): for stmt in stmts { addStatically(stmt, times, &position) }
        }
    }
    var position = 0
    walk(nest.body, &position, true)
    return counts.map { $0 }
}

private func hasBranches(_ s: Stmt) -> Bool {
    switch s {
    case .loop(let loop): hasBranches(loop.body)
    case .store: false
    case .allocate(_, let body), .letStmt(_, _, let body): hasBranches(body)
    case .ifThenElse: true
    case .block(let stmts): stmts.contains(where: hasBranches)
    }
}
