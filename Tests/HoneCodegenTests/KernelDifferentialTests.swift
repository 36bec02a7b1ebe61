import Foundation
import Testing
@testable import Hone
import HoneTestSupport

@Test func everyKernelFileIsShipped() {
    let expected = ["batch_matmul", "blur3x3", "conv1d", "conv2d", "conv2d_1x1", "conv2d_bias_relu", "depthwise_conv2d",
                    "gemm", "layernorm", "norm", "softmax",
                    "conv2d_general", "conv3d", "grouped_conv2d", "conv2d_transpose", "conv2d_capsule",
                    "transpose_batch_matmul", "harris",
                    "conv2d_general_bias_relu", "max_pool2d", "add_relu", "global_avg_pool2d"]
    #expect(Set(expected).isSubset(of: Set(ShippedKernels.names)))
}

@Test(arguments: ShippedKernels.names)
func jitCompiledKernelEqualsTheInterpreter(name: String) throws {
    let compiler = try Compiler()
    for seed in 0..<3 {
        let kernel = try ShippedKernels.tiny(name, seed: seed)
        let compiled = try compiler.jit(try lower(kernel))
        let buffers = KernelBuffers(kernel: kernel, seed: UInt64(seed + 1))
        compiled.run(buffers.buffers)
        let verification = try verify(buffers, mode: .full)
        #expect(verification.comparison.passed, "\(name) seed \(seed): \(verification.comparison)")
        #expect(verification.isComplete)
    }
}

/// The window parameters the small variants above keep at their defaults
/// (strides, paddings, dilations, kernel sizes, groups), set as the operator
/// benchmark sets them, at small spatial sizes.
@Test(arguments: [
    ("conv1d", ["L": 9, "CI": 3, "CO": 4, "S": 2]),
    ("conv1d", ["L": 8, "CI": 3, "CO": 2, "S": 2, "K": 1, "P": 0]),
    ("conv1d", ["L": 7, "CI": 2, "CO": 3, "S": 1, "K": 5, "P": 2]),
    ("depthwise_conv2d", ["C": 3, "H": 9, "W": 8, "S": 2]),
    ("conv2d_general", ["C": 3, "H": 11, "W": 10, "F": 5, "KH": 7, "KW": 7, "S": 2, "P": 3]),
    ("conv2d_general", ["C": 4, "H": 7, "W": 9, "F": 3, "KH": 1, "KW": 1, "S": 2, "P": 0]),
    ("conv2d_general", ["C": 3, "H": 8, "W": 7, "F": 4, "KH": 3, "KW": 3, "S": 1, "P": 1, "D": 2]),
    ("conv2d_general_bias_relu", ["C": 3, "H": 11, "W": 10, "F": 5, "KH": 7, "KW": 7, "S": 2, "P": 3]),
    ("conv2d_general_bias_relu", ["C": 4, "H": 9, "W": 7, "F": 3, "S": 2]),
    ("max_pool2d", ["C": 3, "H": 11, "W": 10, "K": 3, "S": 2, "P": 1]),
    ("max_pool2d", ["C": 2, "H": 8, "W": 9, "K": 2, "S": 2, "P": 0]),
    ("conv3d", ["C": 2, "DI": 5, "H": 7, "W": 6, "F": 3, "K": 3, "S": 2, "P": 1]),
    ("conv3d", ["C": 3, "DI": 4, "H": 5, "W": 5, "F": 2, "K": 1, "S": 2, "P": 0]),
    ("grouped_conv2d", ["G": 3, "CG": 2, "H": 7, "W": 8, "FG": 3, "S": 2]),
    ("conv2d_transpose", ["C": 3, "H": 4, "W": 3, "F": 5, "K": 4, "S": 2, "P": 1]),
    ("conv2d_transpose", ["C": 2, "H": 3, "W": 4, "F": 3, "K": 3, "S": 3, "P": 2]),
    ("conv2d_capsule", ["H": 7, "W": 6, "CI": 3, "CO": 2, "K": 3, "S": 2, "P": 1, "CAP": 3]),
    ("conv2d_capsule", ["H": 5, "W": 5, "CI": 2, "CO": 3, "K": 3, "S": 1, "P": 1, "CAP": 2]),
])
func windowParametersCompileToWhatTheInterpreterComputes(name: String, overrides: [String: Int]) throws {
    let kernel = try Kernel.load(path: ShippedKernels.path(name), overrides: overrides)
    let compiled = try Compiler().jit(try lower(kernel))
    let buffers = KernelBuffers(kernel: kernel, seed: 7)
    buffers.output.fill(with: Array(repeating: .nan, count: buffers.output.count))
    compiled.run(buffers.buffers)
    let verification = try verify(buffers, mode: .full)
    #expect(verification.comparison.passed && verification.isComplete, "\(name) \(overrides): \(verification.comparison)")
}

/// The transposed convolution as it was first written here (and as
/// frameworks define it): a direct convolution of the input dilated by S
/// and padded by K - 1 - P, with the window flipped. The shipped sub-pixel
/// form must compute the same, whether S divides K or not.
private let transposedByDilation = """
    kernel conv2d_transpose
    param N = 1, C = 16, H = 8, W = 8, F = 16, K = 4, S = 2, P = 1
    input  X: f32[N, C, H, W]
    input  Wt: f32[C, F, K, K]
    stage  dilated: f32[N, C, (H - 1) * S + 2 * K - 1 - 2 * P, (W - 1) * S + 2 * K - 1 - 2 * P]
    output Y: f32[N, F, (H - 1) * S + K - 2 * P, (W - 1) * S + K - 2 * P]
    dilated[n, c, h, w] = select(h >= K - 1 - P && h <= K - 1 - P + (H - 1) * S && (h - (K - 1 - P)) % S == 0 &&
                                 w >= K - 1 - P && w <= K - 1 - P + (W - 1) * S && (w - (K - 1 - P)) % S == 0,
                                 X[n, c, (h - (K - 1 - P)) / S, (w - (K - 1 - P)) / S], 0.0)
    Y[n, f, y, x] = sum(c < C, r < K, s < K) dilated[n, c, y + r, x + s] * Wt[c, f, K - 1 - r, K - 1 - s]
    """

@Test(arguments: [
    ["C": 3, "H": 4, "W": 3, "F": 5, "K": 4, "S": 2, "P": 1],
    ["C": 2, "H": 3, "W": 4, "F": 3, "K": 3, "S": 3, "P": 2],
    ["C": 2, "H": 5, "W": 4, "F": 2, "K": 3, "S": 2, "P": 1],
    ["C": 2, "H": 4, "W": 3, "F": 3, "K": 5, "S": 3, "P": 0],
    ["C": 2, "H": 3, "W": 3, "F": 2, "K": 2, "S": 3, "P": 1],
    ["C": 3, "H": 4, "W": 5, "F": 2, "K": 3, "S": 1, "P": 1],
])
func theSubPixelTransposedConvolutionIsTheDilatedOne(overrides: [String: Int]) throws {
    let shipped = try Kernel.load(path: ShippedKernels.path("conv2d_transpose"), overrides: overrides)
    let dilated = try elaborate(try parseKernel(transposedByDilation, file: "dilation.hone"), overrides: overrides)
    #expect(shipped.output.shape == dilated.output.shape)
    var rng = SplitMix64(seed: 5)
    var inputs: [String: [Double]] = [:]
    for input in shipped.inputs { inputs[input.name] = (0..<input.elementCount).map { _ in Double(rng.next(below: 2001)) / 1000 - 1 } }
    let expected = try Interpreter.evaluate(dilated, inputs: inputs)
    let computed = try Interpreter.evaluate(shipped, inputs: inputs)
    #expect(zip(expected, computed).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }, "\(overrides)")
}
