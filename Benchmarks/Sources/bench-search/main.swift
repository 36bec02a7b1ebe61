import BenchSuite
import Foundation
import Hone

// The search benchmark: every strategy tunes each chosen suite row from
// scratch with several seeds; the report says how fast each reaches the
// best known speed and how well the model ranked each batch before it was
// measured. Usage (make bench-search passes these):
//   bench-search --hone PATH [--rows GMM-3,C2D-3] [--strategies evolutionary,random]
//                [--seeds 3] [--trials 200] [--threads N] [--model pretrained|none|FILE] [--out DIR]
//                [--population 512] [--generations 4]   (the evolutionary search's, for ablations)
// To judge the pretrained model fairly, pass one trained without the rows
// measured here (bench-model --save on the other rows' data).

struct Arguments {
    var hone = "../.build/release/hone"
    var suite = "suite.tsv"
    var rows = ["GMM-3", "C1D-3", "C2D-3", "DEP-2", "T2D-2", "NRM-2", "CBR-1", "SFM-1", "LN-1", "TBG-1"]
    var strategies = TuningOptions.Strategy.allCases.map(\.rawValue)
    var seeds = 3
    var trials = 200
    var threads: Int?
    var model = ModelSource.pretrained
    var out: String?
    var population = TuningOptions(trials: 0).population
    var generations = TuningOptions(trials: 0).generations

    init() throws {
        var list = Array(CommandLine.arguments.dropFirst())
        func value(_ flag: String) throws -> String {
            guard let i = list.firstIndex(of: flag) else { throw HoneError("internal: \(flag)") }
            guard i + 1 < list.count else { throw HoneError("\(flag) needs a value") }
            defer { list.removeSubrange(i...(i + 1)) }
            return list[i + 1]
        }
        func int(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), n > 0 else { throw HoneError("\(flag) takes a positive number, not '\(text)'") }
            return n
        }
        while let flag = list.first {
            switch flag {
            case "--hone": hone = try value(flag)
            case "--suite": suite = try value(flag)
            case "--rows": rows = try value(flag).split(separator: ",").map(String.init)
            case "--strategies": strategies = try value(flag).split(separator: ",").map(String.init)
            case "--seeds": seeds = try int(flag)
            case "--trials": trials = try int(flag)
            case "--threads": threads = try int(flag)
            case "--model": model = ModelSource(argument: try value(flag))
            case "--out": out = try value(flag)
            case "--population": population = try int(flag)
            case "--generations": generations = try int(flag)
            default: throw HoneError("unknown argument '\(flag)'; see the comment at the top of bench-search/main.swift")
            }
        }
    }
}

func runBenchmark() throws {
    let arguments = try Arguments()
    let suite = try loadSuite(path: arguments.suite)
    let strategies = try arguments.strategies.map { name in
        guard let s = TuningOptions.Strategy(rawValue: name) else {
            throw HoneError("unknown strategy '\(name)'; expected " + TuningOptions.Strategy.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return s
    }
    let rows = try arguments.rows.map { id in
        guard let row = suite.first(where: { $0.id == id }) else { throw HoneError("no row '\(id)' in \(arguments.suite)") }
        return row
    }
    // Runs labelled with a model that did not load would compare the wrong thing.
    if arguments.model != .none, strategies.contains(where: { $0 != .random }), let warning = PretrainedModel.load(arguments.model).warning {
        throw HoneError("--model \(arguments.model): \(warning) (a copied bench-search needs the Hone_HoneSearch.resources folder beside it; --model none runs without one)")
    }
    let target = TargetInfo.current(threads: arguments.threads)
    let stamp = ISO8601DateFormatter().string(from: Date()).prefix(16).replacingOccurrences(of: ":", with: "")
    let folder = arguments.out ?? "results/search-\(stamp)-\(target.cpu)"
    try FileManager.default.createDirectory(atPath: folder + "/records", withIntermediateDirectories: true)
    let hone = URL(fileURLWithPath: arguments.hone)
    guard FileManager.default.isExecutableFile(atPath: hone.path) else { throw HoneError("no hone binary at \(hone.path); build it first (make build)") }

    print("search benchmark on \(target), model \(arguments.model): \(rows.count) rows x \(strategies.count) strategies x \(arguments.seeds) seeds, \(arguments.trials) trials each; results in \(folder)")
    let resultsPath = folder + "/runs.jsonl"
    _ = FileManager.default.createFile(atPath: resultsPath, contents: nil)
    let results = try FileHandle(forWritingTo: URL(fileURLWithPath: resultsPath))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var runs: [SearchRun] = []
    for row in rows {
        let kernels = URL(fileURLWithPath: arguments.suite).deletingLastPathComponent().appendingPathComponent("../Kernels")
        let task = try MeasureTask(path: kernels.appendingPathComponent("\(row.kernel).hone").path, overrides: row.overrides)
        let flops = Double(max(KernelCost(task.kernel).flops, 1))
        // Seeds outermost, strategies alternating, so a slow spell of the machine does not land on one strategy.
        for seed in 1...UInt64(arguments.seeds) {
            for strategy in strategies {
                var options = TuningOptions(trials: arguments.trials)
                options.strategy = strategy
                options.seed = seed
                options.population = arguments.population
                options.generations = arguments.generations
                let recordsPath = "\(folder)/records/\(row.id)-\(strategy.rawValue)-\(seed).jsonl"
                try? FileManager.default.removeItem(atPath: recordsPath)
                var tuning = KernelTuning(task: task, target: target, options: options, recordsPath: recordsPath,
                                          workerOptions: MeasureOptions(threads: arguments.threads), workerExecutable: hone)
                tuning.model = arguments.model
                let start = Date()
                let outcome = try tuning.run(stop: StopFlag())
                let run = searchRun(row: row.id, strategy: strategy, seed: seed, outcome: outcome, start: start, flops: flops,
                                    batchSize: options.batchSize)
                runs.append(run)
                var line = try encoder.encode(run)
                line.append(0x0A)
                results.write(line)
                let best = run.bestCurve.last ?? 0
                print(String(format: "[%@ %@ seed %d] best %.1f GFLOP/s after %d trials in %.0f s (search %.0f s, measure %.0f s, train %.0f s)",
                             row.id, strategy.rawValue, seed, best, run.trials.count, run.wallSeconds, run.searchSeconds,
                             run.measureSeconds, run.trainSeconds))
                fflush(nil)
            }
        }
        try writeReport(runs, rows: rows, target: target, arguments: arguments, folder: folder)
    }
    print("wrote \(folder)/summary.md, \(folder)/runs.jsonl and one SVG per row")
}

func searchRun(row: String, strategy: TuningOptions.Strategy, seed: UInt64, outcome: TuningOutcome, start: Date, flops: Double,
               batchSize: Int) -> SearchRun {
    let searched = outcome.records.filter { $0.origin == .search(strategy) }
    let trials = searched.map { r in
        SearchRun.Trial(elapsed: (parseISO8601(r.timestamp)?.timeIntervalSince1970 ?? start.timeIntervalSince1970) - start.timeIntervalSince1970,
                        seconds: r.seconds, predicted: r.candidate?.predicted)
    }
    let t = outcome.result.time
    return SearchRun(row: row, strategy: strategy.rawValue, seed: seed, trials: trials, batchSize: batchSize, wallSeconds: t.total,
                     searchSeconds: t.searching, measureSeconds: t.measuring, trainSeconds: t.training, flops: flops)
}

do {
    try runBenchmark()
} catch {
    FileHandle.standardError.write(Data("bench-search: \(error)\n".utf8))
    exit(1)
}
