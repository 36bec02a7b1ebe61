import Foundation
import Testing
import HoneTestSupport

@Test func runVerifiesAndReportsSpeed() throws {
    let result = try hone("run", ShippedKernels.path("gemm"), "--set", "M=20,N=24,K=9", "--repeats", "2", "--min-repeat-ms", "1")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("PASS"))
    #expect(result.stdout.contains("FLOP/s"))
    #expect(result.stdout.contains("all 480 output elements"))
}

@Test func runSamplesLargeOutputsAndSaysSo() throws {
    let result = try hone("run", ShippedKernels.path("gemm"), "--set", "M=64,N=64,K=64", "--check", "100", "--repeats", "1", "--min-repeat-ms", "1")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("100 of 4096 output elements (sampled)"))
}

@Test(arguments: [("loops", "for i in 0..<5"), ("llvm", "define void @gemm("), ("llvm-opt", "define void @gemm("), ("asm", "gemm:")])
func irPrintsEachForm(form: String, marker: String) throws {
    let result = try hone("ir", ShippedKernels.path("gemm"), "--set", "M=5,N=6,K=7", "--emit", form)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains(marker))
}

@Test func syntaxErrorsNameFileLineAndColumnAndExitNonZero() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("broken.hone")
    try "kernel broken\ninput A: f32[4]\noutput B: f32[4]\nB[i] = A[i + ]\n".write(to: file, atomically: true, encoding: .utf8)
    let result = try hone("run", file.path)
    #expect(result.status == 1)
    #expect(result.stderr.contains("broken.hone:4:"), "\(result.stderr)")
    #expect(!result.stderr.contains("Backtrace") && !result.stderr.contains("Fatal error"))
}

@Test func unknownParameterOverrideIsAnError() throws {
    let result = try hone("run", ShippedKernels.path("gemm"), "--set", "Q=3")
    #expect(result.status == 1)
    #expect(result.stderr.contains("Q"), "\(result.stderr)")
}

@Test func missingKernelFileIsAnError() throws {
    let result = try hone("ir", "/nonexistent/kernel.hone")
    #expect(result.status == 1)
    #expect(result.stderr.contains("/nonexistent/kernel.hone"))
}

@Test func helpDescribesEverySubcommand() throws {
    let top = try hone("--help")
    for subcommand in ["run", "ir", "compile"] {
        #expect(top.stdout.contains(subcommand))
        let help = try hone(subcommand, "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("--set"))
        #expect(help.stdout.contains("--schedule"))
    }
}

/// Option values are parsed (once) into typed values: a bad one is a usage
/// error naming the option, before any work, without a backtrace.
@Test(arguments: [
    (["run", "--check", "most"], "--check"),
    (["run", "--set", "M"], "expected NAME=VALUE in 'M'"),
    (["run", "--threads", "0"], "--threads must be at least 1"),
    (["run", "--repeats", "0"], "--repeats must be at least 1"),
    (["tune", "--strategy", "greedy"], "'evolutionary', 'random', 'beam' or 'mcts'"),
    (["tune", "--time-budget", "5x"], "--time-budget"),
    (["tune", "--batch", "0"], "--batch must be at least 1"),
    (["measure", "--random", "1", "--records", "r.jsonl", "--inject", "meteor"], "unknown fault 'meteor'"),
])
func badOptionValuesAreUsageErrors(arguments: [String], message: String) throws {
    let result = try hone([arguments[0], ShippedKernels.path("gemm")] + arguments.dropFirst())
    #expect(result.status != 0 && result.status != 1, "a usage error, not a failed run: \(result.status)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(!result.stderr.contains("Backtrace") && !result.stderr.contains("Fatal error"))
}

@Test func runChecksWhatCheckAsks() throws {
    let full = try hone("run", ShippedKernels.path("gemm"), "--set", "M=64,N=64,K=64", "--check", "full", "--repeats", "1", "--min-repeat-ms", "1")
    #expect(full.status == 0, "\(full.stderr)")
    #expect(full.stdout.contains("all 4096 output elements"), "\(full.stdout)")
}
