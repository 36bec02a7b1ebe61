import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule

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
        var skipped: [String: Int] = [:]
        var steps: [String: Int] = [:]
        var slowest = 0.0  // seconds to compile, run and check one schedule
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
                skipped[error.reason.split(separator: ":").first.map(String.init) ?? error.reason, default: 0] += 1
                continue
            }
            // If the compiled code crashes the process, this file names the culprit.
            try? (schedule.json() + "\n").write(to: lastScheduleFile(name, kernel), atomically: false, encoding: .utf8)
            let started = Date()
            let result = try run(kernel, nest, compiler: compiler, seed: UInt64(trial + 1))
            slowest = max(slowest, Date().timeIntervalSince(started))
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
        print("RandomSchedule \(name): \(ran) schedules run, \(skippedCount) skipped at lowering\(skipped.isEmpty ? "" : " \(skipped)"), "
              + "\(failed) failed, \(String(format: "%.1f", seconds)) s (slowest \(String(format: "%.2f", slowest)) s); steps: \(steps.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        #expect(ran >= (ran + skippedCount) * 95 / 100, "too many schedules fail to lower: \(skipped)")
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
                          "compute_inline", "compute_root", "cache_write", "rfactor", "pack"])
        #expect(nonDividing > 50 && larger > 10 && multiLevel > 50, "non-dividing \(nonDividing), larger \(larger), multi-level \(multiLevel)")
    }

    @Test func generatedSchedulesStayWithinTheCodeSizeBudget() throws {
        let kernel = try ShippedKernels.small("conv2d_bias_relu", variant: 2)
        var options = RandomScheduleGenerator.Options()
        options.unroll = 0.9
        options.unrollMaxStep = 0.9
        options.maxCodeSize = 300
        var generator = RandomScheduleGenerator(kernel: kernel, seed: 3, options: options)
        var unrolledSomething = false
        for _ in 0..<100 {
            let schedule = generator.next()
            guard let nest = try? lower(kernel, schedule: schedule) else { continue }
            #expect(estimatedCodeSize(nest.body) <= 300 || !schedule.steps.contains { $0.kind.hasPrefix("unroll") }, "\(schedule.json())")
            unrolledSomething = unrolledSomething || allLoops(nest.body).contains { $0.kind == .unrolled }
        }
        #expect(unrolledSomething)
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
