import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// Objects whose schedules have parallel loops call libgomp: the header says
/// to link with -fopenmp, and a C program linked that way computes what the
/// interpreter computes.
@Test(arguments: [
    ("gemm", "M=37,N=29,K=13", """
        {"steps": [
          {"kind": "split", "stage": "C", "loop": "j", "factors": [8]},
          {"kind": "reorder", "stage": "C", "order": ["i", "j.0", "k", "j.1"]},
          {"kind": "parallel", "stage": "C", "loop": "i"},
          {"kind": "vectorize", "stage": "C", "loop": "j.1"}
        ]}
        """),
    // Accumulators and padded tiles allocated inside the parallel loop's body, one per thread.
    ("conv2d_bias_relu", "N=1,C=3,H=9,W=7,F=5", """
        {"steps": [
          {"kind": "cache_write", "stage": "conv"},
          {"kind": "compute_inline", "stage": "conv"},
          {"kind": "fuse", "stage": "Y", "loops": ["f", "y"]},
          {"kind": "parallel", "stage": "Y", "loop": "f@y"},
          {"kind": "compute_at", "stage": "conv.local", "consumer": "Y", "loop": "f@y"},
          {"kind": "compute_at", "stage": "padded", "consumer": "conv.local", "loop": "c"},
          {"kind": "parallel", "stage": "padded", "loop": "h"}
        ]}
        """),
])
func parallelObjectLinksWithOpenMPAndMatchesTheInterpreter(name: String, overrides: String, schedule: String) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let kernel = try Kernel.load(path: ShippedKernels.path(name), overrides: try parseParameterOverrides(overrides))
    let schedulePath = directory.appendingPathComponent("schedule.json").path
    try schedule.write(toFile: schedulePath, atomically: true, encoding: .utf8)

    let object = directory.appendingPathComponent("\(name).o").path
    let compile = try hone("compile", ShippedKernels.path(name), "--set", overrides, "--schedule", schedulePath, "-o", object)
    try #require(compile.status == 0, "hone compile failed: \(compile.stderr)")
    let header = try String(contentsOf: directory.appendingPathComponent("\(name).h"), encoding: .utf8)
    #expect(header.contains("-fopenmp"), "\(header)")
    let symbols = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["nm", "-u", object])
    #expect(symbols.stdout.contains("GOMP_parallel"), "the object should call libgomp: \(symbols.stdout)")

    let comparison = try runCDriver(kernel, object: "\(name).o", in: directory, seed: 11, flags: ["-O1", "-fopenmp"],
                                    environment: ["OMP_NUM_THREADS=3"])
    #expect(comparison.passed, "\(comparison)")
}
