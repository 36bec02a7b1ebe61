// Makes or raises the ceilings of suite rows on this CPU: the best schedule
// known for each row, kept in Benchmarks/ceilings/<cpu>/ROW.schedule.json
// with ROW.command (what made it) and ROW.provenance.json.
//
//   bench-ceiling --only ID,ID --trials N [--time-budget DURATION] [--rounds R]
//                 [--threads T] [--hone PATH] [--min-ms MS]
//
// For each row: (1) tunes it long with `hone tune`, resuming from
// Benchmarks/results/ceiling-records/ROW.jsonl until it holds N trials, so
// a long run can take several sittings; (2) times the kept ceiling, the
// hand schedule, the suite's tuned schedule and the long run's best
// alternately, each timing in a process of its own, as bench-suite does;
// (3) writes the fastest as the ceiling only if it beat the kept one.
// `make bench-ceiling BENCH_ONLY=ROW,... CEILING_TRIALS=N` runs it.
import BenchCeiling
import BenchSuite
import Foundation
import Hone

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct Options {
    var only: [String] = []
    var trials: Int?
    var timeBudget: String?
    var rounds = 5
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var hone = ".build/release/hone"
    var minimumSeconds = 0.05
    /// Set in a child that times one candidate of one row.
    var timeOne: (row: String, contender: String)?

    init(_ arguments: [String]) throws {
        var arguments = ArgumentCursor(arguments)
        while let argument = arguments.current {
            switch argument {
            case "--only": only = try arguments.value().split(separator: ",").map(String.init)
            case "--trials": trials = try arguments.positiveInteger()
            case "--time-budget": timeBudget = try arguments.value()
            case "--rounds": rounds = try arguments.positiveInteger()
            case "--threads": threads = try arguments.positiveInteger()
            case "--hone": hone = try arguments.value()
            case "--min-ms": minimumSeconds = Double(try arguments.positiveInteger()) / 1000
            case "--time-one": timeOne = try arguments.timeOne("ROW")
            case "--help", "-h":
                print("usage: bench-ceiling --only ID,ID --trials N [--time-budget DURATION] [--rounds R] [--threads T] [--hone PATH] [--min-ms MS]")
                exit(0)
            default: throw HoneError("unknown option \(argument); see --help")
            }
            arguments.advance()
        }
        if timeOne == nil {
            guard !only.isEmpty else { throw HoneError("name the rows: --only ID,ID (make bench-ceiling BENCH_ONLY=ID,ID)") }
            guard trials != nil else { throw HoneError("--trials N is needed: the long run's total trials (make bench-ceiling CEILING_TRIALS=N)") }
        }
    }
}

/// Writes a line at once (print's buffer would hold it back when stdout is
/// a pipe), so it stays in order with what `hone tune` writes to the same stream.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `path` relative to the repository when inside it: commands written to
/// files run from the repository's root.
func relative(_ path: String) -> String {
    let root = repository.standardizedFileURL.path + "/"
    return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
}

/// The row's candidates, identical schedules merged, in the order
/// kept, hand, suite's tuned, long run; each with the file it is timed from.
/// Unreadable files are named in `notes` and left out.
func ceilingCandidates(_ row: SuiteRow, paths: SuitePaths) -> (candidates: [CeilingCandidate], specs: [ScheduleContender], notes: [String]) {
    let files: [(CeilingSource, String)] = [(.kept, paths.ceilingSchedule(row)), (.hand, paths.handSchedule(row.kernel)),
                                           (.suiteTuned, paths.tunedSchedule(row)), (.longRun, paths.longRunSchedule(row))]
    var loaded: [(CeilingSource, String)] = [], notes: [String] = []
    for (source, path) in files where FileManager.default.fileExists(atPath: path) {
        do { loaded.append((source, try Schedule.load(path: path).json())) } catch { notes.append("\(source.rawValue): \(error)") }
    }
    let merged = mergeIdenticalCandidates(loaded)
    let specs = merged.map { candidate in
        let source = candidate.sources[0]
        return ScheduleContender(name: candidate.name, role: source == .kept ? .honeCeiling : source == .hand ? .honeHand : .honeTuned,
                                 path: files.first { $0.0 == source }!.1)
    }
    return (merged, specs, notes)
}

/// Tunes the row until its long-run records hold `options.trials`; returns the trials they hold.
func longRun(_ row: SuiteRow, kernel: Kernel, paths: SuitePaths, options: Options) throws -> Int {
    let recorded = try TuningSummary.load(path: paths.longRunRecords(row), kernel: kernel)?.trials ?? 0
    let remaining = options.trials! - recorded
    guard remaining > 0 else {
        say("[\(row.id)] long run: \(recorded) trials recorded, \(options.trials!) asked: nothing to tune")
        return recorded
    }
    try FileManager.default.createDirectory(at: paths.ceilingRecords, withIntermediateDirectories: true)
    let stem = relative(paths.ceilingRecords.appendingPathComponent(row.id).path)
    var arguments = ["tune", "Kernels/\(row.kernel).hone", "--set", row.setArgument, "--trials", String(remaining)]
    if let budget = options.timeBudget { arguments += ["--time-budget", budget] }
    arguments += ["--records", "\(stem).jsonl", "--schedule-out", "\(stem).json", "-o", "\(stem).o", "--curve-out", "\(stem).curve.svg",
                  "--seed", "1", "--threads", String(options.threads)]
    let command = ([options.hone] + arguments).joined(separator: " ")
    say("[\(row.id)] long run: \(recorded) trials recorded; \(command)")
    let log = paths.longRunCommands(row)
    let previous = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    try (previous + command + "\n").write(toFile: log, atomically: true, encoding: .utf8)

    let process = Process()
    process.executableURL = options.hone.hasPrefix("/") ? URL(fileURLWithPath: options.hone) : repository.appendingPathComponent(options.hone)
    process.arguments = arguments
    process.currentDirectoryURL = repository
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 { say("[\(row.id)] hone tune failed (status \(process.terminationStatus)); timing the other candidates") }
    return try TuningSummary.load(path: paths.longRunRecords(row), kernel: kernel)?.trials ?? recorded
}

/// A contender's seconds per round (nil where its timing failed).
func roundSeconds(_ name: String, _ timings: RowTimings) -> [Double?] {
    var seconds = [Double?](repeating: nil, count: timings.roundCount)
    for t in timings.rounds where t.contender == name { seconds[t.round] = t.seconds }
    return seconds
}

/// What ROW.command says made the ceiling, by where it came from.
func commandText(_ row: SuiteRow, winner: CeilingCandidate, paths: SuitePaths) -> String {
    var text = "# \(row.id) on \(HostTarget.host.cpu): \(winner.name), kept as the fastest candidate by (from the repository's root)\n"
    text += "# " + ([relative(CommandLine.arguments[0])] + CommandLine.arguments.dropFirst()).joined(separator: " ") + "\n"
    switch winner.sources[0] {
    case .longRun:
        text += "# the long run, one line per sitting (resumed from its records):\n"
        text += (try? String(contentsOfFile: paths.longRunCommands(row), encoding: .utf8)) ?? "# (its commands were not kept)\n"
    case .suiteTuned:
        text += "# the suite's tuned schedule (make bench-tune):\n"
        text += (try? String(contentsOfFile: paths.tuningCommand(row), encoding: .utf8)) ?? "# (its command was not kept)\n"
    case .hand:
        text += "cp Kernels/\(row.kernel).schedule.json \(relative(paths.ceilingSchedule(row)))\n"
    case .kept:
        text += (try? String(contentsOfFile: paths.ceilingCommand(row), encoding: .utf8)) ?? ""
    }
    return text
}

do {
    let options = try Options(CommandLine.arguments)
    try configureThreads(options.threads)
    let paths = SuitePaths(repository: repository, results: repository.appendingPathComponent("Benchmarks/results"))
    let allRows = try loadSuite(path: repository.appendingPathComponent("Benchmarks/suite.tsv").path)
    let compiler = try Compiler()
    func candidateRow(_ row: SuiteRow) -> SuiteRow { var r = row; r.baselines = []; return r }

    if let one = options.timeOne {
        guard let row = allRows.first(where: { $0.id == one.row }) else { throw HoneError("no suite row \(one.row)") }
        let kernel = try Kernel.load(path: paths.kernel(row.kernel), overrides: row.overrides)
        let specs = ceilingCandidates(row, paths: paths).specs
        try runIsolatedTiming(try prepare(candidateRow(row), kernel: kernel, schedules: specs, compiler: compiler, only: one.contender),
                              minimum: options.minimumSeconds)
        exit(0)
    }
    let unknown = options.only.filter { id in !allRows.contains { $0.id == id } }
    guard unknown.isEmpty else { throw HoneError("no suite row \(unknown.joined(separator: ", ")) in Benchmarks/suite.tsv") }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
    let plan = TimingPlan(rounds: options.rounds, minimumSeconds: options.minimumSeconds, isolated: true)

    for row in allRows where options.only.contains(row.id) {
        do {
            let kernel = try Kernel.load(path: paths.kernel(row.kernel), overrides: row.overrides)
            let trials = try longRun(row, kernel: kernel, paths: paths, options: options)
            let (candidates, specs, notes) = ceilingCandidates(row, paths: paths)
            for note in notes { say("  \(note)") }
            let loadBefore = loadAverages()
            var prepared = try prepare(candidateRow(row), kernel: kernel, schedules: specs, compiler: compiler)
            prepared.contenders.removeAll { $0.role == .honeDefault }  // only the reference for the checks
            for (name, problem) in prepared.problems { say("  \(name): \(problem)") }
            let timer = isolatedTimer(prepared, executable: executable, arguments: { contender in
                ["--threads", String(options.threads), "--time-one", row.id, "--contender", contender]
            })
            let timings = time(prepared, plan: plan, timer: timer)
            let seconds = candidates.map { timings.medians[$0.name] }
            for (candidate, s) in zip(candidates, seconds) {
                let spread = timings.spreads[candidate.name].map { String(format: ", spread %.0f%%%@", $0 * 100, $0 > spreadLimit ? " (unsteady)" : "") } ?? ""
                say("  \(candidate.name): " + (s.map { String(format: "%.4g ms", $0 * 1e3) } ?? "not timed") + spread)
            }

            let steady = candidates.map { (timings.spreads[$0.name] ?? 0) <= spreadLimit }
            let rounds = candidates.map { roundSeconds($0.name, timings) }
            switch chooseCeiling(candidates, seconds: seconds, steady: steady, roundSeconds: rounds) {
            case .nothingTimed:
                say("[\(row.id)] no candidate could be timed; ceiling unchanged")
            case .keep(let s):
                say(String(format: "[%@] kept: the ceiling (%.4g ms) is still the fastest", row.id, s * 1e3))
            case .keepUnsteady(let s, let index, let faster):
                say(String(format: "[%@] kept: %@ timed %.4g ms against the ceiling's %.4g ms, but their rounds spread above %.0f%% "
                           + "and it did not win every round; run again on a quiet machine", row.id, candidates[index].name, faster * 1e3, s * 1e3, spreadLimit * 100))
            case .write(let index, let s, let replacing):
                let winner = candidates[index]
                try FileManager.default.createDirectory(at: paths.ceilings, withIntermediateDirectories: true)
                let command = commandText(row, winner: winner, paths: paths)
                try (winner.schedule + "\n").write(toFile: paths.ceilingSchedule(row), atomically: true, encoding: .utf8)
                try command.write(toFile: paths.ceilingCommand(row), atomically: true, encoding: .utf8)
                let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
                let provenance = CeilingProvenance(
                    row: row.id, kernel: row.kernel, parameters: row.setArgument, kernelHash: KernelIdentity(kernel).hash,
                    cpu: HostTarget.host.cpu, cpuModel: cpuModelName(), threads: options.threads, source: winner.sources[0],
                    alsoFrom: Array(winner.sources.dropFirst()), seconds: s, spread: timings.spreads[winner.name] ?? 0, rounds: plan.rounds,
                    candidates: Dictionary(uniqueKeysWithValues: zip(candidates, seconds).compactMap { c, s in s.map { (c.name, $0) } }),
                    longRunTrials: trials, date: stamp,
                    hone: "\(honeVersion) (git \(shellOutput("git -C '\(repository.path)' rev-parse --short HEAD")))",
                    load: "\(loadBefore) before, \(loadAverages()) after")
                try provenance.json().write(toFile: paths.ceilingProvenance(row), atomically: true, encoding: .utf8)
                let was = replacing.map { String(format: ", replacing %.4g ms", $0 * 1e3) } ?? ""
                say(String(format: "[%@] ceiling: %@, %.4g ms%@ -> %@", row.id, winner.name, s * 1e3, was, relative(paths.ceilingSchedule(row))))
            }
        } catch {
            say("[\(row.id)] \(error)")
        }
    }
} catch {
    FileHandle.standardError.write(Data("bench-ceiling: \(error)\n".utf8))
    exit(1)
}
