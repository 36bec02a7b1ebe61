// Does a cheaper LLVM pipeline keep the search's ranking of its candidates?
//
// `hone tune --search-pipeline o2|o1` compiles the candidates the search
// measures at a cheaper level (finalists and written code stay at o3). That
// pays only if the cheaper code ranks the candidates as the o3 code does.
// For each suite row: sample the search's own candidates (every sketch, the
// sampler `hone tune` uses), measure each at every pipeline through the
// worker, the pipelines alternated per candidate, and report per pipeline:
// compile CPU seconds against o3, Spearman of run times against o3's, and
// the regret (o3 time of the candidate the pipeline ranks fastest, over the
// fastest o3 time). A second o3 measurement of every candidate ("o3 again")
// gives the ceiling that timing noise alone leaves to those figures.
//
//   bench-pipeline [--rows C2D-3,GMM-3,...] [--candidates 40] [--threads 1]
//                  [--pipelines o3,o2,o1]
//
// The binary is its own worker: run as `bench-pipeline worker` it serves
// trials on stdin/stdout, like `hone worker`.
import BenchSuite
import Foundation
import Hone

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "worker" { try WorkerServer.serve() }

struct Arguments {
    var rows = ["C2D-3", "GMM-3", "DEP-2", "GRP-2", "SFM-1", "LN-1"]
    var candidates = 40
    var threads = 1
    var pipelines: [CompilePipeline] = [.o3, .o2, .o1]

    init() throws {
        var cursor = ArgumentCursor(CommandLine.arguments)
        while let flag = cursor.current {
            switch flag {
            case "--rows": rows = try cursor.value().split(separator: ",").map(String.init)
            case "--candidates": candidates = try cursor.positiveInteger()
            case "--threads": threads = try cursor.positiveInteger()
            case "--pipelines":
                pipelines = try cursor.value().split(separator: ",").map {
                    guard let pipeline = CompilePipeline(rawValue: String($0)) else { throw HoneError("unknown pipeline '\($0)' (o3, o2 or o1)") }
                    return pipeline
                }
                guard pipelines.first == .o3 else { throw HoneError("--pipelines must start with o3, the reference") }
            default: throw HoneError("unknown option \(flag)")
            }
            cursor.advance()
        }
    }
}

/// A way to compile and time each candidate: a pipeline, or o3 timed again.
struct Variant: Hashable {
    var pipeline: CompilePipeline
    var label: String

    static let reference = Variant(pipeline: .o3, label: "o3")
    static let referenceAgain = Variant(pipeline: .o3, label: "o3 again")
}

/// One candidate measured with every variant: run seconds and compile CPU
/// seconds (LLVM passes + machine code), nil where it failed.
struct Measured {
    var seconds: [Variant: Double] = [:]
    var compile: [Variant: Double] = [:]
}

extension Arguments {
    var variants: [Variant] {
        [.reference] + pipelines.dropFirst().map { Variant(pipeline: $0, label: $0.rawValue) } + [.referenceAgain]
    }
}

func measureRow(_ row: SuiteRow, repository: URL, arguments: Arguments, worker: URL) throws -> [Measured] {
    let task = try MeasureTask(path: repository.appendingPathComponent("Kernels/\(row.kernel).hone").path, overrides: row.overrides)
    let space = SearchSpace(kernel: task.kernel, vectorLanes: HostTarget.host.float32Lanes, threads: arguments.threads)
    var rng = SplitMix64(seed: 1)
    var schedules: [Schedule] = []
    var seen = Set<Schedule>()
    for _ in 0..<(arguments.candidates * 50) where schedules.count < arguments.candidates {
        let schedule = space.schedule(for: space.sample(&rng))
        guard seen.insert(schedule).inserted, let nest = try? lower(task.kernel, schedule: schedule),
              estimatedCodeSize(nest.body) <= TuningOptions(trials: 0).maxCodeSize else { continue }
        schedules.append(schedule)
    }
    let measurer = WorkerMeasurer(executable: worker, options: MeasureOptions(threads: arguments.threads))
    defer { measurer.shutDown() }
    var out: [Measured] = []
    for (index, schedule) in schedules.enumerated() {
        var measured = Measured()
        // Rotate the order so no variant always runs first (warm caches, turbo).
        let variants = arguments.variants
        for variant in (0..<variants.count).map({ variants[($0 + index) % variants.count] }) {
            var policy = TrialPolicy.search(task.kernel, threads: arguments.threads)
            policy.pipeline = variant.pipeline
            guard let result = measurer.measure(MeasureInput(task: task, schedule: schedule), policy: policy, best: nil),
                  let seconds = result.seconds else { continue }
            measured.seconds[variant] = seconds
            measured.compile[variant] = result.phases.optimization + result.phases.machineCode
        }
        out.append(measured)
        FileHandle.standardError.write(Data("\r\(row.id): \(index + 1)/\(schedules.count)".utf8))
    }
    FileHandle.standardError.write(Data("\n".utf8))
    return out
}

func report(_ row: SuiteRow, _ measured: [Measured], variants: [Variant]) {
    for variant in variants.dropFirst() {
        let pairs = measured.filter { $0.seconds[.reference] != nil && $0.seconds[variant] != nil }
        guard pairs.count >= 4 else {
            print("| \(row.id) | \(variant.label) | \(pairs.count) | - | - | - | - |")
            continue
        }
        let reference = pairs.map { $0.seconds[.reference]! }
        let other = pairs.map { $0.seconds[variant]! }
        let compileRatio = pairs.map { $0.compile[variant]! }.reduce(0, +) / pairs.map { $0.compile[.reference]! }.reduce(0, +)
        let runRatio = exp(zip(other, reference).map { log($0 / $1) }.reduce(0, +) / Double(pairs.count))
        let picked = reference[other.indices.min { other[$0] < other[$1] }!]
        let regret = picked / reference.min()!
        let spearman = spearmanCorrelation(reference, other) ?? .nan
        print("| \(row.id) | \(variant.label) | \(pairs.count) | \(String(format: "%.2f", compileRatio)) | \(String(format: "%.2f", runRatio)) | \(String(format: "%.3f", spearman)) | \(String(format: "%.3f", regret)) |")
    }
}

func main() throws {
    let arguments = try Arguments()
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let suite = try loadSuite(path: repository.appendingPathComponent("Benchmarks/suite.tsv").path)
    let worker = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    print("bench-pipeline on \(HostTarget.host.cpu): \(arguments.candidates) sampled candidates per row, \(arguments.threads) thread(s), load average \(loadAverages())")
    print("compile = CPU seconds in LLVM passes + machine code against o3's; run = geometric mean of run time against o3's;")
    print("regret = o3 time of the candidate the variant ranks fastest / fastest o3 time; \"o3 again\" is the timing noise's own ceiling\n")
    print("| row | variant | candidates | compile / o3 | run / o3 | Spearman with o3 | regret |")
    print("|---|---|---|---|---|---|---|")
    for id in arguments.rows {
        guard let row = suite.first(where: { $0.id == id }) else { throw HoneError("no row \(id) in Benchmarks/suite.tsv") }
        report(row, try measureRow(row, repository: repository, arguments: arguments, worker: worker), variants: arguments.variants)
    }
    print("\nload average at end: \(loadAverages())")
}

do { try main() } catch {
    FileHandle.standardError.write(Data("bench-pipeline: \((error as? HoneError)?.message ?? "\(error)")\n".utf8))
    exit(1)
}
