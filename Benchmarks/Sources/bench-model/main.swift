import BenchSuite
import Foundation
import Hone

// The cost model off line, on measured records (make model-data writes them):
// how well each model variant ranks candidates it has not seen, in the two
// situations the search puts it in.
// - Within a kernel, as a tune goes: trained on the kernel's first N
//   measured candidates (in measurement order), ranking the next 64.
// - Cold start, leave one kernel out: trained on every other kernel,
//   ranking the held-out kernel's candidates (what a shipped pretrained
//   model must do).
// Usage: bench-model --data DIR[,DIR...] [--suite suite.tsv] [--variants a,b] [--csv DIR] [--save FILE] [--exclude ROW,...]
//                    [--without PREFIX,...] [--per-kernel]
//   DIR holds ROW.jsonl records files named by suite row id (a row's
//   files in several folders are joined: random samples and the suite's
//   tuning records, say). --save trains
//   the first variant on every kernel and writes the model file (what
//   make pretrained-model ships) instead of evaluating; --exclude leaves
//   rows out of the data (a model for judging the search on them);
//   --without sets the feature columns whose names start with a prefix to 0
//   (an ablation: what the model ranks like without them, e.g. "reg.");
//   --per-kernel adds each kernel's Spearman at every N (own, prior, blend).

struct Arguments {
    var data = "results/model-data"
    var suite = "suite.tsv"
    var variants: [String]?
    var csv: String?
    var save: String?
    var exclude: Set<String> = []
    var without: [String] = []
    var perKernel = false

    init() throws {
        var list = Array(CommandLine.arguments.dropFirst())
        while !list.isEmpty {
            let flag = list.removeFirst()
            if flag == "--per-kernel" {
                perKernel = true
                continue
            }
            guard !list.isEmpty else { throw HoneError("\(flag) needs a value") }
            let value = list.removeFirst()
            switch flag {
            case "--data": data = value
            case "--suite": suite = value
            case "--variants": variants = value.split(separator: ",").map(String.init)
            case "--csv": csv = value
            case "--save": save = value
            case "--exclude": exclude = Set(value.split(separator: ",").map(String.init))
            case "--without": without = value.split(separator: ",").map(String.init)
            default: throw HoneError("unknown argument '\(flag)'; see the comment at the top of bench-model/main.swift")
            }
        }
    }
}

/// One kernel's measured programs in measurement order.
struct KernelData {
    var row: String
    var programs: [ProgramFeatures]
    /// Median seconds; nil: failed or too slow (throughput 0).
    var seconds: [Double?]
}

func loadData(_ arguments: Arguments) throws -> [KernelData] {
    let suite = try loadSuite(path: arguments.suite)
    let kernels = URL(fileURLWithPath: arguments.suite).deletingLastPathComponent().appendingPathComponent("../Kernels")
    var result: [KernelData] = []
    // A row's records from every folder, in the order the folders are given.
    var filesByRow: [String: [String]] = [:]
    for folder in arguments.data.split(separator: ",").map(String.init) {
        for file in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".jsonl") }).sorted() {
            filesByRow[String(file.dropLast(6)), default: []].append("\(folder)/\(file)")
        }
    }
    for id in filesByRow.keys.sorted() {
        guard !arguments.exclude.contains(id), let row = suite.first(where: { $0.id == id }) else { continue }
        let kernel = try Kernel.load(path: kernels.appendingPathComponent("\(row.kernel).hone").path, overrides: row.overrides)
        let key = KernelIdentity(kernel).key
        let records = try filesByRow[id]!.flatMap { try RecordsLog.load(path: $0).records }.filter {
            // Only this CPU's: a kernel's relative throughputs mix nothing across machines.
            $0.kernel.key == key && $0.target.cpu == HostTarget.host.cpu && $0.origin != .final && $0.origin != .default
        }
        var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 1)
        let dropped = FeatureSchema.names.indices.filter { i in arguments.without.contains { FeatureSchema.names[i].hasPrefix($0) } }
        var data = KernelData(row: id, programs: [], seconds: [])
        for r in records where r.seconds != nil || r.error?.kind == .runTimeout {
            guard let schedule = try? r.schedule(), let nest = try? lower(kernel, schedule: schedule) else { continue }
            extractor.threads = r.target.threads
            var rows = extractor.extract(nest)
            for r in rows.indices { for c in dropped { rows[r][c] = 0 } }
            data.programs.append(rows)
            data.seconds.append(r.seconds)
        }
        if data.programs.count >= 32 { result.append(data) }
        if let csv = arguments.csv { try writeCSV(data, to: "\(csv)/\(id).csv") }
        FileHandle.standardError.write(Data("bench-model: \(id): \(data.programs.count) programs\n".utf8))
    }
    return result
}

func writeCSV(_ data: KernelData, to path: String) throws {
    try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
    var text = (["program", "seconds"] + FeatureSchema.names).joined(separator: ",") + "\n"
    for (p, rows) in data.programs.enumerated() {
        for row in rows { text += "\(p),\(data.seconds[p] ?? 0)," + row.map { String($0) }.joined(separator: ",") + "\n" }
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Throughput relative to the best of `seconds` (0 for failures).
func relativeThroughput(_ seconds: [Double?]) -> [Float] {
    let best = seconds.compactMap { $0 }.min() ?? 1
    return seconds.map { $0.map { Float(best / $0) } ?? 0 }
}

struct Quality {
    var spearman: [Double] = []
    var pairwise: [Double] = []
    var top: [Double] = []

    /// Adds one ranking's measures; returns its Spearman.
    @discardableResult
    mutating func add(predicted: [Float], seconds: [Double?]) -> Double? {
        let p = predicted.map(Double.init), m = seconds.map { $0.map { 1 / $0 } ?? 0 }
        let s = spearmanCorrelation(p, m)
        if let s { spearman.append(s) }
        if let a = pairwiseAccuracy(p, m) { pairwise.append(a) }
        if let t = topRecall(p, m, k: 8) { top.append(t) }
        return s
    }

    var summary: String {
        func mean(_ v: [Double]) -> String { v.isEmpty ? "-" : String(format: "%.3f", v.reduce(0, +) / Double(v.count)) }
        return "\(mean(spearman)) | \(mean(pairwise)) | \(mean(top))"
    }
}

func run() throws {
    let arguments = try Arguments()
    let kernels = try loadData(arguments)
    let variants = arguments.variants.map { names in ModelVariant.all.filter { names.contains($0.name) } } ?? ModelVariant.all
    if let path = arguments.save {
        let trees = try TreeCostModel.pretrain(kernels.map { ($0.programs, relativeThroughput($0.seconds)) },
                                               parameters: variants[0].make(1).parameters)
        try trees.save(to: URL(fileURLWithPath: path))
        print("trained \(variants[0].name) on \(kernels.map(\.programs.count).reduce(0, +)) programs of \(kernels.count) kernels "
              + "(\(kernels.map(\.row).joined(separator: ", "))); wrote \(path)")
        return
    }
    let sizes = [16, 32, 64, 128, 200]
    print("Per kernel: trained on the first N measured candidates, ranking the next 64; 'prior' is trained on the other kernels only "
          + "(leave one kernel out), 'blend' adds the two models' scores. Means over \(kernels.count) kernels.\n")
    print("| variant | N | own: Spearman | pairwise | top-8 | prior: Spearman | pairwise | top-8 | blend: Spearman | pairwise | top-8 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant in variants {
        // The prior of each kernel: trained once on every other kernel.
        let priors = try kernels.indices.map { i in
            try TreeCostModel.pretrain(kernels.indices.filter { $0 != i }.map { (kernels[$0].programs, relativeThroughput(kernels[$0].seconds)) },
                                       parameters: variant.make(1).parameters)
        }
        var kernelLines: [String] = []
        for n in sizes {
            var own = Quality(), prior = Quality(), blend = Quality()
            for (i, k) in kernels.enumerated() where k.programs.count >= n + 32 {
                let test = n..<min(n + 64, k.programs.count)
                let programs = Array(k.programs[test]), seconds = Array(k.seconds[test])
                let model = variant.make(1)
                try model.update(programs: Array(k.programs[..<n]), relativeThroughput: relativeThroughput(Array(k.seconds[..<n])))
                let ownScores = model.predict(programs), priorScores = priors[i].predict(programs)
                let spearman = [own.add(predicted: ownScores, seconds: seconds),
                                prior.add(predicted: priorScores, seconds: seconds),
                                blend.add(predicted: zip(ownScores, priorScores).map { $0 + $1 }, seconds: seconds)]
                if arguments.perKernel {
                    let cells = spearman.map { $0.map { String(format: "%.2f", $0) } ?? "-" }
                    kernelLines.append("| \(variant.name) | \(k.row) | \(n) | " + cells.joined(separator: " | ") + " |")
                }
            }
            print("| \(variant.name) | \(n) | \(own.summary) | \(prior.summary) | \(blend.summary) |")
        }
        if !kernelLines.isEmpty {
            print("\n| variant | kernel | N | own: Spearman | prior | blend |\n|---|---|---|---|---|---|")
            print(kernelLines.joined(separator: "\n") + "\n")
        }
        fflush(nil)
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("bench-model: \(error)\n".utf8))
    exit(1)
}
