// The benchmark suite: every row of Benchmarks/suite.tsv timed with Hone's
// default, hand and tuned schedules against OpenBLAS, oneDNN and (for the
// image pipelines) Halide, in one
// run, alternately, several rounds, medians; the report goes to
// Benchmarks/results/<date>-<cpu>/ (report.md, report.json, report.svg,
// rounds.jsonl). Each row's ceiling (Benchmarks/ceilings/<cpu>/, made by
// bench-ceiling) is timed beside them.
//
//   bench-suite [--suite default|full] [--only ID,ID] [--rounds R] [--threads T]
//               [--results DIR] [--min-ms MS] [--contenders isolated|shared]
//
// With --contenders isolated (the default) every timing of every
// contender runs in a process of its own (this program again, with
// --time-one ROW --contender NAME), so no library's idle worker threads
// slow the next contender; shared times them all in this process.
//
// `make bench` tunes every row first (hone tune ... --schedule-out
// Benchmarks/results/tuned/ID.json); rows without a tuned schedule say
// "not tuned".
import BenchCeiling
import BenchSuite
import Foundation
import Hone

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct Options {
    var suite = "default"
    var only: Set<String>?
    var rounds = 5
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var results: URL
    var minimumSeconds = 0.05
    var isolated = true
    /// Set in a child that times one contender of one row.
    var timeOne: (row: String, contender: String)?

    init(_ arguments: [String], repository: URL) throws {
        results = repository.appendingPathComponent("Benchmarks/results")
        var arguments = ArgumentCursor(arguments)
        while let argument = arguments.current {
            switch argument {
            case "--suite":
                suite = try arguments.value()
                guard suite == "default" || suite == "full" else { throw HoneError("--suite is default or full, not '\(suite)'") }
            case "--only": only = Set(try arguments.value().split(separator: ",").map(String.init))
            case "--rounds": rounds = try arguments.positiveInteger()
            case "--threads": threads = try arguments.positiveInteger()
            case "--min-ms": minimumSeconds = Double(try arguments.positiveInteger()) / 1000
            case "--results": results = URL(fileURLWithPath: try arguments.value())
            case "--contenders": isolated = try arguments.isolation()
            case "--time-one": timeOne = try arguments.timeOne("ROW")
            case "--help", "-h":
                print("usage: bench-suite [--suite default|full] [--only ID,ID] [--rounds R] [--threads T] [--results DIR] [--min-ms MS] [--contenders isolated|shared]")
                exit(0)
            default: throw HoneError("unknown option \(argument); see --help")
            }
            arguments.advance()
        }
    }
}

do {
    let options = try Options(CommandLine.arguments, repository: repository)
    let started = Date()
    try configureThreads(options.threads)
    let paths = SuitePaths(repository: repository, results: options.results)
    var rows = try loadSuite(path: repository.appendingPathComponent("Benchmarks/suite.tsv").path)
    if let one = options.timeOne {
        guard let row = rows.first(where: { $0.id == one.row }) else { throw HoneError("no suite row \(one.row)") }
        try runIsolatedTiming(try prepare(row, paths: paths, compiler: try Compiler(), only: one.contender), minimum: options.minimumSeconds)
        exit(0)
    }
    if let only = options.only {
        let unknown = only.subtracting(rows.map(\.id))
        guard unknown.isEmpty else { throw HoneError("no suite row \(unknown.sorted().joined(separator: ", ")) in Benchmarks/suite.tsv") }
        rows = rows.filter { only.contains($0.id) }
    } else if options.suite == "default" {
        rows = rows.filter(\.inDefaultSuite)
    }

    let cpu = cpuModelName()
    print("# \(cpu), \(options.threads) threads, \(rows.count) rows, \(options.rounds) rounds, contenders \(options.isolated ? "each in its own process" : "in one process")")
    let loadBefore = loadAverages()
    let othersBefore = othersShare(over: 1)
    print(String(format: "machine: other processes used %.0f%% of the CPU over 1 s (load %@)", othersBefore * 100, loadBefore))
    let startPeaks = measurePeaks(threads: options.threads)
    print(String(format: "peak: %.1f GFLOP/s, DRAM triad %.1f GB/s (measured again at the end; the report takes the higher)", startPeaks.flopsPerSecond / 1e9, startPeaks.bytesPerSecond / 1e9))

    let compiler = try Compiler()
    let plan = TimingPlan(rounds: options.rounds, minimumSeconds: options.minimumSeconds, isolated: options.isolated)
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
    var results: [RowResult] = []
    var rounds: [RoundTiming] = []
    for row in rows {
        do {
            let prepared = try prepare(row, paths: paths, compiler: compiler)
            let timer = options.isolated ? isolatedTimer(prepared, executable: executable, arguments: { contender in
                ["--results", options.results.path, "--threads", String(options.threads), "--time-one", row.id, "--contender", contender]
            }) : nil
            let timings = time(prepared, plan: plan, timer: timer)
            rounds += timings.rounds
            let tuning = try TuningSummary.load(path: paths.records(row), kernel: prepared.kernel)
            var result = RowResult(prepared, timings: timings, tuning: tuning)
            result.ceilingProvenance = try? CeilingProvenance.load(path: paths.ceilingProvenance(row))
            results.append(result)
            var ratio = result.tunedOverBaseline.map { String(format: "tuned / best baseline %.2f", $0) } ?? "not tuned"
            if let overLibrary = result.ceiling.overLibrary { ratio += String(format: ", ceiling / best baseline %.2f", overLibrary) }
            if let beaten = result.ceiling.beatenBy.first { ratio += ", ceiling beaten by \(beaten.name)" }
            let baseline = result.bestBaseline.map { String(format: "best baseline %.3f ms (%@)", $0.seconds * 1e3, $0.name) } ?? "no baseline"
            print("\(row.id) \(row.kernel) \(row.setArgument): default \(String(format: "%.3f ms", (result.defaultSeconds ?? 0) * 1e3)), \(baseline), \(ratio)")
            for (name, problem) in prepared.problems { print("  \(name): \(problem)") }
            for name in timings.unsteady { print(String(format: "  %@: round spread %.0f%%, above %.0f%%: flagged", name, timings.spreads[name]! * 100, spreadLimit * 100)) }
            if !timings.failures.isEmpty { print("  failed timings: \(timings.failures.joined(separator: "; "))") }
        } catch {
            print("\(row.id): \(error)")
        }
    }

    let loadAfter = loadAverages()
    let othersAfter = othersShare(over: 1)
    // Measured again: a neighbour's burst at the start must not lower the peaks.
    let peaks = startPeaks.combined(with: measurePeaks(threads: options.threads))
    let stamp = ISO8601DateFormatter.string(from: started, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate, .withTime])
    let directory = options.results.appendingPathComponent("\(stamp.replacingOccurrences(of: ":", with: ""))-\(fileNameSlug(HostTarget.host.cpu))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var commands = [CommandLine.arguments.joined(separator: " ")]
    for row in rows {
        for path in [paths.tuningCommand(row), paths.ceilingCommand(row)] {
            if let command = try? String(contentsOfFile: path, encoding: .utf8) {
                commands.append(command.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }
    var versions: [(String, String)] = [
        ("Hone", "\(honeVersion) (git \(shellOutput("git -C '\(repository.path)' rev-parse --short HEAD")))"),
        ("LLVM", shellOutput("llvm-config-19 --version")),
        ("oneDNN", oneDNNVersion() + " (Debian libdnnl-dev " + shellOutput("dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null") + ")"),
        ("OpenBLAS", shellOutput("dpkg-query -W -f='${Version}\\n' libopenblas-dev 2>/dev/null")),
        ("Swift", shellOutput("swift --version 2>&1 | head -1")),
        ("kernel", shellOutput("uname -r")),
    ]
    if let halide = halideBuildDescription() { versions.insert(("Halide", halide), at: 4) }
    var context = ReportContext(date: stamp, cpu: cpu, llvmCPU: HostTarget.host.cpu, threads: options.threads, peaks: peaks,
                                othersBefore: othersBefore, othersAfter: othersAfter, loadBefore: loadBefore, loadAfter: loadAfter,
                                plan: plan, versions: versions, commands: commands, suite: options.only == nil ? options.suite : "selected rows",
                                seconds: Date().timeIntervalSince(started))
    let previous = previousRun(in: options.results, cpuSlug: fileNameSlug(HostTarget.host.cpu), before: directory.lastPathComponent)
    let regressions = previous.map { compare(results, with: $0.medians) }
    context.previousRun = previous.map { ($0.name, regressions ?? []) }
    try markdownReport(results, context).write(to: directory.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
    try SuiteReportJSON(results, date: stamp, cpu: HostTarget.host.cpu, threads: options.threads).json()
        .write(to: directory.appendingPathComponent("report.json"), atomically: true, encoding: .utf8)
    try svgReport(results, title: "Hone vs its baselines: \(cpu), \(options.threads) threads, \(stamp)")
        .write(to: directory.appendingPathComponent("report.svg"), atomically: true, encoding: .utf8)
    try (rounds.map(\.jsonLine).joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("rounds.jsonl"), atomically: true, encoding: .utf8)
    if let previous, let regressions {
        print(regressions.isEmpty ? "no regressions against \(previous.name)" : "regressions against \(previous.name):")
        for r in regressions { print("  " + r.text) }
    } else {
        print("no earlier run on \(HostTarget.host.cpu) in \(options.results.path) to compare with")
    }
    print("report: \(directory.path)/report.md (and report.json, report.svg, rounds.jsonl)")
} catch {
    FileHandle.standardError.write(Data("bench-suite: \(error)\n".utf8))
    exit(1)
}
