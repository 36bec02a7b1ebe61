import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// An object whose vectorized `exp` calls libmvec links with the documented
/// line (`cc main.c k.o -lm`: glibc's libm.so brings libmvec in) and computes
/// in C what the interpreter computes, the masked tail of each row included.
@Test func vectorizedExpObjectLinksWithLibmAndMatchesTheInterpreter() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let overrides = "M=5,N=37"
    let kernel = try Kernel.load(path: ShippedKernels.path("softmax"), overrides: try parseParameterOverrides(overrides))
    let schedulePath = directory.appendingPathComponent("schedule.json").path
    try """
        {"steps": [
          {"kind": "split", "stage": "e", "loop": "j", "factors": [16]},
          {"kind": "vectorize", "stage": "e", "loop": "j.1"}
        ]}
        """.write(toFile: schedulePath, atomically: true, encoding: .utf8)

    let compile = try hone("compile", ShippedKernels.path("softmax"), "--set", overrides, "--schedule", schedulePath,
                           "-o", directory.appendingPathComponent("softmax.o").path)
    try #require(compile.status == 0, "hone compile failed: \(compile.stderr)")
    let header = try String(contentsOf: directory.appendingPathComponent("softmax.h"), encoding: .utf8)
    #expect(header.contains("cc your.c softmax.o -lm\n"), "\(header)")
    let symbols = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["nm", "-u", directory.appendingPathComponent("softmax.o").path])
    #expect(symbols.stdout.contains("_ZGV") && symbols.stdout.contains("_expf"), "the object should call libmvec's expf: \(symbols.stdout)")
    #expect(!symbols.stdout.split(separator: "\n").contains { $0.hasSuffix(" expf") }, "no scalar expf: \(symbols.stdout)")

    // The documented line exactly: no optimization flag.
    let comparison = try runCDriver(kernel, object: "softmax.o", in: directory, seed: 5, flags: [])
    #expect(comparison.passed, "\(comparison)")
}
