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

    @Option(help: ArgumentHelp("Search strategy: evolutionary (model-guided), beam (beam search over the decisions, as adams2019), "
                               + "mcts (Monte Carlo tree search over them) or random (the ablation baseline)."))
    var strategy: TuningOptions.Strategy = .evolutionary

    @Option(help: ArgumentHelp("Partial schedules the beam search keeps at each decision (with --strategy beam).", valueName: "k"))
    var beamWidth: Int = 32

    @OptionGroup var searchOptions: SearchOptions
    @OptionGroup var batchOptions: BatchOptions

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var compileLimits: CompileLimitOptions

    func validate() throws {
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard beamWidth >= 1 else { throw ValidationError("--beam-width must be at least 1") }
    }

    func run() throws {
        var interrupted = false
        try reportingErrors { interrupted = try tune() }
        if interrupted { throw ExitCode(130) }
    }

    /// Returns whether the run was interrupted.
    private func tune() throws -> Bool {
        let task = try kernelOptions.task(seed: 1)
        let name = task.kernel.name
        let outputs = TuningOutputs(schedulePath: scheduleOut ?? "tuned/\(name).schedule.json", objectPath: output ?? "tuned/\(name).o",
                                    curvePath: curveOut ?? "tuned/\(name).curve.svg")
        let recordsPath = records ?? "tuned/\(name).jsonl"
        try outputs.createFolders()
        try createParentFolder(of: recordsPath)

        var options = TuningOptions(trials: trials)
        options.strategy = strategy
        options.beamWidth = beamWidth
        options.seed = batchOptions.seed
        options.batchSize = batchOptions.batch
        options.population = searchOptions.population
        options.searchPipeline = searchOptions.searchPipeline
        options.timeBudget = timeBudget?.seconds
        let target = threadOptions.target
        var tuning = KernelTuning(task: task, target: target, options: options, recordsPath: recordsPath,
                                  workerOptions: MeasureOptions(threads: threadOptions.threads, compileTimeout: compileLimits.compileTimeout),
                                  compileWorkers: searchOptions.workers)
        tuning.model = searchOptions.model

        let stop = StopFlag()
        let source = stopOnInterrupt(stop)
        defer { source.cancel() }
        let flops = Double(max(KernelCost(task.kernel).flops, 1))
        let progress = ProgressLine(planned: trials, budget: options.timeBudget, flops: flops)
        var observer = TuningObserver()
        observer.onStart = { sketches, workers in
            print("tuning \(task.identity) on \(target): \(sketches) sketch\(sketches == 1 ? "" : "es"), "
                  + "\(options.strategy.rawValue) search (model: \(searchOptions.model)), \(trials) trials\(options.timeBudget.map { " or \(formatDuration($0))" } ?? ""), "
                  + "\(workers) compile worker\(workers == 1 ? "" : "s"); records: \(recordsPath)")
            fflush(nil)
        }
        observer.onCandidate = { progress.candidateDone($0) }
        observer.onBatch = { progress.batchDone($0) }
        observer.onLog = { progress.log($0) }
        observer.onNote = { printError("  note: \($0)") }
        let outcome = try tuning.run(stop: stop, observer: observer)
        progress.finish()
        printWarnings(outcome.skippedRecordLines)

        if outcome.defaultWon, let best = outcome.result.best?.seconds {
            print("no candidate beat the default schedule (\(formatDuration(outcome.seconds)) against \(formatDuration(best))); writing the default")
        }
        let written = try outputs.write(outcome, task: task, target: target)
        let usesOpenMP = written.usesOpenMP
        if let kept = written.keptFaster {
            print("kept the schedule already in \(outputs.schedulePath): it is faster (\(formatDuration(kept.medianSeconds)), written by another run at \(kept.date))")
        }

        let (t, seconds) = (outcome.result.time, outcome.seconds)
        print("best: \(formatDuration(seconds)), \(String(format: "%.1f", flops / seconds / 1e9)) GFLOP/s"
              + (outcome.defaultSeconds.map { String(format: ", %.1fx the default schedule (%@)", $0 / seconds, formatDuration($0)) } ?? ""))
        print("measured \(outcome.result.trials) candidates (\(outcome.result.errors) errors) in \(formatDuration(t.total)): "
              + String(format: "%.2f trials/s", Double(outcome.result.trials) / max(t.total, 1e-9)))
        print("generated schedules dropped before scoring: \(outcome.result.rejected)")
        let workers = outcome.compileWorkers
        print("time: measure \(formatDuration(t.measuring)) (compile \(formatDuration(t.compiling)) on \(workers) worker\(workers == 1 ? "" : "s"), "
              + "run \(formatDuration(t.running)), verify \(formatDuration(t.verifying))), search \(formatDuration(t.searching)), train \(formatDuration(t.training))")
        print("wrote \(outputs.schedulePath), \(outputs.objectPath), \(outputs.headerPath), \(outputs.curvePath)")
        print("link: cc -O2 main.c \(outputs.objectPath) -lm\(usesOpenMP ? " -fopenmp" : "")   (declarations in \(outputs.headerPath))")
        if outcome.result.interrupted {
            printError("interrupted: \(outcome.result.trials) candidates measured this run are in \(recordsPath); the best so far was written")
        }
        return outcome.result.interrupted
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
              + (p.batchSpearman.map { String(format: ", model rank correlation on the batch %.2f", $0) } ?? "")
              + (p.rejected.total > 0 ? ", \(p.rejected.total) generated schedules dropped" : ""))
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
