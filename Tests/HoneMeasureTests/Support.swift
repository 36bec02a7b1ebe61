import Foundation
import Testing
@testable import Hone

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func kernelPath(_ name: String) -> String { repositoryRoot.appendingPathComponent("Kernels/\(name).hone").path }

/// The `hone` executable built beside the test bundle.
func honeExecutable() throws -> URL {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [products, products.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("hone")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    let fallback = repositoryRoot.appendingPathComponent(".build/debug/hone")
    try #require(FileManager.default.isExecutableFile(atPath: fallback.path), "build the hone executable first (make test does)")
    return fallback
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hone-measure-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `hone` to completion, capturing its output.
func hone(_ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = try honeExecutable()
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

let smallGemmSource = """
    # a small gemm for measurement tests
    kernel gemm
    param M = 12, N = 16, K = 8
    input  A: f32[M, K]
    input  B: f32[K, N]
    output C: f32[M, N]
    C[i, j] = sum(k < K) A[i, k] * B[k, j]
    """

/// Fast timing for tests: a short protocol.
let quickTiming = TimingOptions(warmupRuns: 1, repeats: 2, minRepeatSeconds: 0.001)
