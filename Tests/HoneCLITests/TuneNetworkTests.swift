import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// `hone tune-network` end to end on a network of two small tasks: the
/// library links from C and computes what the interpreter computes; shards
/// split the tasks, merge, and build without measuring.
@Suite(.serialized) struct TuneNetworkTests {
    static let network = """
        # pair: two small tasks
        network pair
        kernels \(ShippedKernels.directory.path)
        mm:    gemm M=16 N=24 K=8     x 3
        conv:  conv2d_bias_relu C=3 H=6 W=5 F=4
        """

    func setUp(_ directory: URL) throws -> String {
        let path = directory.appendingPathComponent("pair.network").path
        try Self.network.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func tuneNetwork(_ arguments: [String], in directory: URL) throws -> ProcessResult {
        try runProcess(try honeExecutable(), ["tune-network"] + arguments + ["--population", "32", "--finalists", "0", "--threads", "1"], in: directory)
    }

    @Test func tunesAndWritesALibraryThatMatchesTheInterpreter() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try setUp(directory)
        let run = try tuneNetwork([path, "--trials", "6", "--round-trials", "3", "-o", "out"], in: directory)
        try #require(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("[round 2, 6/6 trials]"), "\(run.stdout)")
        #expect(run.stdout.contains("network "), "\(run.stdout)")
        let out = directory.appendingPathComponent("out")
        for file in ["libpair.a", "pair.h", "pair.curve.svg", "pair.jsonl", "schedules/mm.schedule.json", "schedules/conv.schedule.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let header = try String(contentsOf: out.appendingPathComponent("pair.h"), encoding: .utf8)
        #expect(header.contains("void pair_mm(const float *A, const float *B, float *C);"))
        #expect(header.contains("#define PAIR_CONV_Y_DIM3 5"))
        let svg = try String(contentsOf: out.appendingPathComponent("pair.curve.svg"), encoding: .utf8)
        #expect(svg.contains("polyline"))
        try expectNetworkLibraryComputesTheKernels(out, try Network.load(path: path))

        // Building again from the same records keeps every schedule (none is replaced by a slower one).
        let schedules = try ["mm", "conv"].map { try String(contentsOf: out.appendingPathComponent("schedules/\($0).schedule.json"), encoding: .utf8) }
        let rebuild = try tuneNetwork([path, "--build-only", "-o", "out"], in: directory)
        try #require(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try ["mm", "conv"].map { try String(contentsOf: out.appendingPathComponent("schedules/\($0).schedule.json"), encoding: .utf8) } == schedules)
    }

    @Test func shardsCoverEveryTaskOnceAndMergeIntoOneLibrary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try setUp(directory)
        let network = try Network.load(path: path)
        var tuned: [Set<String>] = []
        for i in 0..<2 {
            let run = try tuneNetwork([path, "--shard", "\(i)/2", "--trials", "2", "--round-trials", "2", "-o", "out"], in: directory)
            try #require(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let records = try RecordsLog.load(path: directory.appendingPathComponent("out/pair.shard-\(i)-of-2.jsonl").path).records
            tuned.append(Set(records.map(\.kernel.key)))
        }
        #expect(tuned.allSatisfy { $0.count == 1 })
        #expect(tuned[0].isDisjoint(with: tuned[1]))
        #expect(tuned[0].union(tuned[1]) == Set(network.tasks.map(\.task.identity.key)))

        let merge = try hone(["records", "merge", directory.appendingPathComponent("out/pair.shard-0-of-2.jsonl").path,
                              directory.appendingPathComponent("out/pair.shard-1-of-2.jsonl").path, "-o", directory.appendingPathComponent("m.jsonl").path])
        try #require(merge.status == 0, "\(merge.stderr)")
        let build = try tuneNetwork([path, "--build-only", "--records", "m.jsonl", "-o", "lib"], in: directory)
        try #require(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        #expect(!build.stdout.contains("no record"), "\(build.stdout)")
        try expectNetworkLibraryComputesTheKernels(directory.appendingPathComponent("lib"), network)
    }

    @Test func aBadNetworkFileIsALocatedError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.network").path
        try "a: gemm M=4 x 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try tuneNetwork([path, "--build-only"], in: directory)
        #expect(run.status == 1)
        #expect(run.stderr.contains("bad.network:1:4: error: no kernel file"), "\(run.stderr)")
    }
}

/// Links `libNAME.a` in `folder` with a C driver per task and compares each output with the interpreter's.
func expectNetworkLibraryComputesTheKernels(_ folder: URL, _ network: Network) throws {
    for task in network.tasks {
        var kernel = task.kernel
        kernel.name = task.symbol(in: network.name)
        // The driver includes SYMBOL.h: one line that includes the network's header.
        try "#include \"\(network.name).h\"\n".write(to: folder.appendingPathComponent("\(kernel.name).h"), atomically: true, encoding: .utf8)
        let comparison = try runCDriver(kernel, object: "lib\(network.name).a", in: folder, seed: 5, flags: ["-O1", "-fopenmp"])
        #expect(comparison.passed, "\(task.label): \(comparison)")
    }
}

/// `make test-slurm`'s last check: the library the Slurm jobs built (HONE_SLURM_OUTPUT)
/// computes what the interpreter computes. Skipped unless that script runs it.
@Suite struct SlurmLibraryTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HONE_SLURM_OUTPUT"] != nil))
    func theLibraryBuiltBySlurmMatchesTheInterpreter() throws {
        let environment = ProcessInfo.processInfo.environment
        let folder = URL(fileURLWithPath: try #require(environment["HONE_SLURM_OUTPUT"]))
        let network = try Network.load(path: try #require(environment["HONE_SLURM_NETWORK"]))
        try expectNetworkLibraryComputesTheKernels(folder, network)
    }
}
