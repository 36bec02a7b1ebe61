// Checks every baseline of the suite against Hone's reference interpreter
// on small shapes: each library call (OpenBLAS, oneDNN in the kernel's
// layout and in its own, Halide's blur3x3 and harris) must compute what the
// kernel file defines, with the suite's strides, paddings, dilations and
// groups. `make bench-check` runs it; `make test` does not (it needs
// OpenBLAS and oneDNN; the Halide baselines are skipped, saying why, when
// `make bench-halide` could not build them). It also
// checks that every row of Benchmarks/suite.tsv loads and builds its baselines.
import BenchSuite
import Foundation
import Hone

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let halideKinds: [BaselineKind] = [.halideManual, .halideMullapudi2016, .halideAdams2019]

/// Kernel, small overrides, baselines: the suite's operators at sizes the
/// interpreter checks in full in a moment.
let cases: [(String, [String: Int], [BaselineKind])] = [
    ("gemm", ["M": 13, "N": 17, "K": 9], [.openblas, .dnnlSgemm]),
    ("gemm", ["M": 13, "N": 1, "K": 9], [.openblas, .dnnlSgemm]),  // a matrix-vector product: sgemv too
    ("batch_matmul", ["BATCH": 3, "M": 7, "N": 5, "K": 6], [.openblas, .dnnlSgemm]),
    ("transpose_batch_matmul", ["B": 1, "L": 9, "NH": 3, "DH": 5], [.openblas, .dnnlSgemm]),
    ("conv1d", ["N": 1, "L": 19, "CI": 5, "CO": 7, "S": 2, "K": 3, "P": 1], [.openblas, .dnnl]),
    ("conv1d", ["N": 1, "L": 16, "CI": 6, "CO": 4, "S": 2, "K": 1, "P": 0], [.openblas, .dnnl]),
    ("conv1d", ["N": 1, "L": 12, "CI": 8, "CO": 5, "S": 1, "K": 5, "P": 2], [.openblas, .dnnl]),
    ("conv2d", ["N": 1, "C": 16, "H": 9, "W": 7, "F": 8], [.openblas, .dnnl]),
    ("conv2d_general", ["N": 1, "C": 3, "H": 19, "W": 17, "F": 16, "KH": 7, "KW": 7, "S": 2, "P": 3, "D": 1], [.openblas, .dnnl]),
    ("conv2d_general", ["N": 1, "C": 16, "H": 8, "W": 9, "F": 16, "KH": 1, "KW": 1, "S": 1, "P": 0, "D": 1], [.openblas, .dnnl]),
    ("conv2d_general", ["N": 1, "C": 8, "H": 11, "W": 10, "F": 16, "KH": 3, "KW": 3, "S": 1, "P": 1, "D": 2], [.openblas, .dnnl]),
    ("conv2d_general", ["N": 1, "C": 3, "H": 23, "W": 21, "F": 8, "KH": 7, "KW": 7, "S": 2, "P": 3, "D": 2], [.openblas, .dnnl]),
    ("conv3d", ["N": 1, "C": 4, "DI": 6, "H": 7, "W": 8, "F": 16, "K": 3, "S": 1, "P": 1], [.openblas, .dnnl]),
    ("conv3d", ["N": 1, "C": 3, "DI": 9, "H": 11, "W": 10, "F": 8, "K": 7, "S": 2, "P": 3], [.openblas, .dnnl]),
    ("conv3d", ["N": 1, "C": 16, "DI": 4, "H": 5, "W": 6, "F": 16, "K": 1, "S": 1, "P": 0], [.openblas, .dnnl]),
    ("grouped_conv2d", ["N": 1, "G": 4, "CG": 4, "H": 11, "W": 9, "FG": 8, "K": 3, "S": 2, "P": 1], [.openblas, .dnnl]),
    ("grouped_conv2d", ["N": 1, "G": 4, "CG": 8, "H": 7, "W": 7, "FG": 8, "K": 3, "S": 1, "P": 1], [.openblas, .dnnl]),
    ("depthwise_conv2d", ["N": 1, "C": 16, "H": 12, "W": 11, "S": 2], [.dnnl]),
    ("depthwise_conv2d", ["N": 1, "C": 32, "H": 7, "W": 7, "S": 1], [.dnnl]),
    ("conv2d_transpose", ["N": 1, "C": 16, "H": 4, "W": 5, "F": 8, "K": 4, "S": 2, "P": 1], [.openblas, .dnnl]),
    ("conv2d_transpose", ["N": 1, "C": 8, "H": 6, "W": 6, "F": 3, "K": 4, "S": 2, "P": 1], [.openblas, .dnnl]),
    ("conv2d_bias_relu", ["N": 1, "C": 16, "H": 9, "W": 8, "F": 16], [.openblas, .dnnl]),
    ("softmax", ["M": 7, "N": 37], [.dnnl]),
    ("layernorm", ["M": 6, "N": 40], [.dnnl]),
    ("norm", ["M": 13, "N": 29], [.openblas, .dnnl]),
    // The networks' operators (Networks/*.network).
    ("conv2d_general_bias_relu", ["N": 1, "C": 3, "H": 19, "W": 17, "F": 8, "KH": 7, "KW": 7, "S": 2, "P": 3, "D": 1], [.openblas, .dnnl]),
    ("conv2d_general_bias_relu", ["N": 1, "C": 8, "H": 10, "W": 9, "F": 16, "KH": 3, "KW": 3, "S": 2, "P": 1, "D": 1], [.openblas, .dnnl]),
    ("conv2d_1x1", ["N": 1, "C": 12, "H": 7, "W": 9, "F": 8], [.openblas, .dnnl]),
    ("max_pool2d", ["N": 1, "C": 5, "H": 11, "W": 10, "K": 3, "S": 2, "P": 1], [.dnnl]),
    ("global_avg_pool2d", ["N": 1, "C": 9, "H": 7, "W": 6], [.dnnl]),
    ("add_relu", ["N": 1, "C": 4, "H": 5, "W": 7], [.dnnl]),
    // The image pipelines against Halide (built by make bench-halide). An
    // autoscheduled Halide schedule shifts its last tile inwards rather
    // than guard it, so it needs an output at least one tile large
    // (Mullapudi2016's blur: 256 x 256; Adams2019's: 1024 columns): these
    // are the smallest round shapes all three variants accept, odd, so
    // vectors and tiles have tails.
    ("blur3x3", ["H": 261, "W": 1031], halideKinds),
    ("harris", ["H": 261, "W": 301], halideKinds),
]

do {
    try configureThreads(ProcessInfo.processInfo.activeProcessorCount)
    var checked = 0, failed = 0, skipped = 0
    for (name, overrides, kinds) in cases {
        let kernel = try Kernel.load(path: repository.appendingPathComponent("Kernels/\(name).hone").path, overrides: overrides)
        let buffers = KernelBuffers(kernel: kernel, seed: 3)
        let interpreter = try Interpreter(kernel: kernel, inputs: buffers.inputValues)
        let shape = overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let baselines: [Baseline]
        do {
            baselines = try makeBaselines(kinds, for: kernel, inputs: Array(buffers.buffers.dropLast()))
        } catch let unavailable as HalideUnavailable {
            skipped += kinds.count
            print("SKIP \(name) \(shape): \(unavailable)")
            continue
        }
        for baseline in baselines {
            baseline.run()
            let output = baseline.output()
            let comparison = try interpreter.verifyOutput(actual: { Double(output[$0]) })
            checked += 1
            if !comparison.passed { failed += 1 }
            print("\(comparison.passed ? "PASS" : "FAIL") \(name) \(shape): \(baseline.name): \(comparison)")
        }
    }
    print("\(checked) baselines checked against the interpreter, \(failed) failed\(skipped > 0 ? ", \(skipped) skipped" : "")")
    if let threads = halideThreadCount() { print("Halide's thread pool: \(threads) threads") }

    // Every row of the suite: its kernel loads at its parameters and the
    // baselines it names build (on zero inputs; nothing is timed).
    let rows = try loadSuite(path: repository.appendingPathComponent("Benchmarks/suite.tsv").path)
    var badRows = 0
    for row in rows {
        do {
            let kernel = try Kernel.load(path: repository.appendingPathComponent("Kernels/\(row.kernel).hone").path, overrides: row.overrides)
            let inputs = kernel.inputs.map { TensorBuffer(type: $0.type, shape: $0.shape) }
            let baselines = try makeBaselines(row.baselines, for: kernel, inputs: inputs)
            print("ROW \(row.id) \(row.kernel) \(row.setArgument): \(baselines.map(\.name).joined(separator: "; "))")
        } catch let unavailable as HalideUnavailable {
            print("ROW \(row.id) \(row.kernel) \(row.setArgument): \(unavailable)")
        } catch {
            badRows += 1
            print("BAD ROW \(row.id): \(error)")
        }
    }
    print("\(rows.count) suite rows, \(badRows) bad")

    // Every task of the shipped networks: its kernel maps to the baselines
    // bench-network times it against (or is listed as having none).
    let networks = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("Networks").path)
        .filter { $0.hasSuffix(".network") }.sorted()
    for file in networks {
        let network = try Network.load(path: repository.appendingPathComponent("Networks/\(file)").path)
        for task in network.tasks {
            let kinds = applicableBaselines(task.kernel)
            do {
                let inputs = task.kernel.inputs.map { TensorBuffer(type: $0.type, shape: $0.shape) }
                let baselines = try makeBaselines(kinds, for: task.kernel, inputs: inputs)
                print("TASK \(network.name)/\(task.label): \(baselines.isEmpty ? "no baseline" : baselines.map(\.name).joined(separator: "; "))")
            } catch {
                badRows += 1
                print("BAD TASK \(network.name)/\(task.label): \(error)")
            }
        }
    }
    exit(failed == 0 && badRows == 0 ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("bench-check: \(error)\n".utf8))
    exit(1)
}
