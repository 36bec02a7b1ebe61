import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule
import HoneTestSupport

/// The schedule space, fuzzed: random valid schedules of every shipped kernel
/// must compute what the interpreter computes. `HONE_SCHEDULE_TRIALS` sets
/// the schedules per kernel (`make fuzz-schedules` runs 4000).
@Suite struct RandomScheduleTests {
    static let defaultTrials = 200

    static var trials: Int {
        ProcessInfo.processInfo.environment["HONE_SCHEDULE_TRIALS"].flatMap { Int($0) }.map { max($0, 1) } ?? defaultTrials
    }

    @Test(arguments: ShippedKernels.names)
    func randomSchedulesComputeWhatTheInterpreterComputes(name: String) throws {
        // HONE_SCHEDULE_KERNELS=gemm,conv2d fuzzes only those kernels.
        if let only = ProcessInfo.processInfo.environment["HONE_SCHEDULE_KERNELS"], !only.split(separator: ",").contains(Substring(name)) { return }
        let compiler = try Compiler()
        let trials = Self.trials
        // Four shapes per kernel, more (up to ten) for long runs.
        let variants = try (0..<min(10, max(4, trials / 100))).map { try ShippedKernels.small(name, variant: $0) }
        var generators = variants.enumerated().map { RandomScheduleGenerator(kernel: $1, seed: UInt64($0 + 1) &* 0x9E37_79B9 ^ stableSeed(name)) }
        var ran = 0, failed = 0
        var skipped: [ScheduleError.Kind: Int] = [:]
        var steps: [String: Int] = [:]
        var (slowest, slowestTrial) = (0.0, 0)  // seconds to compile, run and check one schedule
        let start = Date()
        for trial in 0..<trials {
            let variant = trial % variants.count
            let kernel = variants[variant]
            let schedule = generators[variant].next()
            for step in schedule.steps { steps[step.kind, default: 0] += 1 }
            let nest: LoopNest
            do {
                nest = try lower(kernel, schedule: schedule)
            } catch {
                skipped[error.kind, default: 0] += 1
                continue
            }
            // If the compiled code crashes the process, this file names the culprit.
            try? (schedule.json() + "\n").write(to: lastScheduleFile(name, kernel), atomically: false, encoding: .utf8)
            let started = Date()
            let result = try run(kernel, nest, compiler: compiler, seed: UInt64(trial + 1))
            if Date().timeIntervalSince(started) > slowest { (slowest, slowestTrial) = (Date().timeIntervalSince(started), trial) }
            ran += 1
            let passed = result.passed
            #expect(passed, "\(describe(kernel, schedule, result))")
            if !passed {
                failed += 1
                if failed >= 3 { break }  // enough to debug; keep the log readable
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let skippedCount = skipped.values.reduce(0, +)
        let skippedKinds = skipped.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")
        print("RandomSchedule \(name): \(ran) schedules run, \(skippedCount) skipped at lowering\(skipped.isEmpty ? "" : " (\(skippedKinds))"), "
              + "\(failed) failed, \(String(format: "%.1f", seconds)) s (slowest \(String(format: "%.2f", slowest)) s, trial \(slowestTrial)); steps: \(steps.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        #expect(ran >= (ran + skippedCount) * 95 / 100, "too many schedules fail to lower: \(skippedKinds)")
    }

    @Test func generatorIsDeterministicForASeed() throws {
        let kernel = try ShippedKernels.small("conv2d_bias_relu", variant: 1)
        var a = RandomScheduleGenerator(kernel: kernel, seed: 42), b = RandomScheduleGenerator(kernel: kernel, seed: 42)
        var c = RandomScheduleGenerator(kernel: kernel, seed: 43)
        let first = (0..<20).map { _ in a.next() }
        #expect(first == (0..<20).map { _ in b.next() })
        #expect(first != (0..<20).map { _ in c.next() })
    }

    /// Every step of every generated schedule applies, and over a few hundred
    /// schedules the generator uses every kind of step, including splits that
    /// do not divide their loop and factors larger than the loop.
    @Test func generatorCoversEveryStepKind() throws {
        var kinds = Set<String>()
        var nonDividing = 0, larger = 0, multiLevel = 0
        for name in ["gemm", "conv2d_bias_relu", "softmax"] {
            let kernel = try ShippedKernels.small(name, variant: 0)
            var generator = RandomScheduleGenerator(kernel: kernel, seed: 7)
            for _ in 0..<300 {
                let schedule = generator.next()
                var state = ScheduledKernel(kernel)
                for step in schedule.steps {
                    if case .split(let stage, let loop, let factors) = step, let extent = state.state(of: stage)?.loop(named: loop)?.extent {
                        let product = factors.reduce(1, *)
                        if extent % product != 0 { nonDividing += 1 }
                        if product > extent { larger += 1 }
                        if factors.count > 1 { multiLevel += 1 }
                    }
                    try state.apply(step)
                    kinds.insert(step.kind)
                }
            }
        }
        #expect(kinds == ["split", "reorder", "fuse", "vectorize", "unroll", "unroll_max_step", "parallel", "compute_at",
                          "compute_inline", "compute_root", "cache_write", "rfactor", "pack", "deinterleave", "storage_order"])
        #expect(nonDividing > 50 && larger > 10 && multiLevel > 50, "non-dividing \(nonDividing), larger \(larger), multi-level \(multiLevel)")
    }

    @Test func generatedSchedulesStayWithinTheirBudgets() throws {
        let kernel = try ShippedKernels.small("conv2d_bias_relu", variant: 2)
        var options = RandomScheduleGenerator.Options()
        (options.unroll, options.unrollMaxStep, options.parallel) = (0.9, 0.9, 0.9)
        (options.maxCodeSize, options.maxParallelRegions, options.maxIterationBlowup) = (300, 20, 4)
        var generator = RandomScheduleGenerator(kernel: kernel, seed: 3, options: options)
        var (unrolled, parallel) = (0, 0)
        for _ in 0..<100 {
            let schedule = generator.next()
            let scheduled = try ScheduledKernel(kernel, schedule: schedule)
            let nest = try lower(scheduled)
            #expect(estimatedCodeSize(nest.body) <= 300 || !schedule.steps.contains { $0.kind.hasPrefix("unroll") }, "\(schedule.json())")
            #expect(parallelRegionsEntered(nest.body) <= 20 || !schedule.steps.contains { $0.kind == "parallel" }, "\(schedule.json())")
            for (name, state) in scheduled.states {
                let points = state.initialLoops.reduce(1) { $0 * $1.extent }, iterations = state.loops.reduce(1) { $0 * $1.extent }
                #expect(iterations <= 4 * points, "\(name): \(iterations) iterations for \(points) points")
            }
            unrolled += allLoops(nest.body).contains { $0.kind == .unrolled } ? 1 : 0
            parallel += nest.body.containsParallelLoop ? 1 : 0
        }
        #expect(unrolled > 10 && parallel > 10, "unrolled \(unrolled), parallel \(parallel)")
    }

    @Test func budgetEstimatesCountWhatTheNestRepeats() throws {
        let gemm = try ShippedKernels.load("gemm", ["M": 4, "N": 16, "K": 100])
        // C = 0 (one unit) in loops j (16) and i (4): LLVM unrolls j, not both (64 units);
        // the update (a store and 3 loads: 4 units) in k (100), j (16) and i (4): LLVM unrolls only i.
        let plain = try lower(gemm)
        #expect(estimatedCodeSize(plain.body) == 16 + 4 * 4)
        // k.1 unrolled 10 times; the loops around it are too big to unroll.
        let unrolled = try lower(gemm, schedule: Schedule([.split(stage: "C", loop: "k", factors: [10]), .unroll(stage: "C", loop: "k.1")]))
        #expect(estimatedCodeSize(unrolled.body) == 16 + 4 * 10)
        // 16 lanes are two vectors of 8; i is short enough to unroll.
        let vectorized = try lower(gemm, schedule: Schedule([.reorder(stage: "C", order: ["i", "k", "j"]), .vectorize(stage: "C", loop: "j")]))
        #expect(estimatedCodeSize(vectorized.body) == 2 * 4 + 4 * 2 * 4)
        // A parallel loop inside loops of 4 and 100 iterations.
        let inner = try lower(gemm, schedule: Schedule([.reorder(stage: "C", order: ["i", "k", "j"]), .parallel(stage: "C", loop: "j")]))
        #expect(parallelRegionsEntered(inner.body) == 4 + 4 * 100)
        #expect(parallelRegionsEntered(plain.body) == 0)
    }
}

/// Where the property test leaves the schedule it is about to run (named by
/// the kernel's parameters): `hone run Kernels/NAME.hone --set ... --schedule FILE`
/// replays it after a crash.
func lastScheduleFile(_ name: String, _ kernel: Kernel) -> URL {
    let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    return FileManager.default.temporaryDirectory.appendingPathComponent("hone-random-schedule-\(name)-\(parameters).json")
}

/// FNV-1a of a name, to give each kernel its own stream of schedules.
func stableSeed(_ name: String) -> UInt64 {
    name.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
}
