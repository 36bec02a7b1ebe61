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

    enum Defaults: TimingDefaults { static let repeats = 5 }

    @OptionGroup var kernelOptions: KernelOptions
    @OptionGroup var scheduleOptions: ScheduleOptions
    @OptionGroup var timingOptions: TimingArguments<Defaults>

    @Option(help: "Seed for the random inputs.")
    var seed: UInt64 = 1

    @Option(help: "How much output to check: auto, full, or a number of sampled elements.")
    var check: CheckMode = .automatic

    func run() throws {
        try reportingErrors {
            let kernel = try kernelOptions.load()
            let cost = KernelCost(kernel)
            let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            print("\(kernel.name)  \(parameters)")
            print("  work:    \(formatCount(Double(cost.flops)))FLOP, \(formatCount(Double(cost.bytesMoved)))B moved (inputs read and output written once)")

            var compiled: CompiledKernel!
            let compileSeconds = try timeThrowing { compiled = try Compiler().jit(try scheduleOptions.lower(kernel)) }
            print("  compile: \(formatDuration(compileSeconds)) (lower, LLVM O3, machine code for \(HostTarget.host.cpu))")

            try scheduleOptions.threadOptions.applyToThisProcess()
            let buffers = KernelBuffers(kernel: kernel, seed: seed)
            compiled.run(buffers.buffers)
            let verification = try verify(buffers, mode: check)

            let arguments = buffers.buffers
            let timing = measure(timingOptions.options) { compiled.run(arguments) }
            let rate = Double(cost.flops) / timing.median
            print("  time:    median \(formatDuration(timing.median)), min \(formatDuration(timing.minimum)), spread \(String(format: "%.1f%%", timing.spread * 100)) (\(timing.samples.count) batches of \(timing.number))")
            print("  speed:   \(formatCount(rate))FLOP/s")
            print("  verify:  \(verification.summary)")
            if !verification.comparison.passed {
                printError("error: \(kernel.name) computed a wrong result: \(verification.comparison)")
                throw ExitCode.failure
            }
        }
    }
}

private func timeThrowing(_ body: () throws -> Void) throws -> Double {
    var failure: Error?
    let elapsed = seconds { do { try body() } catch { failure = error } }
    if let failure { throw failure }
    return elapsed
}
