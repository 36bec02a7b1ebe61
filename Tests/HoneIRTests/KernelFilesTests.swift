import Foundation
import Testing
@testable import HoneIR

// The example kernels in Kernels/: each parses, elaborates and validates at
// its defaults and with every parameter small.

/// The repository's Kernels/ directory (…/Tests/HoneIRTests/X.swift → ../../Kernels).
let kernelsDirectory: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Kernels").path

/// Every `.hone` file name in Kernels/, sorted.
let kernelFileNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: kernelsDirectory)) ?? [])
    .filter { $0.hasSuffix(".hone") }.sorted()

func kernelFilePath(_ name: String) -> String {
    kernelsDirectory + "/" + (name.hasSuffix(".hone") ? name : name + ".hone")
}

/// Overrides setting every parameter of a kernel file (a name like "gemm" or
/// a path) to `value`, or to its default when that is smaller. Every kernel
/// in Kernels/ is valid with each parameter anywhere in 2...8 up to its
/// default, so no kernel needs special values; window parameters (strides,
/// paddings, dilations, kernel sizes) keep their small defaults, since a
/// window larger than its padded input has no output.
func smallOverrides(for kernel: String, value: Int = 3) throws -> [String: Int] {
    let path = kernel.contains("/") ? kernel : kernelFilePath(kernel)
    let source = try String(contentsOfFile: path, encoding: .utf8)
    let syntax = try parseKernel(source, file: path)
    return Dictionary(uniqueKeysWithValues: syntax.parameters.map { ($0.name, min(value, $0.defaultValue)) })
}

/// The kernel file elaborated with every parameter set to `value`.
func smallKernel(_ name: String, value: Int = 3) throws -> Kernel {
    try Kernel.load(path: kernelFilePath(name), overrides: try smallOverrides(for: name, value: value))
}

@Test func theSuiteIsComplete() {
    let expected = ["batch_matmul", "blur3x3", "conv1d", "conv2d", "conv2d_1x1", "conv2d_bias_relu", "depthwise_conv2d",
                    "gemm", "layernorm", "norm", "softmax",
                    "conv2d_general", "conv3d", "grouped_conv2d", "conv2d_transpose", "conv2d_capsule",
                    "transpose_batch_matmul", "harris",
                    "conv2d_general_bias_relu", "max_pool2d", "add_relu", "global_avg_pool2d"]
    for name in expected {
        #expect(kernelFileNames.contains(name + ".hone"), "missing Kernels/\(name).hone")
    }
}

@Test(arguments: kernelFileNames)
func kernelFileElaboratesAtDefaults(_ file: String) throws {
    let kernel = try Kernel.load(path: kernelFilePath(file))
    try kernel.validate()
    #expect(kernel.name + ".hone" == file)
    #expect(!kernel.summary.isEmpty, "\(file) should open with a comment saying what it computes")
    #expect(kernel.stages.last?.name == kernel.output.name)
}

@Test(arguments: kernelFileNames)
func kernelFileStaysValidWithSmallParameters(_ file: String) throws {
    for value in 2...8 {
        let kernel = try smallKernel(file, value: value)
        try kernel.validate()
        let defaults = try Kernel.load(path: kernelFilePath(file)).parameters
        #expect(zip(kernel.parameters, defaults).allSatisfy { $0.value == min(value, $1.value) })
    }
    // Mixed small values too.
    let syntax = try parseKernel(try String(contentsOfFile: kernelFilePath(file), encoding: .utf8), file: file)
    let mixed = [2, 5, 3, 8, 4, 7, 6]
    for shift in 0..<mixed.count {
        var overrides: [String: Int] = [:]
        for (n, p) in syntax.parameters.enumerated() { overrides[p.name] = min(mixed[(n + shift) % mixed.count], p.defaultValue) }
        try Kernel.load(path: kernelFilePath(file), overrides: overrides).validate()
    }
}

@Test func gemmIsOneSumOverK() throws {
    let kernel = try Kernel.load(path: kernelFilePath("gemm"))
    #expect(kernel.parameters.map(\.value) == [1024, 1024, 1024])
    #expect(kernel.stages.count == 1)
    #expect(kernel.stages[0].reduction == Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: 1024)]))
    #expect(kernel.arguments.map(\.name) == ["A", "B", "C"])
    #expect(kernel.summary.hasPrefix("gemm: C = A * B"))
}

@Test func batchMatmulHasABatchDimension() throws {
    let kernel = try Kernel.load(path: kernelFilePath("batch_matmul"))
    #expect(kernel.output.shape == [4, 256, 256])
    #expect(kernel.stages[0].indexVariables == ["b", "i", "j"])
}

@Test func conv2dPadsThenConvolves() throws {
    let kernel = try Kernel.load(path: kernelFilePath("conv2d"))
    #expect(kernel.stages.map(\.name) == ["padded", "Y"])
    #expect(kernel.tensor(named: "X")?.shape == [1, 64, 56, 56])
    #expect(kernel.tensor(named: "padded")?.shape == [1, 64, 58, 58])
    #expect(kernel.output.shape == [1, 64, 56, 56])
    #expect(kernel.stages[1].reduction?.axes.map(\.extent) == [64, 3, 3])
    // The padding reads X only where the select holds; its indices are clamped
    // so that an eager evaluation of the select stays inside X.
    guard case .select(_, .load("X", let indices, _), .float(0, .f32)) = kernel.stages[0].value else {
        Issue.record("unexpected padding \(kernel.stages[0].value)")
        return
    }
    let h = Expr.binary(.sub, .indexVar("h"), .index(1))
    #expect(indices[2] == .binary(.max, .binary(.min, h, .index(55)), .index(0)))
}

@Test func conv2dBiasReluHasThreeStages() throws {
    let kernel = try Kernel.load(path: kernelFilePath("conv2d_bias_relu"))
    #expect(kernel.stages.map(\.name) == ["padded", "conv", "Y"])
    #expect(kernel.inputs.map(\.name) == ["X", "Wt", "bias"])
    #expect(kernel.stages[2].reduction == nil)
}

@Test func conv1dStrideShrinksTheOutput() throws {
    let kernel = try Kernel.load(path: kernelFilePath("conv1d"), overrides: ["S": 2])
    #expect(kernel.output.shape == [1, 128, 128])
    let unit = try Kernel.load(path: kernelFilePath("conv1d"))
    #expect(unit.output.shape == [1, 128, 256])
}

@Test func depthwiseConvReducesOverTheWindowOnly() throws {
    let kernel = try Kernel.load(path: kernelFilePath("depthwise_conv2d"))
    #expect(kernel.stages.map(\.name) == ["padded", "Y"])
    #expect(kernel.stages[1].reduction?.axes.map(\.name) == ["r", "s"])
}

@Test func blurIsTwoSeparablePasses() throws {
    let kernel = try Kernel.load(path: kernelFilePath("blur3x3"))
    #expect(kernel.stages.map(\.name) == ["blur_x", "blur_y"])
    #expect(kernel.tensor(named: "img")?.shape == [2048, 2048])
    #expect(kernel.output.shape == [2046, 2046])
}

@Test func softmaxStagesRunInOrder() throws {
    let kernel = try Kernel.load(path: kernelFilePath("softmax"))
    #expect(kernel.stages.map(\.name) == ["rowmax", "e", "rowsum", "Y"])
    #expect(kernel.stages[0].reduction?.op == .max)
    #expect(kernel.stages[2].reduction?.op == .sum)
}

@Test func layernormComputesMeanAndVariance() throws {
    let kernel = try Kernel.load(path: kernelFilePath("layernorm"))
    #expect(kernel.stages.map(\.name) == ["mean", "variance", "Y"])
    #expect(kernel.output.shape == [1024, 768])
}

@Test func normLiftsTheNestedSum() throws {
    let kernel = try Kernel.load(path: kernelFilePath("norm"))
    #expect(kernel.stages.map(\.name) == ["out_sum0", "out"])
    let lifted = kernel.stages[0]
    #expect(lifted.indexVariables.isEmpty)
    #expect(lifted.reduction?.axes.map(\.name) == ["i", "j"])
    #expect(kernel.tensor(named: "out_sum0") == TensorDecl(name: "out_sum0", role: .intermediate, type: .f32, shape: []))
    #expect(kernel.stages[1].value == .call(.sqrt, [.load("out_sum0", [], .f32)]))
    #expect(kernel.output.shape == [])
}

// MARK: The clamp contract

/// The value of an integer index expression at a point.
private func evaluateIndex(_ e: Expr, _ point: [String: Int64]) -> Int64? {
    switch e {
    case .int(let v, _): return v
    case .variable(let name, _): return point[name]
    case .unary(.neg, let a): return evaluateIndex(a, point).map { -$0 }
    case .binary(let op, let a, let b):
        guard let x = evaluateIndex(a, point), let y = evaluateIndex(b, point) else { return nil }
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return Interval.floorDiv(x, y)
        case .mod: return Interval.floorMod(x, y)
        case .min: return min(x, y)
        case .max: return max(x, y)
        default: return nil
        }
    default: return nil
    }
}

/// Every load in `e`, in every branch of every select.
private func loads(in e: Expr) -> [(String, [Expr])] {
    switch e {
    case .int, .float, .variable: return []
    case .load(let name, let indices, _): return [(name, indices)] + indices.flatMap(loads)
    case .unary(_, let a), .cast(_, let a): return loads(in: a)
    case .binary(_, let a, let b): return loads(in: a) + loads(in: b)
    case .call(_, let args): return args.flatMap(loads)
    case .select(let c, let a, let b): return loads(in: c) + loads(in: a) + loads(in: b)
    }
}

/// Evaluating both branches of every select eagerly, at every point of every
/// stage, never loads outside a tensor: what the code generator relies on.
@Test(arguments: kernelFileNames)
func eagerSelectsStayInBounds(_ file: String) throws {
    for value in [2, 3, 5] {
        let kernel = try smallKernel(file, value: value)
        for stage in kernel.stages {
            let tensor = try #require(kernel.tensor(named: stage.name))
            var axes = Array(zip(stage.indexVariables, tensor.shape))
            axes += (stage.reduction?.axes ?? []).map { ($0.name, $0.extent) }
            let accesses = loads(in: stage.value)
            let count = axes.reduce(1) { $0 * $1.1 }
            for flat in 0..<count {
                var point: [String: Int64] = [:]
                var rest = flat
                for (name, extent) in axes.reversed() {
                    point[name] = Int64(rest % extent)
                    rest /= extent
                }
                for (name, indices) in accesses {
                    let shape = try #require(kernel.tensor(named: name)).shape
                    for (d, index) in indices.enumerated() {
                        let v = try #require(evaluateIndex(index, point))
                        #expect((0..<Int64(shape[d])).contains(v), "\(file): \(stage.name) loads \(name) at \(v) in dimension \(d + 1)")
                    }
                }
            }
        }
    }
}

@Test func normComputesTheFrobeniusNorm() throws {
    let kernel = try Kernel.load(path: kernelFilePath("norm"), overrides: ["M": 2, "N": 3])
    let a: [Double] = [1, 2, 3, 4, 5, 6]
    let out = try Interpreter.evaluate(kernel, inputs: ["A": a])
    #expect(abs(out[0] - (91.0).squareRoot()) < 1e-5)
}

@Test func conv1dPaddingReadsZerosAtTheBorders() throws {
    let kernel = try Kernel.load(path: kernelFilePath("conv1d"), overrides: ["N": 1, "L": 4, "CI": 1, "CO": 1, "S": 1])
    let out = try Interpreter.evaluate(kernel, inputs: ["X": [1, 2, 3, 4], "Wt": [1, 10, 100]])
    // y[l] = x[l-1] + 10 x[l] + 100 x[l+1], zero outside.
    #expect(out == [210, 321, 432, 43])
}
