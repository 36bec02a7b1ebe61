import Foundation
import Testing
@testable import Hone

/// A C program that reads each input from NAME.bin, calls the kernel through
/// the generated header, and writes the output to NAME.bin.
private func driverSource(for kernel: Kernel) -> String {
    let arguments = kernel.arguments
    var c = "#include <stdio.h>\n#include <stdlib.h>\n#include \"\(kernel.name).h\"\n\n"
    c += "static void *load(const char *path, size_t bytes) {\n  void *p = malloc(bytes ? bytes : 1); FILE *f = fopen(path, \"rb\");\n"
    c += "  if (!f || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, \"cannot read %s\\n\", path); exit(2); }\n  fclose(f); return p;\n}\n\n"
    c += "int main(void) {\n"
    for (i, t) in arguments.enumerated() {
        let bytes = "sizeof(\(t.type.cName)) * \(t.elementCount)"
        if i < arguments.count - 1 {
            c += "  \(t.type.cName) *\(t.name) = load(\"\(t.name).bin\", \(bytes));\n"
        } else {
            c += "  \(t.type.cName) *\(t.name) = calloc(\(t.elementCount), sizeof(\(t.type.cName)));\n"
        }
    }
    c += "  \(kernel.name)(\(arguments.map(\.name).joined(separator: ", ")));\n"
    let out = arguments.last!
    c += "  FILE *f = fopen(\"\(out.name).bin\", \"wb\");\n  fwrite(\(out.name), sizeof(\(out.type.cName)), \(out.elementCount), f);\n  fclose(f);\n  return 0;\n}\n"
    return c
}

private func writeRaw(_ values: [Double], _ type: ScalarType, to url: URL) throws {
    let buffer = TensorBuffer(type: type, shape: [values.count])
    buffer.fill(with: values)
    try Data(bytes: buffer.pointer, count: values.count * type.byteSize).write(to: url)
}

private func readRaw(_ url: URL, _ type: ScalarType, count: Int) throws -> [Double] {
    let data = try Data(contentsOf: url)
    try #require(data.count == count * type.byteSize)
    let buffer = TensorBuffer(type: type, shape: [count])
    data.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
    return buffer.values()
}

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

    try driverSource(for: kernel).write(to: directory.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
    let cc = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "-O1", "driver.c", "\(name).o", "-lm", "-o", "driver"], in: directory)
    try #require(cc.status == 0, "cc failed: \(cc.stderr)")

    let inputs = makeInputs(for: kernel, seed: 7)
    for tensor in kernel.inputs {
        try writeRaw(inputs[tensor.name]!, tensor.type, to: directory.appendingPathComponent("\(tensor.name).bin"))
    }
    let run = try runProcess(directory.appendingPathComponent("driver"), [], in: directory)
    try #require(run.status == 0, "driver failed: \(run.stderr)")

    let output = kernel.output
    let actual = try readRaw(directory.appendingPathComponent("\(output.name).bin"), output.type, count: output.elementCount)
    let expected = try Interpreter.evaluate(kernel, inputs: inputs)
    let comparison = compare(actual: actual, expected: expected, type: output.type)
    #expect(comparison.passed, "max abs error \(comparison.maxAbsError)")
}
