import Foundation
import Testing
@testable import Hone
import HoneTestSupport

// Running objects from `hone compile` in a C program: a generated driver
// reads each input from NAME.bin and writes the output to NAME.bin.

/// A C program that reads each input from NAME.bin, calls the kernel through
/// its header three times (twice, then after releasing its workspace), and
/// writes the last call's output (filled with NaN before each call, so an
/// element the kernel does not write fails) to NAME.bin.
func cDriverSource(for kernel: Kernel) -> String {
    let arguments = kernel.arguments
    var c = "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include \"\(kernel.name).h\"\n\n"
    c += "static void *load(const char *path, size_t bytes) {\n  void *p = malloc(bytes ? bytes : 1); FILE *f = fopen(path, \"rb\");\n"
    c += "  if (!f || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, \"cannot read %s\\n\", path); exit(2); }\n  fclose(f); return p;\n}\n\n"
    c += "int main(void) {\n"
    for (i, t) in arguments.enumerated() {
        if i < arguments.count - 1 {
            c += "  \(t.type.cName) *\(t.name) = load(\"\(t.name).bin\", sizeof(\(t.type.cName)) * \(t.elementCount));\n"
        } else {
            c += "  \(t.type.cName) *\(t.name) = malloc(sizeof(\(t.type.cName)) * \(t.elementCount));\n"
        }
    }
    let out = arguments.last!
    // A float output starts as NaN, so an element the kernel never writes fails the check.
    let fill = out.type.isFloat ? "  for (int i = 0; i < \(out.elementCount); i++) \(out.name)[i] = NAN;\n" : ""
    let call = fill + "  \(kernel.name)(\(arguments.map(\.name).joined(separator: ", ")));\n"
    c += call + call + "  \(kernel.name)_release_workspace();\n" + call
    c += "  FILE *f = fopen(\"\(out.name).bin\", \"wb\");\n  fwrite(\(out.name), sizeof(\(out.type.cName)), \(out.elementCount), f);\n"
    c += "  fclose(f);\n  return 0;\n}\n"
    return c
}

func writeRawValues(_ values: [Double], _ type: ScalarType, to url: URL) throws {
    let buffer = TensorBuffer(type: type, shape: [values.count])
    buffer.fill(with: values)
    try Data(bytes: buffer.pointer, count: values.count * type.byteSize).write(to: url)
}

func readRawValues(_ url: URL, _ type: ScalarType, count: Int) throws -> [Double] {
    let data = try Data(contentsOf: url)
    try #require(data.count == count * type.byteSize)
    let buffer = TensorBuffer(type: type, shape: [count])
    data.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
    return buffer.values()
}

/// Links the C driver of `kernel` with `object` in `directory` (`cc FLAGS
/// driver.c OBJECT -lm`), runs it (after `environment` settings such as
/// OMP_NUM_THREADS=3) on inputs made from `seed`, and compares the output it
/// wrote with the interpreter's.
func runCDriver(_ kernel: Kernel, object: String, in directory: URL, seed: UInt64, flags: [String] = ["-O1"],
                environment: [String] = []) throws -> Comparison {
    try cDriverSource(for: kernel).write(to: directory.appendingPathComponent("driver.c"), atomically: true, encoding: .utf8)
    let cc = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["cc"] + flags + ["driver.c", object, "-lm", "-o", "driver"], in: directory)
    try #require(cc.status == 0, "cc failed: \(cc.stderr)")

    let inputs = makeInputs(for: kernel, seed: seed)
    for tensor in kernel.inputs {
        try writeRawValues(inputs[tensor.name]!, tensor.type, to: directory.appendingPathComponent("\(tensor.name).bin"))
    }
    let run = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), environment + [directory.appendingPathComponent("driver").path], in: directory)
    try #require(run.status == 0, "driver failed: \(run.stderr)")

    let output = kernel.output
    let actual = try readRawValues(directory.appendingPathComponent("\(output.name).bin"), output.type, count: output.elementCount)
    return compare(actual: actual, expected: try Interpreter.evaluate(kernel, inputs: inputs), type: output.type)
}
