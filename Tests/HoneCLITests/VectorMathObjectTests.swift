import Foundation
import Testing
@testable import Hone

/// An object whose vectorized `exp` calls libmvec links with the documented
/// line (`cc main.c k.o -lm`: glibc's libm.so brings libmvec in) and computes
/// in C what the interpreter computes, the masked tail of each row included.
@Test func vectorizedExpObjectLinksWithLibmAndMatchesTheInterpreter() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let overrides = "M=5,N=37"
    let kernel = try Kernel.load(path: kernelPath("softmax"), overrides: try parseParameterOverrides(overrides))
    let schedulePath = directory.appendingPathComponent("schedule.json").path
    try """
        {"steps": [
          {"kind": "split", "stage": "e", "loop": "j", "factors": [16]},
          {"kind": "vectorize", "stage": "e", "loop": "j.1"}
        ]}
        """.write(toFile: schedulePath, atomically: true, encoding: .utf8)

    let compile = try hone("compile", kernelPath("softmax"), "--set", overrides, "--schedule", schedulePath,
                           "-o", directory.appendingPathComponent("softmax.o").path)
    try #require(compile.status == 0, "hone compile failed: \(compile.stderr)")
    let header = try String(contentsOf: directory.appendingPathComponent("softmax.h"), encoding: .utf8)
    #expect(header.contains("cc your.c softmax.o -lm\n"), "\(header)")
    let symbols = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["nm", "-u", directory.appendingPathComponent("softmax.o").path])
    #expect(symbols.stdout.contains("_ZGV") && symbols.stdout.contains("_expf"), "the object should call libmvec's expf: \(symbols.stdout)")
    #expect(!symbols.stdout.split(separator: "\n").contains { $0.hasSuffix(" expf") }, "no scalar expf: \(symbols.stdout)")

    try cDriverSource(for: kernel).write(to: directory.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
    let cc = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "driver.c", "softmax.o", "-lm", "-o", "driver"], in: directory)
    try #require(cc.status == 0, "cc failed: \(cc.stderr)")

    let inputs = makeInputs(for: kernel, seed: 5)
    try writeRawValues(inputs["X"]!, .f32, to: directory.appendingPathComponent("X.bin"))
    let run = try runProcess(directory.appendingPathComponent("driver"), [], in: directory)
    try #require(run.status == 0, "driver failed: \(run.stderr)")

    let actual = try readRawValues(directory.appendingPathComponent("Y.bin"), .f32, count: kernel.output.elementCount)
    let comparison = compare(actual: actual, expected: try Interpreter.evaluate(kernel, inputs: inputs), type: .f32)
    #expect(comparison.passed, "\(comparison)")
}
