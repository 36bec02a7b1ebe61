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
// Usage: bench-model --data DIR [--suite suite.tsv] [--variants a,b] [--csv DIR]
//   DIR holds ROW.jsonl records files named by suite row id.

struct Arguments {
    var data = "results/model-data"
    var suite = "suite.tsv"
    var variants: [String]?
    var csv: String?

    init() throws {
        var list = Array(CommandLine.arguments.dropFirst())
        while !list.isEmpty {
            let flag = list.removeFirst()
            guard !list.isEmpty else { throw HoneError("\(flag) needs a value") }
            let value = list.removeFirst()
            switch flag {
            case "--data": data = value
            case "--suite": suite = value
            case "--variants": variants = value.split(separator: ",").map(String.init)
            case "--csv": csv = value
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
    let files = try FileManager.default.contentsOfDirectory(atPath: arguments.data).filter { $0.hasSuffix(".jsonl") }.sorted()
    for file in files {
        let id = String(file.dropLast(6))
        guard let row = suite.first(where: { $0.id == id }) else { continue }
        let kernel = try Kernel.load(path: kernels.appendingPathComponent("\(row.kernel).hone").path, overrides: row.overrides)
        let key = KernelIdentity(kernel).key
        let records = try RecordsLog.load(path: "\(arguments.data)/\(file)").records.filter {
            $0.kernel.key == key && $0.origin != .final && $0.origin != .default
        }
        var extractor = FeatureExtractor()
        var data = KernelData(row: id, programs: [], seconds: [])
        for r in records where r.seconds != nil || r.error?.kind == .runTimeout {
            guard let schedule = try? r.schedule(), let nest = try? lower(kernel, schedule: schedule) else { continue }
            data.programs.append(extractor.extract(nest))
            data.seconds.append(r.seconds)
        }
        if data.programs.count >= 80 { result.append(data) }
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

    mutating func add(predicted: [Float], seconds: [Double?]) {
        let p = predicted.map(Double.init), m = seconds.map { $0.map { 1 / $0 } ?? 0 }
        if let s = spearmanCorrelation(p, m) { spearman.append(s) }
        if let a = pairwiseAccuracy(p, m) { pairwise.append(a) }
        if let t = topRecall(p, m, k: 8) { top.append(t) }
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
    print("| variant | situation | Spearman | pairwise accuracy | top-8 recall |")
    print("|---|---|---|---|---|")
    for variant in variants {
        for n in [64, 128, 200] {
            var quality = Quality()
            for k in kernels where k.programs.count >= n + 32 {
                let model = variant.make(1)
                try model.update(programs: Array(k.programs[..<n]), relativeThroughput: relativeThroughput(Array(k.seconds[..<n])))
                let test = n..<min(n + 64, k.programs.count)
                quality.add(predicted: model.predict(Array(k.programs[test])), seconds: Array(k.seconds[test]))
            }
            print("| \(variant.name) | own first \(n), next 64 | \(quality.summary) |")
        }
        var cold = Quality()
        for (i, k) in kernels.enumerated() {
            let model = variant.make(1)
            var programs: [ProgramFeatures] = [], labels: [Float] = []
            for (j, other) in kernels.enumerated() where j != i {
                programs += other.programs
                labels += relativeThroughput(other.seconds)
            }
            try model.update(programs: programs, relativeThroughput: labels)
            cold.add(predicted: model.predict(k.programs), seconds: k.seconds)
        }
        print("| \(variant.name) | leave one kernel out | \(cold.summary) |")
        fflush(nil)
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("bench-model: \(error)\n".utf8))
    exit(1)
}
