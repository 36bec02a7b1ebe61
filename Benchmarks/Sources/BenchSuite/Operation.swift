import Hone

/// What a suite kernel computes, in the terms the libraries take: read from
/// the kernel's name and parameters (the kernel files in Kernels/ define the
/// meaning of each parameter).
enum Operation {
    /// C[b] = A[b] B[b], row-major, b < batch.
    case matmul(batch: Int, m: Int, n: Int, k: Int)
    /// scores[h] = query_h key_h^T with query and key [L, NH, DH] (one batch).
    case transposedHeadsMatmul(heads: Int, length: Int, headSize: Int)
    case convolution(Convolution)
    case softmax(rows: Int, columns: Int)
    case layerNorm(rows: Int, columns: Int)
    /// The Frobenius norm of `count` elements.
    case norm(count: Int)
    case pooling(Pooling)
    /// max(A + B, 0) elementwise over NCHW tensors of `shape`.
    case addRelu(shape: [Int])

    init(_ kernel: Kernel) throws {
        var p: [String: Int] = [:]
        for parameter in kernel.parameters { p[parameter.name] = parameter.value }
        func v(_ name: String) throws -> Int {
            guard let value = p[name] else { throw HoneError("kernel \(kernel.name) has no parameter \(name)") }
            return value
        }
        switch kernel.name {
        case "gemm": self = .matmul(batch: 1, m: try v("M"), n: try v("N"), k: try v("K"))
        case "batch_matmul": self = .matmul(batch: try v("BATCH"), m: try v("M"), n: try v("N"), k: try v("K"))
        case "transpose_batch_matmul":
            guard try v("B") == 1 else { throw HoneError("the baselines of transpose_batch_matmul take batch 1") }
            self = .transposedHeadsMatmul(heads: try v("NH"), length: try v("L"), headSize: try v("DH"))
        case "softmax": self = .softmax(rows: try v("M"), columns: try v("N"))
        case "layernorm": self = .layerNorm(rows: try v("M"), columns: try v("N"))
        case "norm": self = .norm(count: try v("M") * v("N"))
        case "conv1d":
            self = .convolution(Convolution(batch: try v("N"), channels: try v("CI"), filters: try v("CO"), input: [try v("L")],
                                            window: [try v("K")], stride: try v("S"), padding: try v("P")))
        case "conv2d_1x1":
            self = .convolution(Convolution(batch: try v("N"), channels: try v("C"), filters: try v("F"), input: [try v("H"), try v("W")],
                                            window: [1, 1], stride: 1, padding: 0))
        case "conv2d", "conv2d_bias_relu":
            self = .convolution(Convolution(batch: try v("N"), channels: try v("C"), filters: try v("F"), input: [try v("H"), try v("W")],
                                            window: [3, 3], stride: 1, padding: 1, biasRelu: kernel.name == "conv2d_bias_relu"))
        case "conv2d_general", "conv2d_general_bias_relu":
            self = .convolution(Convolution(batch: try v("N"), channels: try v("C"), filters: try v("F"), input: [try v("H"), try v("W")],
                                            window: [try v("KH"), try v("KW")], stride: try v("S"), padding: try v("P"), dilation: try v("D"),
                                            biasRelu: kernel.name == "conv2d_general_bias_relu"))
        case "max_pool2d":
            let k = try v("K")
            self = .pooling(Pooling(batch: try v("N"), channels: try v("C"), input: [try v("H"), try v("W")], window: [k, k],
                                    stride: try v("S"), padding: try v("P"), average: false))
        case "global_avg_pool2d":
            let (h, w) = (try v("H"), try v("W"))
            self = .pooling(Pooling(batch: try v("N"), channels: try v("C"), input: [h, w], window: [h, w], stride: 1, padding: 0, average: true))
        case "add_relu":
            self = .addRelu(shape: [try v("N"), try v("C"), try v("H"), try v("W")])
        case "conv3d":
            let k = try v("K")
            self = .convolution(Convolution(batch: try v("N"), channels: try v("C"), filters: try v("F"), input: [try v("DI"), try v("H"), try v("W")],
                                            window: [k, k, k], stride: try v("S"), padding: try v("P")))
        case "grouped_conv2d":
            let (g, k) = (try v("G"), try v("K"))
            self = .convolution(Convolution(batch: try v("N"), channels: g * (try v("CG")), filters: g * (try v("FG")), input: [try v("H"), try v("W")],
                                            window: [k, k], stride: try v("S"), padding: try v("P"), groups: g))
        case "depthwise_conv2d":
            let c = try v("C")
            self = .convolution(Convolution(batch: try v("N"), channels: c, filters: c, input: [try v("H"), try v("W")],
                                            window: [3, 3], stride: try v("S"), padding: 1, groups: c))
        case "conv2d_transpose":
            let k = try v("K")
            self = .convolution(Convolution(batch: try v("N"), channels: try v("C"), filters: try v("F"), input: [try v("H"), try v("W")],
                                            window: [k, k], stride: try v("S"), padding: try v("P"), transposed: true))
        default:
            throw HoneError("no library computes kernel \(kernel.name); list no baselines for it in the suite")
        }
    }
}

/// The baselines that apply to what `kernel` computes (none when no library
/// computes it): what a network's task is timed against.
public func applicableBaselines(_ kernel: Kernel) -> [BaselineKind] {
    guard let operation = try? Operation(kernel) else { return [] }
    switch operation {
    case .matmul, .transposedHeadsMatmul: return [.openblas, .dnnlSgemm]
    case .convolution(let conv): return conv.isDepthwise ? [.dnnl] : [.openblas, .dnnl]
    case .norm: return [.openblas, .dnnl]
    case .softmax, .layerNorm, .pooling, .addRelu: return [.dnnl]
    }
}

/// The FLOPs a row is credited with: the kernel's own count (`KernelCost`),
/// except for transposed convolutions, whose kernel also multiplies the
/// zeros of its dilated input (S^2 times the work): there, 2 C F K^2 H W
/// per image, the multiply-adds the libraries do.
public func creditedFlops(_ kernel: Kernel) -> Int {
    if let operation = try? Operation(kernel), case .convolution(let conv) = operation, conv.transposed {
        return 2 * conv.batch * conv.channels * conv.filters * conv.windowSize * conv.input.reduce(1, *)
    }
    return KernelCost(kernel).flops
}

/// A convolution as the libraries describe it: batch, channels and filters,
/// the spatial input sizes (1 to 3 axes), the window, and the same stride,
/// padding and dilation on every axis. Dilation counts as in the kernels
/// (1 = dense). Weights are [F, C/G, window...] (a transposed convolution:
/// [C, F, window...]), inputs and outputs NC + spatial.
struct Convolution {
    var batch: Int
    var channels: Int
    var filters: Int
    var input: [Int]
    var window: [Int]
    var stride: Int
    var padding: Int
    var dilation = 1
    var groups = 1
    var transposed = false
    /// Followed by a per-filter bias (the third input) and ReLU.
    var biasRelu = false

    var output: [Int] {
        zip(input, window).map { size, k in
            transposed ? (size - 1) * stride - 2 * padding + k : (size + 2 * padding - dilation * (k - 1) - 1) / stride + 1
        }
    }

    var inputCount: Int { batch * channels * input.reduce(1, *) }
    var outputCount: Int { batch * filters * output.reduce(1, *) }
    var windowSize: Int { window.reduce(1, *) }
    var isDepthwise: Bool { groups > 1 && groups == channels && groups == filters }
}


/// Max or average pooling over NC + spatial tensors, the same window,
/// stride and zero padding on every axis (padded points never win a max;
/// an average divides by the whole window, which no padding reaches here).
struct Pooling {
    var batch: Int
    var channels: Int
    var input: [Int]
    var window: [Int]
    var stride: Int
    var padding: Int
    var average: Bool

    var output: [Int] { zip(input, window).map { size, k in (size + 2 * padding - k) / stride + 1 } }
    var outputCount: Int { batch * channels * output.reduce(1, *) }
}
