// bench-features: how fast the cost model's features are extracted.
//
// The search lowers and featurizes every candidate it scores, so both must
// keep up with tens of thousands of candidates per round. For gemm 1024 and
// conv2d at the sizes in Kernels/, a few hundred hand-written schedules
// (tile sizes, loop orders, vectorize/unroll/parallel, cache_write +
// compute_at, compute_inline/compute_at of the padding) are lowered once;
// then, on this one thread:
//   features  FeatureExtractor on the lowered nests (scratch reused)
//   lower     lower(kernel, schedule) alone
//   both      lower + features, as the search runs them
// With `--search [N] [KERNEL...]` (default 2000): N candidates sampled as the
// search samples them, for conv2d, gemm 1024^3, softmax and layernorm (or the
// kernels named, from Kernels/), lowered (with the
// code-size estimate) and featurized, in CPU microseconds per candidate;
// `--search-digest [N] [KERNEL...]` prints a digest of each one's features.
// Each is repeated; programs per second are reported as the median over
// repeats (with min and max), by the wall clock and per second of this
// thread's CPU time (what one core delivers when the machine is shared and
// the thread is not always scheduled), with the machine's load average.
import Foundation
import Hone

let kernelsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Kernels").path
let repeats = Int(ProcessInfo.processInfo.environment["HONE_BENCH_REPEATS"] ?? "") ?? 11
let minimumSeconds = 0.05  // per repeat
let target = 10_000.0  // programs per second on one core

func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Programs per second of `body` (which handles `count` programs), one
/// value per repeat: by the wall clock and per second of thread CPU time.
func rates(count: Int, _ body: () -> Void) -> (wall: [Double], cpu: [Double]) {
    body()  // warm up
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<repeats {
        var passes = 0
        let start = now(), startCPU = now(CLOCK_THREAD_CPUTIME_ID)
        var elapsed = 0.0
        repeat {
            body()
            passes += 1
            elapsed = now() - start
        } while elapsed < minimumSeconds
        wall.append(Double(passes * count) / elapsed)
        cpu.append(Double(passes * count) / (now(CLOCK_THREAD_CPUTIME_ID) - startCPU))
    }
    return (wall, cpu)
}

func report(_ label: String, _ rates: (wall: [Double], cpu: [Double])) {
    let (m, c) = (median(rates.wall), median(rates.cpu))
    let padded = label.padding(toLength: 20, withPad: " ", startingAt: 0)
    let numbers = String(format: "%8.0f programs/s wall (%6.1f µs; min %.0f, max %.0f)   %8.0f per CPU-second (%6.1f µs)",
                         m, 1e6 / m, rates.wall.min()!, rates.wall.max()!, c, 1e6 / c)
    print("  \(padded) \(numbers)\(c >= target ? "" : "  below \(Int(target))/s")")
}

// MARK: Schedules

func gemmSchedules() -> [Schedule] {
    var out: [Schedule] = [.default]
    let tiles = [(4, 8), (4, 16), (8, 8), (8, 16), (8, 32), (16, 16), (16, 64), (32, 32), (6, 16), (12, 24)]
    for (ti, tj) in tiles {
        for tk in [0, 4, 16] {
            let split: [Step] = [.split(stage: "C", loop: "i", factors: [ti]), .split(stage: "C", loop: "j", factors: [tj])]
                + (tk > 0 ? [.split(stage: "C", loop: "k", factors: [tk])] : [])
            let ks = tk > 0 ? ["k.0", "k.1"] : ["k"]
            let orders: [[String]] = [["i.0", "j.0"] + ks + ["i.1", "j.1"], ["i.0", "j.0", "i.1"] + ks + ["j.1"]]
            for (o, order) in orders.enumerated() {
                let base = split + [Step.reorder(stage: "C", order: order)]
                out.append(Schedule(base))
                out.append(Schedule(base + [.vectorize(stage: "C", loop: "j.1"), .parallel(stage: "C", loop: "i.0")]))
                if o == 0 {
                    out.append(Schedule(base + [.vectorize(stage: "C", loop: "j.1"), .unroll(stage: "C", loop: "i.1"),
                                                .parallel(stage: "C", loop: "i.0")]))
                    out.append(Schedule(base + [.vectorize(stage: "C", loop: "j.1"), .unrollMaxStep(stage: "C", maxStep: 64)]))
                }
                if tk > 0 && o == 0 {
                    out.append(Schedule(base + [.unroll(stage: "C", loop: "k.1"), .vectorize(stage: "C", loop: "j.1"),
                                                .parallel(stage: "C", loop: "i.0")]))
                }
            }
            // cache_write: a register tile accumulated inside the output's tile.
            let local: [Step] = [.cacheWrite(stage: "C"),
                                 .split(stage: "C", loop: "i", factors: [ti]), .split(stage: "C", loop: "j", factors: [tj]),
                                 .reorder(stage: "C", order: ["i.0", "j.0", "i.1", "j.1"]), .parallel(stage: "C", loop: "i.0"),
                                 .computeAt(stage: "C.local", consumer: "C", loop: "j.0")]
            let inner: [Step] = tk > 0
                ? [.split(stage: "C.local", loop: "k", factors: [tk]), .reorder(stage: "C.local", order: ["k.0", "i", "k.1", "j"])]
                : [.reorder(stage: "C.local", order: ["k", "i", "j"])]
            out.append(Schedule(local + inner + [.vectorize(stage: "C.local", loop: "j")]))
            out.append(Schedule(local + inner + [.vectorize(stage: "C.local", loop: "j"), .unroll(stage: "C.local", loop: "i")]))
            out.append(Schedule(local + inner + [.vectorize(stage: "C.local", loop: "j"), .unrollMaxStep(stage: "C.local", maxStep: 16)]))
        }
    }
    return out
}

func conv2dSchedules() -> [Schedule] {
    var out: [Schedule] = [.default, Schedule([.computeInline(stage: "padded")])]
    let tiles = [(4, 1, 8), (8, 2, 8), (8, 4, 14), (16, 1, 16), (16, 2, 28), (4, 7, 8), (32, 1, 56), (8, 8, 8)]
    for (tf, ty, tx) in tiles {
        let split: [Step] = [.split(stage: "Y", loop: "f", factors: [tf]), .split(stage: "Y", loop: "y", factors: [ty]),
                             .split(stage: "Y", loop: "x", factors: [tx])]
        let orders: [[String]] = [
            ["n", "f.0", "y.0", "x.0", "c", "r", "s", "f.1", "y.1", "x.1"],
            ["n", "f.0", "y.0", "x.0", "f.1", "c", "r", "s", "y.1", "x.1"],
            ["n", "y.0", "f.0", "x.0", "c", "f.1", "r", "s", "y.1", "x.1"],
        ]
        let padding: [[Step]] = [[], [.computeInline(stage: "padded")], [.computeAt(stage: "padded", consumer: "Y", loop: "x.0")],
                                 [.computeAt(stage: "padded", consumer: "Y", loop: "y.0")]]
        for order in orders {
            let base = split + [Step.reorder(stage: "Y", order: order)]
            for pad in padding {
                out.append(Schedule(base + pad + [.vectorize(stage: "Y", loop: "x.1"), .parallel(stage: "Y", loop: order[1])]))
            }
            out.append(Schedule(base))
            out.append(Schedule(base + [.vectorize(stage: "Y", loop: "x.1"), .unroll(stage: "Y", loop: "y.1")]))
            out.append(Schedule(base + [.vectorize(stage: "Y", loop: "x.1"), .unrollMaxStep(stage: "Y", maxStep: 32),
                                        .parallel(stage: "Y", loop: order[1])]))
        }
        // cache_write: accumulate a tile of Y in Y.local, computed inside Y's x.0.
        let local: [Step] = [.cacheWrite(stage: "Y"), .split(stage: "Y", loop: "f", factors: [tf]),
                             .split(stage: "Y", loop: "y", factors: [ty]), .split(stage: "Y", loop: "x", factors: [tx]),
                             .reorder(stage: "Y", order: ["n", "f.0", "y.0", "x.0", "f.1", "y.1", "x.1"]),
                             .parallel(stage: "Y", loop: "f.0"),
                             .computeAt(stage: "Y.local", consumer: "Y", loop: "x.0")]
        for inner in [["c", "r", "s", "f", "y", "x"], ["c", "f", "r", "s", "y", "x"]] {
            let localOrder: [Step] = [.reorder(stage: "Y.local", order: ["n"] + inner)]
            out.append(Schedule(local + localOrder + [.vectorize(stage: "Y.local", loop: "x")]))
            out.append(Schedule(local + localOrder + [.vectorize(stage: "Y.local", loop: "x"), .unroll(stage: "Y.local", loop: "y")]))
            out.append(Schedule(local + localOrder + [.computeAt(stage: "padded", consumer: "Y.local", loop: "c"),
                                                      .vectorize(stage: "Y.local", loop: "x")]))
        }
    }
    return out
}

// MARK: Search candidates

/// The candidates `hone tune` scores: `count` samples of the search's own
/// sampler (every sketch), at the kernel's default sizes, as their schedules.
func searchCandidates(_ kernel: Kernel, count: Int) -> [Schedule] {
    let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
    var rng = SplitMix64(seed: 1)
    return (0..<count).map { _ in space.schedule(for: space.sample(&rng)) }
}

/// The shipped kernels named by `files`, and how many could not be loaded
/// (each said on a line of its own).
func loadKernels(_ files: [String]) -> (kernels: [(file: String, kernel: Kernel)], failures: Int32) {
    var kernels: [(file: String, kernel: Kernel)] = []
    var failures: Int32 = 0
    for file in files {
        if let kernel = try? Kernel.load(path: kernelsDirectory + "/\(file).hone") {
            kernels.append((file, kernel))
        } else {
            print("\(file): cannot load")
            failures += 1
        }
    }
    return (kernels, failures)
}

/// `--search N`: lowering + code size + features of N sampled candidates per
/// kernel, as the search's FeatureCache runs them, in microseconds per
/// candidate (median over the repeats of one pass over all of them).
func benchSearchCandidates(count: Int, kernels: [String]) -> Int32 {
    print("bench-features --search \(count): lower + code size + features of sampled search candidates, one thread")
    print("\(repeats) passes; load average at start: \(loadAverage()) on \(ProcessInfo.processInfo.activeProcessorCount) cores")
    let (loaded, failures) = loadKernels(kernels)
    for (file, kernel) in loaded {
        let schedules = searchCandidates(kernel, count: count)
        var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 2)
        var rows: [Float] = []
        var lowered = 0
        func pass() {
            lowered = 0
            for schedule in schedules {
                guard let nest = try? lower(kernel, schedule: schedule) else { continue }
                lowered += 1
                guard estimatedCodeSize(nest.body) <= TuningOptions(trials: 0).maxCodeSize else { continue }
                rows.removeAll(keepingCapacity: true)
                extractor.extract(nest, appendingTo: &rows)
            }
        }
        pass()  // warm up
        var micros: [Double] = []
        for _ in 0..<repeats {
            let start = now(CLOCK_THREAD_CPUTIME_ID)
            pass()
            micros.append((now(CLOCK_THREAD_CPUTIME_ID) - start) * 1e6 / Double(schedules.count))
        }
        let shape = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        let numbers = String(format: "%8.1f µs per candidate (CPU; min %.1f, max %.1f)", median(micros), micros.min()!, micros.max()!)
        print("  \(file.padding(toLength: 10, withPad: " ", startingAt: 0)) \(numbers), \(lowered) of \(schedules.count) lowered   (\(shape))")
    }
    print("load average at end: \(loadAverage())")
    return failures
}

/// `--search-digest N KERNEL...`: per sampled candidate, a digest of its
/// feature rows (or why it has none) and its estimated code size, one line
/// each, so two builds can be compared candidate by candidate: a change
/// meant to make scoring cheaper must leave this output unchanged.
func digestSearchCandidates(count: Int, kernels: [String]) -> Int32 {
    let budget = TuningOptions(trials: 0).maxCodeSize
    let (loaded, failures) = loadKernels(kernels)
    for (file, kernel) in loaded {
        var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 2)
        for (i, schedule) in searchCandidates(kernel, count: count).enumerated() {
            guard let nest = try? lower(kernel, schedule: schedule) else {
                print("\(file) \(i): does not lower")
                continue
            }
            let size = estimatedCodeSize(nest.body)
            var rows: [Float] = []
            let stores = size > budget ? 0 : extractor.extract(nest, appendingTo: &rows)
            // FNV-1a over the values' bits: any changed value changes the digest.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for value in rows { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
            print("\(file) \(i): code size \(size), \(stores) rows, digest \(String(hash, radix: 16))")
        }
    }
    return failures
}

// MARK: Run

/// `FLAG [N] [KERNEL...]`: the candidate count (2000 unless given) and the
/// kernels (conv2d, gemm, softmax and layernorm unless given).
func searchArguments(_ flag: String) -> (count: Int, kernels: [String])? {
    guard let i = CommandLine.arguments.firstIndex(of: flag) else { return nil }
    var rest = CommandLine.arguments[(i + 1)...]
    let count = rest.first.flatMap { Int($0) } ?? 2000
    if rest.first.flatMap({ Int($0) }) != nil { rest = rest.dropFirst() }
    return (count, rest.isEmpty ? ["conv2d", "gemm", "softmax", "layernorm"] : Array(rest))
}

if let (count, kernels) = searchArguments("--search-digest") { exit(digestSearchCandidates(count: count, kernels: kernels)) }
if let (count, kernels) = searchArguments("--search") { exit(benchSearchCandidates(count: count, kernels: kernels)) }

print("bench-features: feature extraction speed (FeatureSchema v\(FeatureSchema.version), \(FeatureSchema.count) features per store)")
print("single thread; \(repeats) repeats of >= \(Int(minimumSeconds * 1000)) ms; load average at start: \(loadAverage()) on \(ProcessInfo.processInfo.activeProcessorCount) cores")
var failures = 0
for (file, schedules) in [("gemm", gemmSchedules()), ("conv2d", conv2dSchedules())] {
    let kernel: Kernel
    do { kernel = try Kernel.load(path: kernelsDirectory + "/\(file).hone") } catch {
        print("\(file): \(error)")
        failures += 1
        continue
    }
    var valid: [Schedule] = []
    var nests: [LoopNest] = []
    var rejected = 0
    for schedule in schedules {
        if let nest = try? lower(kernel, schedule: schedule) {
            valid.append(schedule)
            nests.append(nest)
        } else {
            rejected += 1
            if ProcessInfo.processInfo.environment["HONE_BENCH_VERBOSE"] != nil {
                do { _ = try lower(kernel, schedule: schedule) } catch { print("  rejected: \(error)") }
            }
        }
    }
    var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 2)
    var rows: [Float] = []
    var rowCount = 0
    for nest in nests { rowCount += extractor.extract(nest, appendingTo: &rows) }
    let bad = rows.filter { !$0.isFinite }.count
    let shape = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    print("\n\(file) (\(shape)): \(valid.count) schedules (\(rejected) rejected by lowering), "
        + String(format: "%.1f stores per program", Double(rowCount) / Double(max(nests.count, 1)))
        + (bad > 0 ? ", \(bad) non-finite values!" : ""))
    if bad > 0 { failures += 1 }
    let features = rates(count: nests.count) {
        for nest in nests {
            rows.removeAll(keepingCapacity: true)
            extractor.extract(nest, appendingTo: &rows)
        }
    }
    let lowering = rates(count: valid.count) {
        for schedule in valid { _ = try? lower(kernel, schedule: schedule) }
    }
    let both = rates(count: valid.count) {
        for schedule in valid {
            guard let nest = try? lower(kernel, schedule: schedule) else { continue }
            rows.removeAll(keepingCapacity: true)
            extractor.extract(nest, appendingTo: &rows)
        }
    }
    report("features only", features)
    report("lowering only", lowering)
    report("lowering + features", both)
}
// The hand schedules in Kernels/ at the kernels' default sizes: the time
// of one lowering (what every measured candidate pays before codegen).
print("\nhand schedules (Kernels/*.schedule.json, default sizes): one lowering")
for file in ["gemm", "conv2d", "conv2d_1x1", "depthwise_conv2d", "softmax"] {
    guard let kernel = try? Kernel.load(path: kernelsDirectory + "/\(file).hone"),
          let schedule = try? Schedule.load(path: kernelsDirectory + "/\(file).schedule.json"),
          (try? lower(kernel, schedule: schedule)) != nil else {
        print("  \(file): cannot lower its hand schedule")
        failures += 1
        continue
    }
    report(file, rates(count: 1) { _ = try? lower(kernel, schedule: schedule) })
}
print("\nload average at end: \(loadAverage())")
exit(failures == 0 ? 0 : 1)
