import Testing
import HoneIR

private typealias K = InterpTestKernels

/// Sampled verification of full-size kernels: checks that lazy evaluation
/// touches only what the sample needs, and prints throughput (no timing
/// assertions: the figure depends on the build and the machine).
@Suite("Interpreter speed")
struct InterpreterSpeedTests {
    #if DEBUG
    static let samples = 200
    #else
    static let samples = 2000
    #endif

    private func measure(_ kernel: Kernel, label: String) throws -> Interpreter {
        let inputs = makeInputs(for: kernel, seed: 1)
        let interp = try Interpreter(kernel: kernel, inputs: inputs)
        let indices = sampleIndices(count: Self.samples, shape: kernel.tensors.first { $0.role == .output }!.shape, seed: 1)
        let clock = ContinuousClock()
        var sum = 0.0
        let elapsed = try clock.measure {
            for i in indices { sum += try interp.value(atFlat: i) }
        }
        #expect(sum.isFinite)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let nodes = kernel.stages.reduce(0) { total, stage in
            total + interp.computedElementCount(ofStage: stage.name)
                * (stage.reduction?.axes.reduce(1) { $0 * $1.extent } ?? 1) * K.nodeCount(stage.value)
        }
        print("interpreter \(label): \(indices.count) samples in \(Int(seconds * 1000)) ms = "
              + "\(Int(Double(indices.count) / seconds)) samples/s, \(Int(Double(nodes) / seconds / 1e6))M nodes/s, "
              + "\(Int(Double(interp.evaluatedPointCount) / seconds / 1e6))M points/s")
        return interp
    }

    @Test func gemm1024Sampled() throws {
        let interp = try measure(K.gemm(m: 1024, n: 1024, k: 1024), label: "gemm 1024^3")
        #expect(interp.computedElementCount(ofStage: "C") == Self.samples)
        #expect(interp.evaluatedPointCount == Self.samples * 1024)
    }

    @Test func conv2dSampled() throws {
        // 64 channels, 64 filters, 56x56, 3x3: the padding stage is computed
        // only around the sampled outputs.
        let interp = try measure(K.conv2d(channels: 64, filters: 64, size: 56), label: "conv2d 64x56x56 3x3x64")
        #expect(interp.computedElementCount(ofStage: "out") == Self.samples)
        #expect(interp.computedElementCount(ofStage: "pad") < 64 * 58 * 58)
    }

    @Test func softmaxRowsSampled() throws {
        let interp = try measure(K.softmax(rows: 1024, cols: 1024), label: "softmax 1024x1024")
        // Each sampled row costs one pass for mx, e and s; sampled rows are a subset.
        #expect(interp.computedElementCount(ofStage: "mx") <= Self.samples)
        #expect(interp.computedElementCount(ofStage: "e") == interp.computedElementCount(ofStage: "mx") * 1024)
    }
}
