// Measurement infrastructure: how many candidates per second Hone can
// compile, verify and time, where the time goes, how noisy a timing is, that
// the worker's memory stays flat, and how fast records load.
//
//   1. throughput: gemm 1024^3 and conv2d (1x64x56x56, 64 3x3 filters)
//      candidates, hand-varied register tiles, measured through the worker
//      process exactly as `hone measure` does (default protocol: warm-up 1,
//      3 repeats of at least 100 ms), with the per-phase breakdown;
//   2. noise: the same compiled gemm candidate timed 10 times in a row while
//      other candidates are compiled in between (a tuning-like loop), and the
//      same schedule measured 10 times through the worker;
//   3. memory: the worker's VmRSS before and after 5,000 compiled and measured
//      candidates (random schedules of a 32x32x32 gemm, to keep it fast);
//   4. records: writing and reading 50,000 records with the records codec
//      (`jsonLine`, `RecordsLog.parse`) and, for comparison, with
//      JSONEncoder/JSONDecoder through `Codable` (CodableRecordLine.swift).
//
// The binary is its own worker: run as `bench-measure worker` it serves
// trials on stdin/stdout, like `hone worker`.
import Foundation
import Hone

let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "worker" { try WorkerServer.serve() }

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}
let quick = arguments.contains("--quick")
let memoryCandidates = option("--memory-candidates", quick ? 300 : 5000)
let recordCount = option("--records", 50_000)
let threads = option("--threads", ProcessInfo.processInfo.activeProcessorCount)
let only = arguments.firstIndex(of: "--only").map { arguments[$0 + 1] }
func wanted(_ section: String) -> Bool { only == nil || only == section }

func kernelPath(_ name: String) -> String { repository.appendingPathComponent("Kernels/\(name).hone").path }
func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

/// The worker's resident memory in kB, from /proc/PID/status.
func residentKB(_ pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }
    return nil
}

// Hand-varied gemm schedules: Kernels/gemm.schedule.json's structure with
// different register tiles (rows x columns) and k unrolling.
func gemmSchedule(rows: Int, columns: Int, kUnroll: Int) -> Schedule {
    Schedule([
        .cacheWrite(stage: "C"),
        .pack(tensor: "B", dimension: 1, block: columns),
        .split(stage: "C", loop: "i", factors: [rows]),
        .split(stage: "C", loop: "j", factors: [columns]),
        .reorder(stage: "C", order: ["j.0", "i.0", "i.1", "j.1"]),
        .parallel(stage: "C", loop: "j.0"),
        .split(stage: "C", loop: "j.1", factors: [8]),
        .vectorize(stage: "C", loop: "j.1.1"),
        .computeAt(stage: "C.local", consumer: "C", loop: "i.0"),
        .split(stage: "C.local", loop: "j", factors: [8]),
        .split(stage: "C.local", loop: "k", factors: [kUnroll]),
        .reorder(stage: "C.local", order: ["k.0", "k.1", "i", "j.0", "j.1"]),
        .unroll(stage: "C.local", loop: "k.1"),
        .unroll(stage: "C.local", loop: "i"),
        .unroll(stage: "C.local", loop: "j.0"),
        .vectorize(stage: "C.local", loop: "j.1"),
        .parallel(stage: "B.packed", loop: "block"),
        .vectorize(stage: "B.packed", loop: "lane"),
    ])
}

// Hand-varied conv2d schedules: Kernels/conv2d.schedule.json's structure
// with different filter x pixel register tiles.
func conv2dSchedule(filters: Int, pixels: Int) -> Schedule {
    Schedule([
        .cacheWrite(stage: "Y"),
        .split(stage: "Y", loop: "f", factors: [filters]),
        .split(stage: "Y", loop: "x", factors: [pixels]),
        .reorder(stage: "Y", order: ["n", "f.0", "y", "x.0", "f.1", "x.1"]),
        .parallel(stage: "Y", loop: "f.0"),
        .split(stage: "Y", loop: "x.1", factors: [8]),
        .vectorize(stage: "Y", loop: "x.1.1"),
        .computeAt(stage: "Y.local", consumer: "Y", loop: "x.0"),
        .split(stage: "Y.local", loop: "x", factors: [8]),
        .reorder(stage: "Y.local", order: ["n", "y", "c", "r", "s", "f", "x.0", "x.1"]),
        .unroll(stage: "Y.local", loop: "s"),
        .unroll(stage: "Y.local", loop: "f"),
        .unroll(stage: "Y.local", loop: "x.0"),
        .vectorize(stage: "Y.local", loop: "x.1"),
        .parallel(stage: "padded", loop: "c"),
        .split(stage: "padded", loop: "w", factors: [8]),
        .vectorize(stage: "padded", loop: "w.1"),
    ])
}

let gemmVariants = [4, 6, 8].flatMap { r in [16, 32].flatMap { c in [2, 4].map { k in gemmSchedule(rows: r, columns: c, kUnroll: k) } } }
let conv2dVariants = [2, 4, 8].flatMap { f in [8, 16].map { p in conv2dSchedule(filters: f, pixels: p) } }

print("# Measurement: throughput, overhead, noise, memory, records (\(HostTarget.host.cpu), \(threads) threads)")
print("command: make bench   (or Benchmarks/.build/release/bench-measure [--quick] [--only throughput|noise|memory|records])")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, shared: other processes may run during the measurement (load average now: \(loadAverage()))\n")

let protocolOptions = TimingOptions(warmupRuns: 1, repeats: 3, minRepeatSeconds: 0.1)
let me = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))

// MARK: 1. Throughput

if wanted("throughput") {
    print("## 1. Trial throughput through the worker (compile + verify + time)")
    print("protocol: warm-up 1 (plus the verification run), \(protocolOptions.repeats) timed batches of >= \(Int(protocolOptions.minRepeatSeconds * 1000)) ms, median kept;")
    print("the reference output (once per kernel and seed) is excluded from the per-trial figures and shown separately.")
    print("overhead = wall time per trial - time the kernel itself ran (verification run + timing protocol). Load average: \(loadAverage())\n")
    print("kernel   trials  trials/s  wall/trial  kernel running  overhead | lowering  IR gen  LLVM O3  machine code  JIT link  verify  IPC+other  (ms per trial)")
    for (name, variants) in [("gemm", gemmVariants), ("conv2d", conv2dVariants)] {
        let task = try MeasureTask(path: kernelPath(name))
        let measurer = WorkerMeasurer(executable: me, options: MeasureOptions(threads: threads))
        let policy = TrialPolicy(timing: protocolOptions)
        defer { measurer.shutDown() }
        // The first trial computes the reference; measure it separately.
        let first = measurer.measure([MeasureInput(task: task, schedule: variants[0])], policy: policy)[0]
        let inputs = (quick ? Array(variants.prefix(4)) : variants).map { MeasureInput(task: task, schedule: $0) }
        let start = Date()
        let results = measurer.measure(inputs, policy: policy)
        let wall = Date().timeIntervalSince(start)
        let sum = results.map(\.phases).reduce(PhaseTimes(), +)
        let n = Double(results.count)
        let other = sum.overhead - sum.compiling - sum.verifying
        func col(_ s: Double, _ w: Int) -> String { ms(s / n).leftPadded(to: w) }
        print("\(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(results.count).leftPadded(to: 6))  \(String(format: "%8.2f", n / wall))  \(col(sum.total, 10))  \(col(sum.running, 14))  \(col(sum.overhead, 8)) | \(col(sum.lowering, 8))  \(col(sum.irGeneration, 6))  \(col(sum.optimization, 7))  \(col(sum.machineCode, 12))  \(col(sum.linking, 8))  \(col(sum.verifying, 6))  \(col(other, 9))")
        let errors = results.compactMap(\.error)
        let best = results.compactMap(\.seconds).min()
        print("         reference output: \(ms(first.phases.reference)) ms once (\(name == "gemm" ? "default schedule JIT-compiled, checked on 1,000 sampled elements against the interpreter" : "default schedule JIT-compiled, checked on 1,000 sampled elements against the interpreter")); "
            + "best candidate \(best.map { formatDuration($0) } ?? "-"); \(errors.count) errors\(errors.isEmpty ? "" : ": " + errors.map(\.description).joined(separator: "; "))")
    }
    print("")
}

// MARK: 2. Noise

if wanted("noise") {
    print("## 2. Timing noise: the same gemm 1024 candidate timed 10 times in a row in a tuning-like loop")
    print("load average before: \(loadAverage())")
    let kernel = try Kernel.load(path: kernelPath("gemm"))
    let compiler = try Compiler()
    let candidate = try compiler.jit(try lower(kernel, schedule: gemmVariants[2]))
    let buffers = KernelBuffers(kernel: kernel, seed: 1)
    let pointers = buffers.buffers.map(\.pointer)
    for threadCount in Set([threads, 1]).sorted(by: >) {
        try OpenMP.setThreadCount(threadCount)
        var medians: [Double] = [], spreads: [Double] = []
        for round in 0..<10 {
            // Tuning-like: compile another candidate in between (its code is released right away).
            _ = try compiler.jit(try lower(kernel, schedule: gemmVariants[(round * 5 + 3) % gemmVariants.count]))
            let timing = measure(protocolOptions) { candidate.run(pointers) }
            medians.append(timing.median)
            spreads.append(timing.spread)
        }
        let m = Timing(samples: medians, number: 1)
        print("in process, \(threadCount) thread\(threadCount == 1 ? "" : "s") (one compiled kernel, default protocol each time): medians " + medians.map { String(format: "%.2f", $0 * 1000) }.joined(separator: " ") + " ms")
        print("  spread of the 10 medians (max - min) / median: \(pct(m.spread)); min \(formatDuration(m.minimum)), median \(formatDuration(m.median)), max \(formatDuration(medians.max()!)); "
            + "within-measurement spread: median \(pct(Timing(samples: spreads, number: 1).median)), max \(pct(spreads.max()!))")
    }
    try OpenMP.setThreadCount(threads)
    withExtendedLifetime(buffers) {}

    let task = try MeasureTask(path: kernelPath("gemm"))
    let measurer = WorkerMeasurer(executable: me, options: MeasureOptions(threads: threads))
    let policy = TrialPolicy(timing: protocolOptions)
    defer { measurer.shutDown() }
    var workerMedians: [Double] = []
    for round in 0..<10 {
        let other = gemmVariants[(round * 5 + 3) % gemmVariants.count]
        let results = measurer.measure([MeasureInput(task: task, schedule: gemmVariants[2]), MeasureInput(task: task, schedule: other)], policy: policy)
        if let s = results.first?.seconds { workerMedians.append(s) }
    }
    let w = Timing(samples: workerMedians, number: 1)
    print("through the worker (the same schedule, recompiled, alternating with other candidates): medians "
        + workerMedians.map { String(format: "%.2f", $0 * 1000) }.joined(separator: " ") + " ms")
    print("  spread of the medians: \(pct(w.spread)); min \(formatDuration(w.minimum)), median \(formatDuration(w.median))")
    print("load average after: \(loadAverage())\n")
}

// MARK: 3. Memory

if wanted("memory") {
    print("## 3. Worker memory over \(memoryCandidates) compiled and measured candidates")
    print("kernel: gemm 32x32x32 (small, to keep this fast), random schedules, 1 thread, protocol: 1 warm-up, 1 batch of >= 1 ms")
    let task = try MeasureTask(path: kernelPath("gemm"), overrides: ["M": 32, "N": 32, "K": 32])
    let measurer = WorkerMeasurer(executable: me, options: MeasureOptions(threads: 1))
    let policy = TrialPolicy(timing: TimingOptions(warmupRuns: 1, repeats: 1, minRepeatSeconds: 0.001))
    defer { measurer.shutDown() }
    var generator = RandomScheduleGenerator(kernel: task.kernel, seed: 42)
    let recordsPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-memory-records.jsonl").path
    try? FileManager.default.removeItem(atPath: recordsPath)
    let log = RecordsLog(path: recordsPath)
    let target = TargetInfo.current(threads: 1)
    var done = 0
    var errorKinds: [String: Int] = [:]
    var crashMessages: [String] = []
    // Per worker process: candidates served, first RSS after 100 of them, last RSS.
    struct Worker { var served = 0; var first: Int?; var last = 0; var low = Int.max; var high = 0 }
    var workers: [Int32: Worker] = [:]
    var order: [Int32] = []
    let start = Date()
    var compileTime = 0.0
    var best: Double?
    while done < memoryCandidates {
        let inputs = (0..<50).map { _ in MeasureInput(task: task, schedule: generator.next()) }
        var results: [MeasureResult] = []
        for input in inputs {
            let pid = measurer.workerPID
            guard let result = measurer.measure(input, policy: policy, best: best) else { break }
            if let seconds = result.seconds { best = min(best ?? .infinity, seconds) }
            results.append(result)
            // The process that measured it (a crash or timeout replaces it).
            if let pid = pid ?? measurer.workerPID {
                if workers[pid] == nil { order.append(pid) }
                workers[pid, default: Worker()].served += 1
            }
        }
        try log.append(zip(inputs, results).map { MeasureRecord($0, $1, target: target) })
        done += results.count
        for e in results.compactMap(\.error) {
            errorKinds[e.kind.rawValue, default: 0] += 1
            if e.kind == .runtimeCrash || e.kind == .compileError || e.kind == .runTimeout || e.kind == .compileTimeout, crashMessages.count < 5 {
                crashMessages.append(String(e.description.prefix(200)))
            }
        }
        compileTime += results.map(\.phases.compiling).reduce(0, +)
        if let pid = measurer.workerPID, let rss = residentKB(pid) {
            if var w = workers[pid] {
                if w.served >= 100 {
                    if w.first == nil { w.first = rss }
                    w.low = min(w.low, rss)
                    w.high = max(w.high, rss)
                }
                w.last = rss
                workers[pid] = w
            }
        }
        if done % 1000 == 0 {
            FileHandle.standardError.write(Data("  \(done) candidates, worker \(measurer.workerPID ?? 0) VmRSS \((measurer.workerPID.flatMap(residentKB) ?? 0) / 1024) MB\n".utf8))
        }
    }
    let elapsed = Date().timeIntervalSince(start)
    let longest = order.max { workers[$0]!.served < workers[$1]!.served }
    if let pid = longest, let w = workers[pid] {
        print("longest-lived worker (pid \(pid)) served \(w.served) of \(done) candidates: VmRSS after its first 100: \(w.first.map { "\($0 / 1024) MB" } ?? "?"), after its last: \(w.last / 1024) MB; "
            + "lowest and highest in between (sampled every 50): \(w.low == Int.max ? "?" : "\(w.low / 1024)") and \(w.high / 1024) MB")
    }
    print("workers: \(order.count) (\(measurer.restarts) restarts after crashes or timeouts), candidates each: \(order.map { String(workers[$0]!.served) }.joined(separator: ", "))")
    print("errors: \(errorKinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")); first crashes/timeouts: \(crashMessages.joined(separator: " | "))")
    print(String(format: "%.1f", Double(done) / elapsed) + " trials/s, mean compile \(ms(compileTime / Double(done))) ms; records of these trials: \(recordsPath)\n")
}

// MARK: 4. Records

if wanted("records") {
    print("## 4. Writing and reading \(recordCount) records")
    let kernel = try Kernel.load(path: kernelPath("gemm"))
    let identity = KernelIdentity(kernel)
    let target = TargetInfo.current()
    var generator = RandomScheduleGenerator(kernel: kernel, seed: 7)
    let schedules = (0..<200).map { _ in generator.next() }
    let records = (0..<recordCount).map { i in
        let s = 1e-3 * (1 + Double(i % 977) / 100)
        var record = i % 10 == 9
            ? MeasureRecord(kernel: identity, target: target, seed: 1, schedule: schedules[i % 200], timing: nil, error: MeasureError(.wrongAnswer, "output differs from the reference", maxAbsError: 0.5))
            : MeasureRecord(kernel: identity, target: target, seed: 1, schedule: schedules[i % 200], timing: Timing(samples: [s, s * 1.01, s * 0.99], number: 30), error: nil, maxAbsError: 1e-5, compileSeconds: 0.03)
        record.candidate = CandidateTrace(sketch: "C: tiled, vector j", decisions: [[16, 4, 1], [16, 2, 4], [128], [i % 4], [0]],
                                          origin: .search(.evolutionary), predicted: Float(i % 97) / 97)
        return record
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-records-\(getpid()).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try RecordsLog(path: path).append(records)
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("file: \(size / 1_000_000) MB (\(size / max(recordCount, 1)) bytes per record); load average before: \(loadAverage())")

    // Each codec against the other, in memory (the disk is not what is
    // compared), alternating within each round; medians of the rounds.
    // Writing is one thread (as `append` does); reading uses the same
    // parallel chunks for both readers.
    let rounds = option("--rounds", 5)
    let fileData = try Data(contentsOf: URL(fileURLWithPath: path))
    var timings: [String: [(wall: Double, cpu: Double)]] = [:]
    func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let (t0, c0) = (Date(), cpuSeconds())
        let value = try body()
        timings[name, default: []].append((Date().timeIntervalSince(t0), cpuSeconds() - c0))
        return value
    }
    var loaded = LoadedRecords(), decodedCount = 0, handBytes = 0, encodedBytes = 0
    for _ in 0..<rounds {
        handBytes = timed("write: jsonLine") { records.reduce(0) { $0 + $1.jsonLine.utf8.count + 1 } }
        encodedBytes = try timed("write: JSONEncoder") {
            let encoder = JSONEncoder()
            return try records.reduce(0) { $0 + (try encoder.encode(CodableRecordLine($1))).count + 1 }
        }
        loaded = timed("read: RecordsLog.parse") { RecordsLog.parse(fileData, name: path) }
        decodedCount = timed("read: JSONDecoder") { decodeWithJSONDecoder(fileData) }
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    func wall(_ name: String) -> Double { median(timings[name]!.map(\.wall)) }
    for name in ["write: jsonLine", "write: JSONEncoder", "read: RecordsLog.parse", "read: JSONDecoder"] {
        let runs = timings[name]!
        print("\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) median wall \(ms(wall(name))) ms, CPU (all threads) "
              + "\(ms(median(runs.map(\.cpu)))) ms (runs: \(runs.map { ms($0.wall) }.joined(separator: ", ")) ms)")
    }
    print("written: \(handBytes) bytes by jsonLine, \(encodedBytes) by JSONEncoder; read: \(loaded.records.count) records "
          + "(\(loaded.warnings.count) warnings) by RecordsLog.parse, \(decodedCount) by JSONDecoder")
    let identical = records.prefix(1000).filter { r in
        (try? JSONEncoder().encode(CodableRecordLine(r))).map { String(decoding: $0, as: UTF8.self) } == r.jsonLine
    }.count
    let first = String(decoding: try JSONEncoder().encode(CodableRecordLine(records[0])), as: UTF8.self), hand = records[0].jsonLine
    let differing = zip(first, hand).prefix { $0 == $1 }.count
    print("JSONEncoder lines identical to jsonLine: \(identical) of 1000; the first line differs at character \(differing): "
          + "\(first.dropFirst(differing).prefix(40)) ... against \(hand.dropFirst(differing).prefix(40)) ...")
    print(String(format: "JSONEncoder takes %.1fx the time of jsonLine; JSONDecoder takes %.1fx the time of RecordsLog.parse; ",
                 wall("write: JSONEncoder") / wall("write: jsonLine"), wall("read: JSONDecoder") / wall("read: RecordsLog.parse"))
          + "load average after: \(loadAverage())")
    let t1 = Date()
    let best = loaded.best(for: identity, target: target)
    print("best(for:target:) over them: \(ms(Date().timeIntervalSince(t1))) ms (line \(best?.line ?? 0))")
}

/// Decodes records text as `RecordsLog.parse` does (lines in parallel
/// chunks), each line with JSONDecoder; returns the records read.
func decodeWithJSONDecoder(_ data: Data) -> Int {
    let lines = data.split(separator: 10)
    let chunkCount = min(max(lines.count / 2000, 1), ProcessInfo.processInfo.activeProcessorCount * 4)
    let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunkCount)
    defer { counts.deallocate() }
    nonisolated(unsafe) let shared = counts
    DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
        let decoder = JSONDecoder()
        var count = 0
        for line in lines[(lines.count * c / chunkCount) ..< (lines.count * (c + 1) / chunkCount)] {
            if let line = try? decoder.decode(CodableRecordLine.self, from: line) {
                _ = line.record
                count += 1
            }
        }
        shared[c] = count
    }
    return counts.reduce(0, +)
}

/// The 1-, 5- and 15-minute load averages (other processes on the machine).
func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
}

/// User + system CPU seconds of this process (all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
