import Testing
@testable import Hone
@testable import HoneSchedule
import HoneTestSupport

/// Lowering counts each `if` with `PointCounter`'s fast method (fused loops
/// read as digits, affine components walked by blocks);
/// the reference evaluates every point. On random schedules, each `if` of
/// the two nests has the same counts wherever the reference has any.
@Suite struct CountingMethodTests {
    @Test(arguments: ShippedKernels.names)
    func randomSchedulesCountAsEnumerationDoes(name: String) throws {
        let variants = try (0..<3).map { try ShippedKernels.small(name, variant: $0) }
        var generators = variants.enumerated().map { RandomScheduleGenerator(kernel: $1, seed: UInt64($0 + 5) &* 0x9E37_79B9 ^ stableSeed(name)) }
        var tally = Tally()
        for trial in 0..<24 {
            let v = trial % variants.count
            try tally.compare(variants[v], generators[v].next(), name)
        }
        #expect(tally.compared > 0 || tally.ifs == 0, "\(name): no `if` compared")
    }

    /// The search's own candidates, at small sizes with a batch of 1: its
    /// parallel loops fuse outer tile loops of extent 1 (each the constant 0).
    @Test(arguments: [("conv2d", ["N": 1, "C": 5, "H": 13, "W": 11, "F": 7]), ("gemm", ["M": 13, "N": 16, "K": 7]),
                      ("softmax", ["M": 11, "N": 13]), ("layernorm", ["M": 5, "N": 19]),
                      ("depthwise_conv2d", ["N": 1, "C": 6, "H": 9, "W": 13])])
    func searchCandidatesCountAsEnumerationDoes(name: String, sizes: [String: Int]) throws {
        let kernel = try ShippedKernels.load(name, sizes)
        let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
        var rng = SplitMix64(seed: stableSeed(name))
        var tally = Tally()
        for _ in 0..<40 { try tally.compare(kernel, space.schedule(for: space.sample(&rng)), name) }
        #expect(tally.compared > tally.ifs / 2, "\(name): \(tally.compared) of \(tally.ifs) `if`s compared")
    }

    private struct Tally {
        var ifs = 0
        var compared = 0

        /// Lowers `schedule` both ways and checks every `if`; the fast nest's
        /// stores are also checked against a run of its control flow.
        mutating func compare(_ kernel: Kernel, _ schedule: Schedule, _ name: String) throws {
            guard let scheduled = try? ScheduledKernel(kernel, schedule: schedule),
                  let fast = try? lower(scheduled, counting: .fast) else { return }
            let reference = try lower(scheduled, counting: .enumeration)
            let (fastFacts, referenceFacts) = (allIfFacts(fast.body), allIfFacts(reference.body))
            #expect(fastFacts.map(\.kind) == referenceFacts.map(\.kind), "\(name)\n\(schedule.json())")
            for (f, r) in zip(fastFacts, referenceFacts) {
                ifs += 1
                guard let expected = r.counts else { continue }
                compared += 1
                #expect(f.counts == expected, "\(name): \(String(describing: f.counts)) counted, \(expected) enumerated\n\(schedule.json())\n\(fast)")
            }
            for (e, w) in zip(fast.storePointCounts, executions(fast)) where e != nil { #expect(e == w, "\(name)\n\(schedule.json())\n\(fast)") }
        }
    }
}

/// The facts of every `if`, in program order.
private func allIfFacts(_ s: Stmt) -> [IfFacts] {
    switch s {
    case .loop(let loop): allIfFacts(loop.body)
    case .store: []
    case .allocate(_, let body), .letStmt(_, _, let body): allIfFacts(body)
    case .ifThenElse(_, let then, let otherwise, let facts): [facts] + allIfFacts(then) + (otherwise.map(allIfFacts) ?? [])
    case .block(let stmts): stmts.flatMap(allIfFacts)
    }
}
