import ArgumentParser
import Dispatch
import Foundation
import Hone

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search for a fast schedule of a kernel; write it, its object file and header, and a tuning curve.",
        discussion: """
            Candidates come from sketches (Ansor-style rules: multi-level tiling with a register \
            tile, packing, rfactor, fusion) with sampled decisions; an evolutionary search scored \
            by a gradient-boosted-tree cost model, retrained after every batch, picks what to \
            measure. Every candidate is compiled, checked against a reference output and timed in \
            a worker process; records are appended to the records file after every batch, so \
            running the same command again resumes (nothing is measured twice). At the end the \
            best few are re-measured with the full protocol. Ctrl-C stops after the current \
            candidate and still writes the best so far.
            Outputs (default folder tuned/): NAME.schedule.json, NAME.o + NAME.h, NAME.curve.svg, NAME.jsonl.
            Example: hone tune Kernels/gemm.hone --trials 300
                     hone tune Kernels/conv2d.hone --time-budget 5m -o conv.o
            """)

    @OptionGroup var kernelOptions: KernelOptions

    @Option(help: "Candidates to measure in this run.")
    var trials: Int = 200

    @Option(help: ArgumentHelp("Stop after this long (e.g. 90s, 10m, 1h; plain numbers are seconds).", valueName: "duration"))
    var timeBudget: TimeBudget?

    @Option(help: ArgumentHelp("The records file (JSON Lines) to resume from and append to (default: tuned/NAME.jsonl).", valueName: "file"))
    var records: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The object file to write (default: tuned/NAME.o; the header goes next to it).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Where to write the best schedule (default: tuned/NAME.schedule.json).", valueName: "file"))
    var scheduleOut: String?

    @Option(help: ArgumentHelp("Where to write the tuning curve (default: tuned/NAME.curve.svg).", valueName: "file"))
    var curveOut: String?

    @Option(help: "Search strategy: evolutionary (model-guided) or random (the ablation baseline).")
    var strategy: TuningOptions.Strategy = .evolutionary

    @OptionGroup var batchOptions: BatchOptions

    @Option(help: "Population of the evolutionary search.")
    var population: Int = 512

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var compileLimits: CompileLimitOptions

    @Option(help: ArgumentHelp("Worker processes that compile a batch in parallel; timing is always one candidate at a time "
                               + "(default: 2 when a second core is idle, else 1).", valueName: "n"))
    var compileWorkers: Int?

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard population >= 8 else { throw ValidationError("--population must be at least 8") }
        if let compileWorkers, !(1...8).contains(compileWorkers) { throw ValidationError("--compile-workers must be between 1 and 8") }
    }

    func run() throws {
        var interrupted = false
        try reportingErrors { interrupted = try tune() }
        if interrupted { throw ExitCode(130) }
    }

    /// Returns whether the run was interrupted.
    private func tune() throws -> Bool {
        let task = try kernelOptions.task(seed: 1)
        let kernel = task.kernel
        let name = kernel.name
        let recordsPath = records ?? "tuned/\(name).jsonl"
        let objectPath = output ?? "tuned/\(name).o"
        let headerPath = (objectPath.hasSuffix(".o") ? String(objectPath.dropLast(2)) : objectPath) + ".h"
        let schedulePath = scheduleOut ?? "tuned/\(name).schedule.json"
        let curvePath = curveOut ?? "tuned/\(name).curve.svg"
        for path in [recordsPath, objectPath, schedulePath, curvePath] { try createParentFolder(of: path) }

        let target = threadOptions.target
        let threadCount = target.threads
        let space = SearchSpace(kernel: kernel, vectorLanes: HostTarget.host.float32Lanes, threads: threadCount)
        var options = TuningOptions(trials: trials)
        options.strategy = strategy
        options.seed = batchOptions.seed
        options.batchSize = batchOptions.batch
        options.population = population
        options.timeBudget = timeBudget?.seconds
        let flops = Double(max(KernelCost(kernel).flops, 1))
        options.measureDefaultFirst = flops <= 1e8

        let stop = StopFlag()
        let source = stopOnInterrupt(stop)
        defer { source.cancel() }

        // Two workers compile a batch on two cores; one candidate at a time is timed.
        let workers = (0..<(compileWorkers ?? WorkerTuningMeasurer.idleCompileWorkers)).map { _ in
            WorkerMeasurer(options: MeasureOptions(threads: threadOptions.threads, compileTimeout: compileLimits.compileTimeout), stopFlag: stop)
        }
        for w in workers { w.log = { printError("  note: \($0)") } }
        defer { for w in workers { w.shutDown() } }
        let measurer = WorkerTuningMeasurer(workers: workers, task: task, threads: threadCount)
        let store = RecordsFileStore(path: recordsPath)
        let model = TreeSearchModel(seed: batchOptions.seed, threads: threadCount)
        let tuner = Tuner(space: space, task: task, target: target, measurer: measurer, store: store, model: model, options: options)

        let progress = ProgressLine(planned: trials, budget: options.timeBudget, flops: flops)
        measurer.onResult = { progress.candidateDone($0) }
        tuner.onProgress = { progress.batchDone($0) }
        tuner.onLog = { progress.log($0) }

        print("tuning \(task.identity) on \(target): \(space.sketches.count) sketch\(space.sketches.count == 1 ? "" : "es"), "
              + "\(options.strategy.rawValue) search, \(trials) trials\(options.timeBudget.map { " or \(formatDuration($0))" } ?? ""), "
              + "\(workers.count) compile worker\(workers.count == 1 ? "" : "s"); records: \(recordsPath)")
        fflush(nil)
        let result = try tuner.run(stop: stop)
        printWarnings(store.warnings)
        progress.finish()

        guard let best = result.best, var bestSchedule = try? best.schedule(), var bestSeconds = best.seconds else {
            throw HoneError("no candidate was measured successfully (\(result.errors) errors); see \(recordsPath)")
        }
        let defaultSeconds = try defaultScheduleSeconds(task, target: target, records: store.log, worker: workers[0], stop: stop)
        if let defaultSeconds, defaultSeconds < bestSeconds {
            // Nothing the search measured beat the default schedule: ship the default.
            print("no candidate beat the default schedule (\(formatDuration(defaultSeconds)) against \(formatDuration(bestSeconds))); writing the default")
            (bestSchedule, bestSeconds) = (.default, defaultSeconds)
        }

        // The outputs: schedule with provenance, object and header, curve.
        try write(TunedScheduleFile(bestSchedule, seconds: bestSeconds, kernel: task.identity, target: target).json(), to: schedulePath)
        let compiler = try Compiler()
        let nest = try lower(kernel, schedule: bestSchedule)
        try compiler.writeObject(nest, to: objectPath)
        let usesOpenMP = nest.body.containsParallelLoop
        try write(cHeader(for: kernel, nest: nest, target: compiler.target, usesOpenMP: usesOpenMP), to: headerPath)
        let history = try RecordsLog.load(path: recordsPath).records(of: task.identity, on: target)
        try write(TuningCurve(title: "\(task.identity) on \(target.cpu), \(target.threads) thread\(target.threads == 1 ? "" : "s")",
                              records: history, flops: Int(flops)).svg, to: curvePath)

        let t = result.time
        print("best: \(formatDuration(bestSeconds)), \(String(format: "%.1f", flops / bestSeconds / 1e9)) GFLOP/s"
              + (defaultSeconds.map { String(format: ", %.1fx the default schedule (%@)", $0 / bestSeconds, formatDuration($0)) } ?? ""))
        print("measured \(result.trials) candidates (\(result.errors) errors) in \(formatDuration(t.total)): "
              + String(format: "%.2f trials/s", Double(result.trials) / max(t.total, 1e-9)))
        print("time: measure \(formatDuration(t.measuring)) (compile \(formatDuration(t.compiling)) on \(workers.count) worker\(workers.count == 1 ? "" : "s"), "
              + "run \(formatDuration(t.running)), verify \(formatDuration(t.verifying))), search \(formatDuration(t.searching)), train \(formatDuration(t.training))")
        print("wrote \(schedulePath), \(objectPath), \(headerPath), \(curvePath)")
        print("link: cc -O2 main.c \(objectPath) -lm\(usesOpenMP ? " -fopenmp" : "")   (declarations in \(headerPath))")
        if result.interrupted {
            printError("interrupted: \(result.trials) candidates measured this run are in \(recordsPath); the best so far was written")
        }
        return result.interrupted
    }
}

/// The live status of a tune: one line rewritten in place on a terminal, plain log lines otherwise.
private final class ProgressLine {
    let planned: Int
    let budget: Double?
    let flops: Double
    let start = Date()
    let isTerminal = isatty(STDOUT_FILENO) != 0
    var measured = 0
    var best: Double?
    var lastLength = 0

    init(planned: Int, budget: Double?, flops: Double) {
        self.planned = planned
        self.budget = budget
        self.flops = flops
    }

    func candidateDone(_ result: MeasureResult) {
        measured += 1
        if let s = result.seconds { best = min(best ?? .infinity, s) }
        if isTerminal { draw() }
    }

    func batchDone(_ p: TuningProgress) {
        best = p.bestSeconds ?? best
        guard !isTerminal else { return }
        print("[\(p.trials)/\(p.plannedTrials)] best \(best.map { "\(formatDuration($0)) (\(gflops($0)) GFLOP/s)" } ?? "-"), "
              + "\(p.errors) errors, \(String(format: "%.2f", Double(p.trials) / max(p.elapsed, 1e-9))) trials/s"
              + (p.batchSpearman.map { String(format: ", model rank correlation on the batch %.2f", $0) } ?? ""))
        fflush(nil)
    }

    func log(_ message: String) {
        clear()
        print(message)
        fflush(nil)
    }

    func finish() {
        clear()
    }

    private func gflops(_ seconds: Double) -> String { String(format: "%.1f", flops / seconds / 1e9) }

    private func draw() {
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(measured) / max(elapsed, 1e-9)
        var left = Double(planned - measured) / max(rate, 1e-9)
        if let budget { left = min(left, budget - elapsed) }
        let line = "[\(measured)/\(planned)] best \(best.map { "\(formatDuration($0)) \(gflops($0)) GFLOP/s" } ?? "-")  "
            + String(format: "%.1f trials/s", rate) + "  \(formatDuration(max(left, 0))) left"
        FileHandle.standardOutput.write(Data(("\r" + line.padding(toLength: max(line.count, lastLength), withPad: " ", startingAt: 0)).utf8))
        lastLength = line.count
    }

    private func clear() {
        guard isTerminal, lastLength > 0 else { return }
        FileHandle.standardOutput.write(Data(("\r" + String(repeating: " ", count: lastLength) + "\r").utf8))
        lastLength = 0
    }
}

private func createParentFolder(of path: String) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw HoneError("cannot create folder \(folder.path): \(error.localizedDescription)")
    }
}

private func write(_ text: String, to path: String) throws {
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw HoneError("cannot write \(path): \(error.localizedDescription)")
    }
}
