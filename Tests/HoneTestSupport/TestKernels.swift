import Foundation
import Hone

/// The kernels shipped in Kernels/, loaded at small parameter values.
public enum TestKernels {
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Kernels")

    public static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".hone") }.map { String($0.dropLast(5)) }.sorted()
    }

    public static func path(_ name: String) -> String { directory.appendingPathComponent("\(name).hone").path }

    public static func load(_ name: String, _ overrides: [String: Int] = [:]) throws -> Kernel {
        try Kernel.load(path: path(name), overrides: overrides)
    }

    /// Small values, primes among them so that splits leave tails.
    public static let smallValues = [5, 7, 13, 8, 3, 16, 4, 11, 2, 9]

    /// Variant `variant` of a kernel: each parameter takes one of the small
    /// values (at most its default, so strides and batch sizes stay as
    /// written), varied across variants and parameters.
    public static func small(_ name: String, variant: Int) throws -> Kernel {
        let defaults = try load(name).parameters
        var overrides: [String: Int] = [:]
        for (i, parameter) in defaults.enumerated() {
            overrides[parameter.name] = min(parameter.value, smallValues[(variant * 3 + i * 7) % smallValues.count])
        }
        return try load(name, overrides)
    }
}

/// Lowers, JIT-compiles and runs `kernel` under `schedule` on seeded inputs,
/// then verifies every output element against the interpreter. The output
/// starts as NaN so an element the code never writes cannot pass by accident.
public func runAndVerify(_ kernel: Kernel, _ schedule: Schedule, compiler: Compiler, seed: UInt64 = 1) throws -> Verification {
    let compiled = try compiler.jit(try lower(kernel, schedule: schedule))
    let buffers = KernelBuffers(kernel: kernel, seed: seed)
    if buffers.output.type.isFloat { buffers.output.fill(with: Array(repeating: .nan, count: buffers.output.count)) }
    compiled.run(buffers.buffers)
    return try verify(buffers, mode: .full)
}
