import Foundation
import HoneCodegen
import HoneIR

/// Seeded inputs for a kernel, in host buffers ready to pass to a compiled
/// kernel, plus the same values for the interpreter. The output buffer is last.
public struct KernelBuffers {
    public let kernel: Kernel
    public let seed: UInt64
    public let inputValues: [String: [Double]]
    /// One per argument, in calling order (inputs, then the output).
    public let buffers: [TensorBuffer]

    public init(kernel: Kernel, seed: UInt64 = 1) {
        self.kernel = kernel
        self.seed = seed
        inputValues = makeInputs(for: kernel, seed: seed)
        buffers = kernel.arguments.map { TensorBuffer(type: $0.type, shape: $0.shape) }
        for (tensor, buffer) in zip(kernel.arguments, buffers) where tensor.role == .input {
            buffer.fill(with: inputValues[tensor.name]!)
        }
    }

    public var output: TensorBuffer { buffers.last! }
}

/// How much of the output to check against the interpreter.
public enum CheckMode: Sendable, Hashable {
    /// Every element.
    case full
    /// A deterministic sample of this many elements (always including corners).
    case sampled(Int)
    /// Every element when the interpreter can afford it (about 50 million
    /// floating-point operations), else a sample of 1,000.
    case automatic

    /// The number of elements to sample, or nil for all of them.
    func sampleCount(for kernel: Kernel) -> Int? {
        switch self {
        case .full: return nil
        case .sampled(let n): return n
        case .automatic: return KernelCost(kernel).flops <= 50_000_000 ? nil : 1000
        }
    }
}

/// The outcome of checking a computed output against the interpreter.
public struct Verification: Sendable {
    public var comparison: Comparison
    public var checkedElements: Int
    public var totalElements: Int
    public var isComplete: Bool { checkedElements == totalElements }

    public var summary: String {
        let what = isComplete ? "all \(totalElements) output elements" : "\(checkedElements) of \(totalElements) output elements (sampled)"
        return "checked \(what) against the interpreter: max abs error \(format(comparison.maxAbsError)), "
            + "max rel error \(format(comparison.maxRelError)): \(comparison.passed ? "PASS" : "FAIL (\(comparison.mismatches) mismatches)")"
    }

    private func format(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.2e", x) }
}

/// Compares the output buffer (after the kernel has run) with the interpreter
/// on the same inputs.
public func verify(_ buffers: KernelBuffers, mode: CheckMode = .automatic) throws -> Verification {
    let interpreter = try Interpreter(kernel: buffers.kernel, inputs: buffers.inputValues)
    let output = buffers.output
    let samples = mode.sampleCount(for: buffers.kernel)
    let comparison = try interpreter.verifyOutput(actual: { output[flat: $0] }, sampleCount: samples, seed: buffers.seed)
    return Verification(comparison: comparison, checkedElements: comparison.count, totalElements: output.count)
}
