// Hone's hand schedules against OpenBLAS, measured in the same run.
//
//   gemm 1024^3 fp32: Kernels/gemm.schedule.json vs cblas_sgemm
//   conv2d 1x64x56x56, 64 3x3 filters, pad 1: Kernels/conv2d.schedule.json
//     vs im2col (built here, timed) + cblas_sgemm
//   conv2d_1x1 1x64x56x56, 64 filters: Kernels/conv2d_1x1.schedule.json vs
//     cblas_sgemm (NCHW input is already the im2col matrix)
//   depthwise_conv2d 1x32x112x112 3x3: Kernels/depthwise_conv2d.schedule.json
//     vs im2col + one cblas_sgemv per channel
//
// Both sides use the same thread count (default: every core). The two are
// timed alternately, round after round, and the medians of the rounds are
// compared, so a noisy neighbour slows both alike. Outputs are checked
// against each other before timing.
import COpenBLAS
import Foundation
import Hone

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}
let threads = option("--threads", ProcessInfo.processInfo.activeProcessorCount)
let rounds = option("--rounds", 9)
try OpenMP.setThreadCount(threads)
openblas_set_num_threads(Int32(threads))

func load(_ name: String) throws -> (Kernel, CompiledKernel) {
    let kernel = try Kernel.load(path: repository.appendingPathComponent("Kernels/\(name).hone").path)
    let schedule = try Schedule.load(path: repository.appendingPathComponent("Kernels/\(name).schedule.json").path)
    return (kernel, try Compiler().jit(try lower(kernel, schedule: schedule)))
}

/// Seconds per run: the median of `rounds` rounds, each the median of a
/// short timing protocol; `bodies` are timed alternately within each round.
func alternate(_ bodies: [() -> Void]) -> [Double] {
    var perRound = Array(repeating: [Double](), count: bodies.count)
    let options = TimingOptions(warmupRuns: 1, repeats: 3, minRepeatSeconds: 0.05)
    for round in 0..<rounds {
        // Alternate which side goes first, so neither always follows the other.
        let order = round % 2 == 0 ? Array(bodies.indices) : bodies.indices.reversed()
        for i in order { perRound[i].append(measure(options, bodies[i]).median) }
    }
    return perRound.map { Timing(samples: $0, number: 1).median }
}

func maxRelativeDifference(_ a: TensorBuffer, _ b: UnsafePointer<Float>) -> Double {
    var scale = 0.0, worst = 0.0
    for i in 0..<a.count { scale = max(scale, abs(Double(b[i]))) }
    for i in 0..<a.count { worst = max(worst, abs(a[flat: i] - Double(b[i])) / scale) }
    return worst
}

func gflops(_ flops: Int, _ seconds: Double) -> String { String(format: "%.1f", Double(flops) / seconds / 1e9) }

print("# Hone hand schedules vs OpenBLAS (\(HostTarget.host.cpu), \(threads) threads, \(rounds) alternating rounds)")
print("command: make bench   (or Benchmarks/.build/release/bench-gemm --threads \(threads) --rounds \(rounds))\n")

// gemm
do {
    let (kernel, compiled) = try load("gemm")
    let buffers = KernelBuffers(kernel: kernel, seed: 1)
    let (m, k, n) = (kernel.tensor(named: "A")!.shape[0], kernel.tensor(named: "A")!.shape[1], kernel.tensor(named: "B")!.shape[1])
    let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
    defer { c.deallocate() }
    let a = buffers.buffers[0].pointer.assumingMemoryBound(to: Float.self)
    let b = buffers.buffers[1].pointer.assumingMemoryBound(to: Float.self)
    let sgemm = { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n)) }
    let hone = { compiled.run(buffers.buffers) }
    hone()
    sgemm()
    let difference = maxRelativeDifference(buffers.output, c)
    let verification = try verify(buffers, mode: .sampled(500))
    let flops = KernelCost(kernel).flops
    let times = alternate([hone, sgemm])
    print("## gemm \(m)x\(n)x\(k) fp32\n")
    print("| | median time | GFLOP/s |\n|---|---|---|")
    print("| Hone (Kernels/gemm.schedule.json) | \(formatMs(times[0])) | \(gflops(flops, times[0])) |")
    print("| OpenBLAS cblas_sgemm | \(formatMs(times[1])) | \(gflops(flops, times[1])) |")
    print(String(format: "\nHone / OpenBLAS: %.0f%%  (outputs differ by %.1e relative; %@)\n", times[1] / times[0] * 100, difference,
                 verification.comparison.passed ? "interpreter check PASS" : "interpreter check FAIL"))
}

/// The im2col matrix of channel `c`: row (r, s), column (y, x) holds
/// X[c, y + r - pad, x + s - pad] or 0 (stride 1, output as large as the input).
func im2col(_ input: UnsafePointer<Float>, channel c: Int, height: Int, width: Int, kh: Int, kw: Int, into rows: UnsafeMutablePointer<Float>) {
    let (columns, pad) = (height * width, kh / 2)
    for r in 0..<kh {
        for s in 0..<kw {
            let row = rows + (r * kw + s) * columns
            for yy in 0..<height {
                let iy = yy + r - pad
                for xx in 0..<width {
                    let ix = xx + s - pad
                    row[yy * width + xx] = iy >= 0 && iy < height && ix >= 0 && ix < width ? input[(c * height + iy) * width + ix] : 0
                }
            }
        }
    }
}

/// A convolution kernel of Kernels/ (NCHW, stride 1, "same" padding) with
/// its hand schedule, against OpenBLAS: im2col + one sgemm, or, for a
/// depthwise convolution (weights [C, kh, kw]), im2col + one sgemv per channel.
func convolution(_ name: String) throws {
    let (kernel, compiled) = try load(name)
    let buffers = KernelBuffers(kernel: kernel, seed: 1)
    let x = kernel.tensor(named: "X")!.shape, w = kernel.tensor(named: "Wt")!.shape
    let depthwise = w.count == 3
    let (channels, height, width) = (x[1], x[2], x[3])
    let filters = depthwise ? channels : w[0]
    let (kh, kw) = depthwise ? (w[1], w[2]) : w.count == 4 ? (w[2], w[3]) : (1, 1)
    let columns = height * width, patch = kh * kw
    let input = UnsafePointer(buffers.buffers[0].pointer.assumingMemoryBound(to: Float.self))
    let weights = buffers.buffers[1].pointer.assumingMemoryBound(to: Float.self)
    let pointwise = patch == 1
    let column = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 1 : channels * patch * columns)
    let output = UnsafeMutablePointer<Float>.allocate(capacity: filters * columns)
    defer { column.deallocate(); output.deallocate() }
    let lowered = pointwise ? input : UnsafePointer(column)
    let im2colAll = {
        if !pointwise { for c in 0..<channels { im2col(input, channel: c, height: height, width: width, kh: kh, kw: kw, into: column + c * patch * columns) } }
    }
    let blas = {
        if depthwise {
            for c in 0..<channels {
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(patch), Int32(columns), 1, lowered + c * patch * columns, Int32(columns),
                            weights + c * patch, 1, 0, output + c * columns, 1)
            }
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(filters), Int32(columns), Int32(channels * patch), 1,
                        weights, Int32(channels * patch), lowered, Int32(columns), 0, output, Int32(columns))
        }
    }
    let hone = { compiled.run(buffers.buffers) }
    hone()
    im2colAll()
    blas()
    let difference = maxRelativeDifference(buffers.output, output)
    let verification = try verify(buffers, mode: .sampled(500))
    let flops = KernelCost(kernel).flops
    let routine = depthwise ? "sgemv per channel" : "sgemm"
    let shape = "\(x.map(String.init).joined(separator: "x")), \(depthwise ? "depthwise" : "\(filters) filters") \(kh)x\(kw)"
    print("## \(name) \(shape)\(patch > 1 ? ", pad \(kh / 2)" : ""), fp32\n")
    print("| | median time | GFLOP/s |\n|---|---|---|")
    if pointwise {
        let times = alternate([hone, blas])
        print("| Hone (Kernels/\(name).schedule.json) | \(formatMs(times[0])) | \(gflops(flops, times[0])) |")
        print("| OpenBLAS sgemm (the NCHW input is the im2col matrix) | \(formatMs(times[1])) | \(gflops(flops, times[1])) |")
        print(String(format: "\nHone / OpenBLAS: %.0f%%", times[1] / times[0] * 100), terminator: "")
    } else {
        let times = alternate([hone, { im2colAll(); blas() }, im2colAll, blas])
        print("| Hone (Kernels/\(name).schedule.json) | \(formatMs(times[0])) | \(gflops(flops, times[0])) |")
        print("| im2col + OpenBLAS \(routine) | \(formatMs(times[1])) | \(gflops(flops, times[1])) |")
        print("| of which im2col | \(formatMs(times[2])) | |")
        print("| of which \(routine) | \(formatMs(times[3])) | \(gflops(flops, times[3])) |")
        print(String(format: "\nHone / (im2col + OpenBLAS): %.0f%%", times[1] / times[0] * 100), terminator: "")
    }
    print(String(format: "  (outputs differ by %.1e relative; %@)\n", difference,
                 verification.comparison.passed ? "interpreter check PASS" : "interpreter check FAIL"))
}

for name in ["conv2d", "conv2d_1x1", "depthwise_conv2d"] { try convolution(name) }

func formatMs(_ s: Double) -> String { String(format: "%.3f ms", s * 1e3) }
