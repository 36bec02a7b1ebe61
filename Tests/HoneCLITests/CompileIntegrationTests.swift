import Foundation
import Testing
@testable import Hone
import HoneTestSupport

@Test(arguments: [
    ("gemm", "M=7,N=5,K=3"),
    ("conv2d_bias_relu", "N=1,C=3,H=6,W=5,F=4"),
    ("softmax", "M=3,N=9"),
])
func compiledObjectLinksWithCAndMatchesTheInterpreter(name: String, overrides: String) throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let kernel = try Kernel.load(path: ShippedKernels.path(name), overrides: try parseParameterOverrides(overrides))

    let compile = try hone("compile", ShippedKernels.path(name), "--set", overrides, "-o", directory.appendingPathComponent("\(name).o").path)
    try #require(compile.status == 0, "hone compile failed: \(compile.stderr)")
    let header = try String(contentsOf: directory.appendingPathComponent("\(name).h"), encoding: .utf8)
    #expect(header.contains("void \(name)("))

    let comparison = try runCDriver(kernel, object: "\(name).o", in: directory, seed: 7)
    #expect(comparison.passed, "max abs error \(comparison.maxAbsError)")
}
