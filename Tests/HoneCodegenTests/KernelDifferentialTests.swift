import Foundation
import Testing
@testable import Hone

/// The kernels shipped in Kernels/, with every parameter set small.
enum ShippedKernels {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Kernels")

    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".hone") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent("\(name).hone").path }

    /// Each parameter gets a small value (3 to 9, varied so no two dimensions
    /// coincide by accident and tails of 8-wide vectors are exercised).
    static func small(_ name: String, seed: Int = 0) throws -> Kernel {
        let source = try String(contentsOfFile: path(name), encoding: .utf8)
        let syntax = try parseKernel(source, file: path(name))
        var overrides: [String: Int] = [:]
        for (i, parameter) in syntax.parameters.enumerated() {
            overrides[parameter.name] = min(parameter.defaultValue, 3 + (i * 5 + seed) % 7)
        }
        return try elaborate(syntax, overrides: overrides)
    }
}

@Test func everyKernelFileIsShipped() {
    let expected = ["batch_matmul", "blur3x3", "conv1d", "conv2d", "conv2d_1x1", "conv2d_bias_relu", "depthwise_conv2d",
                    "gemm", "layernorm", "norm", "softmax"]
    #expect(Set(expected).isSubset(of: Set(ShippedKernels.names)))
}

@Test(arguments: ShippedKernels.names)
func jitCompiledKernelEqualsTheInterpreter(name: String) throws {
    let compiler = try Compiler()
    for seed in 0..<3 {
        let kernel = try ShippedKernels.small(name, seed: seed)
        let compiled = try compiler.jit(try lower(kernel))
        let buffers = KernelBuffers(kernel: kernel, seed: UInt64(seed + 1))
        compiled.run(buffers.buffers)
        let verification = try verify(buffers, mode: .full)
        #expect(verification.comparison.passed, "\(name) seed \(seed): \(verification.comparison)")
        #expect(verification.isComplete)
    }
}
