import Foundation
import Testing
@testable import Hone

@Test(arguments: [
    ("gemm", "M=7,N=5,K=3"),
    ("conv2d_bias_relu", "N=1,C=3,H=6,W=5,F=4"),
    ("softmax", "M=3,N=9"),
])
func compiledObjectLinksWithCAndMatchesTheInterpreter(name: String, overrides: String) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let kernel = try Kernel.load(path: kernelPath(name), overrides: try parseParameterOverrides(overrides))

    let compile = try hone("compile", kernelPath(name), "--set", overrides, "-o", directory.appendingPathComponent("\(name).o").path)
    try #require(compile.status == 0, "hone compile failed: \(compile.stderr)")
    let header = try String(contentsOf: directory.appendingPathComponent("\(name).h"), encoding: .utf8)
    #expect(header.contains("void \(name)("))

    try cDriverSource(for: kernel).write(to: directory.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
    let cc = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "-O1", "driver.c", "\(name).o", "-lm", "-o", "driver"], in: directory)
    try #require(cc.status == 0, "cc failed: \(cc.stderr)")

    let inputs = makeInputs(for: kernel, seed: 7)
    for tensor in kernel.inputs {
        try writeRawValues(inputs[tensor.name]!, tensor.type, to: directory.appendingPathComponent("\(tensor.name).bin"))
    }
    let run = try runProcess(directory.appendingPathComponent("driver"), [], in: directory)
    try #require(run.status == 0, "driver failed: \(run.stderr)")

    let output = kernel.output
    let actual = try readRawValues(directory.appendingPathComponent("\(output.name).bin"), output.type, count: output.elementCount)
    let expected = try Interpreter.evaluate(kernel, inputs: inputs)
    let comparison = compare(actual: actual, expected: expected, type: output.type)
    #expect(comparison.passed, "max abs error \(comparison.maxAbsError)")
}
