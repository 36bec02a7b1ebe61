import ArgumentParser
import Foundation
import Hone

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compile a kernel, run it, verify it and time it.",
        discussion: """
            Inputs are seeded random values in [-1, 1). The output is checked against the \
            reference interpreter: in full when that is affordable, otherwise on a sample \
            of elements (the report says which). Exits with status 1 when the check fails.
            Example: hone run Kernels/gemm.hone --set M=512,N=512,K=512
            """)

    @OptionGroup var kernelOptions: KernelOptions
    @OptionGroup var scheduleOptions: ScheduleOptions

    @Option(help: "Seed for the random inputs.")
    var seed: UInt64 = 1

    @Option(help: "Timed batches; the median and the minimum are reported.")
    var repeats: Int = 5

    @Option(help: "Each timed batch repeats the kernel until it lasts this long.")
    var minRepeatMs: Double = 100

    @Flag(help: "Evict the caches before every timed run.")
    var flushCache = false

    @Option(help: "How much output to check: auto, full, or a number of sampled elements.")
    var check: String = "auto"

    func run() throws {
        try reportingErrors {
            let kernel = try kernelOptions.load()
            let mode = try checkMode()
            let cost = KernelCost(kernel)
            let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            print("\(kernel.name)  \(parameters)")
            print("  work:    \(formatCount(Double(cost.flops)))FLOP, \(formatCount(Double(cost.bytesMoved)))B moved (inputs read and output written once)")

            var compiled: CompiledKernel!
            let compileSeconds = try timeThrowing { compiled = try Compiler().jit(try scheduleOptions.lower(kernel)) }
            print("  compile: \(formatSeconds(compileSeconds)) (lower, LLVM O3, machine code for \(HostTarget.host.cpu))")

            let buffers = KernelBuffers(kernel: kernel, seed: seed)
            compiled.run(buffers.buffers)
            let verification = try verify(buffers, mode: mode)

            let options = TimingOptions(repeats: repeats, minRepeatSeconds: minRepeatMs / 1000, flushCache: flushCache)
            let arguments = buffers.buffers
            let timing = measure(options) { compiled.run(arguments) }
            let rate = Double(cost.flops) / timing.median
            print("  time:    median \(formatSeconds(timing.median)), min \(formatSeconds(timing.minimum)), spread \(String(format: "%.1f%%", timing.spread * 100)) (\(timing.samples.count) batches of \(timing.number))")
            print("  speed:   \(formatCount(rate))FLOP/s")
            print("  verify:  \(verification.summary)")
            if !verification.comparison.passed {
                printError("error: \(kernel.name) computed a wrong result: \(verification.comparison)")
                throw ExitCode.failure
            }
        }
    }

    private func checkMode() throws -> CheckMode {
        switch check {
        case "auto": return .automatic
        case "full": return .full
        default:
            guard let n = Int(check), n > 0 else {
                throw HoneError("--check expects auto, full or a positive number of elements, got '\(check)'")
            }
            return .sampled(n)
        }
    }
}

private func timeThrowing(_ body: () throws -> Void) throws -> Double {
    var failure: Error?
    let elapsed = seconds { do { try body() } catch { failure = error } }
    if let failure { throw failure }
    return elapsed
}

/// 1234567 -> "1.23 M" (SI prefixes, for FLOP and bytes).
func formatCount(_ x: Double) -> String {
    let units = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, prefix) in units where x >= scale { return String(format: "%.3g ", x / scale) + prefix }
    return String(format: "%.3g ", x)
}

func formatSeconds(_ s: Double) -> String {
    if s >= 1 { return String(format: "%.3f s", s) }
    if s >= 1e-3 { return String(format: "%.3f ms", s * 1e3) }
    return String(format: "%.2f us", s * 1e6)
}
