import Foundation
import Testing
@testable import Hone
import HoneTestSupport

private let quick = ["--repeats", "1", "--min-repeat-ms", "1", "--compile-timeout", "10", "--run-timeout", "2"]

@Test func measureAppendsRecordsThatRunCompileAndIRApply() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("gemm.jsonl").path
    let measured = try hone(["measure", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=8", "--random", "3", "--records", records, "--batch", "2"] + quick)
    #expect(measured.status == 0, "\(measured.stderr)")
    #expect(measured.stdout.contains("measured 3 candidates"), "\(measured.stdout)")
    let loaded = try RecordsLog.load(path: records)
    #expect(loaded.records.count == 3)
    #expect(loaded.records.allSatisfy { $0.kernel.name == "gemm" && $0.target.cpu == HostTarget.host.cpu })

    let listed = try hone(["records", records, "--kernel", "gemm"])
    #expect(listed.status == 0, "\(listed.stderr)")
    #expect(listed.stdout.contains("3 records"), "\(listed.stdout)")
    let best = try hone(["records", records, "--best"])
    #expect(best.stdout.contains("best "), "\(best.stdout)")
    #expect(best.stdout.contains("{\"steps\":"))

    guard loaded.records.contains(where: { $0.seconds != nil }) else { return }  // every candidate failed: nothing to apply
    let run = try hone(["run", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=8", "--records", records, "--repeats", "1", "--min-repeat-ms", "1"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("PASS"))
    #expect(run.stderr.contains("using the best of 3 records"), "\(run.stderr)")
    let ir = try hone(["ir", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=8", "--records", records])
    #expect(ir.status == 0, "\(ir.stderr)")
    #expect(ir.stdout.contains("func gemm("))
}

@Test func applyingRecordsWithoutAMatchIsAClearError() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("r.jsonl").path
    let kernel = try Kernel.load(path: ShippedKernels.path("gemm"), overrides: ["M": 16, "N": 16, "K": 8])
    let record = MeasureRecord(kernel: KernelIdentity(kernel), target: TargetInfo.current(), seed: 1, schedule: .default,
                               timing: Timing(samples: [1e-5], number: 1), error: nil)
    try RecordsLog(path: records).append([record])
    let otherSize = try hone(["ir", ShippedKernels.path("gemm"), "--set", "M=32,N=16,K=8", "--records", records])
    #expect(otherSize.status == 1)
    #expect(otherSize.stderr.contains("has no successful record for gemm M=32 N=16 K=8"), "\(otherSize.stderr)")
    #expect(otherSize.stderr.contains("other parameters: gemm M=16 N=16 K=8"), "\(otherSize.stderr)")
    let otherThreads = try hone(["ir", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=8", "--records", records, "--threads", "7"])
    #expect(otherThreads.status == 1)
    #expect(otherThreads.stderr.contains("7 threads"), "\(otherThreads.stderr)")
    let both = try hone(["ir", ShippedKernels.path("gemm"), "--records", records, "--schedule", "x.json"])
    #expect(both.status != 0)
    #expect(both.stderr.contains("mutually exclusive"), "\(both.stderr)")
}

@Test func measureSurvivesInjectedFaultsEndToEnd() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("f.jsonl").path
    let result = try hone(["measure", ShippedKernels.path("gemm"), "--set", "M=8,N=8,K=8", "--random", "1", "--records", records,
                           "--inject", "out_of_bounds_write,wrong_answer,arithmetic_trap"] + quick)
    #expect(result.status == 0, "\(result.stderr)")
    let loaded = try RecordsLog.load(path: records)
    #expect(loaded.records.map { $0.error?.kind } .prefix(3) == [.runtimeCrash, .wrongAnswer, .runtimeCrash])
    #expect(loaded.records.count == 4)
}

@Test func ctrlCStopsCleanlyWithEveryFinishedMeasurementOnDisk() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("i.jsonl").path
    let process = Process()
    process.executableURL = try honeExecutable()
    process.arguments = ["measure", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=8", "--random", "1000", "--records", records, "--batch", "1"] + quick
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Wait for the first flushed batch, then interrupt.
    var waited = 0
    while (try? String(contentsOfFile: records, encoding: .utf8))?.contains("\n") != true && waited < 600 && process.isRunning {
        usleep(100_000)
        waited += 1
    }
    kill(process.processIdentifier, SIGINT)
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 130, "\(stderr)")
    #expect(stderr.contains("interrupted"))
    let loaded = try RecordsLog.load(path: records)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count >= 1)
    #expect(loaded.records.count < 1000)
    // Every candidate reported as measured is on disk.
    let reported = stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.count
    #expect(loaded.records.count == reported, "\(stdout)")
}
