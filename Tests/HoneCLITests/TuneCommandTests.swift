import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// `hone tune` end to end: a small kernel tuned, written, linked from C,
/// resumed, interrupted.
@Suite(.serialized) struct TuneCommandTests {
    static let overrides = "M=64,N=72,K=64"

    func tune(_ directory: URL, _ extra: [String] = []) throws -> ProcessResult {
        try runProcess(try honeExecutable(), ["tune", ShippedKernels.path("gemm"), "--set", Self.overrides, "--trials", "24", "--batch", "8",
                                              "--population", "64", "--records", "r.jsonl", "-o", "gemm.o",
                                              "--schedule-out", "best.json", "--curve-out", "curve.svg"] + extra, in: directory)
    }

    func records(_ directory: URL) throws -> [MeasureRecord] {
        try RecordsLog.load(path: directory.appendingPathComponent("r.jsonl").path).records
    }

    @Test func tunesWritesALinkableObjectAndResumes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try tune(directory)
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("the default schedule"), "\(first.stdout)")
        for file in ["best.json", "gemm.o", "gemm.h", "curve.svg"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file) missing")
        }
        let svg = try String(contentsOf: directory.appendingPathComponent("curve.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline") && svg.contains("evolutionary"))

        // The best schedule beats the default one and is what the object computes.
        let all = try records(directory)
        let best = try #require(all.filter { $0.origin == .final }.compactMap(\.seconds).min())
        let defaultTime = try #require(all.first { $0.origin == .default }?.seconds)
        #expect(best < defaultTime)
        let schedule = try Schedule.load(path: directory.appendingPathComponent("best.json").path)
        #expect(!schedule.steps.isEmpty)
        let kernel = try Kernel.load(path: ShippedKernels.path("gemm"), overrides: try parseParameterOverrides(Self.overrides))
        #expect(try runCDriver(kernel, object: "gemm.o", in: directory, seed: 3, flags: ["-O1", "-fopenmp"]).passed)

        // A second run resumes: nothing the first measured is measured again.
        let searched = { (records: [MeasureRecord]) in records.filter { $0.origin == .search(.evolutionary) }.map(\.scheduleJSON) }
        let before = searched(all)
        let second = try tune(directory, ["--seed", "2"])
        try #require(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("resuming from"), "\(second.stdout)")
        let after = searched(try records(directory))
        #expect(after.count == before.count + 24)
        #expect(Set(after).count == after.count, "a schedule was measured twice")
    }

    @Test func interruptKeepsRecordsAndWritesTheBestSoFar() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = try honeExecutable()
        process.arguments = ["tune", ShippedKernels.path("gemm"), "--set", Self.overrides, "--trials", "400", "--batch", "4", "--population", "64",
                             "--records", "r.jsonl", "-o", "gemm.o", "--schedule-out", "best.json", "--curve-out", "curve.svg"]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let recordsFile = directory.appendingPathComponent("r.jsonl").path
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? RecordsLog.load(path: recordsFile).records.count) ?? 0) < 8 { usleep(100_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let measured = try records(directory)
        #expect(measured.count >= 8 && measured.count < 400)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("best.json").path))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("gemm.o").path))
    }

    @Test func anOutputPathThatIsAFolderIsRefusedBeforeAnyTrial() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("gemm.o"), withIntermediateDirectories: false)
        let result = try tune(directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("gemm.o: it is a folder"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("r.jsonl").path), "it measured before refusing")
    }

    @Test(arguments: ["run", "tune", "compile"])
    func kernelsTooLargeForTheMachineAreRefusedClearly(command: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = [command, ShippedKernels.path("gemm"), "--set", "M=100000,N=100000,K=100000"]
        if command == "compile" { arguments += ["-o", "big.o"] }
        let result = try runProcess(try honeExecutable(), arguments, in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("this machine has"), "\(result.stderr)")
        #expect(!result.stderr.contains("Backtrace") && !result.stderr.contains("Fatal error"))
    }
}
