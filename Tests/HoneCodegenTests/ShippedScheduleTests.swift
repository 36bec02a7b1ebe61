import Foundation
import Testing
@testable import Hone
import HoneTestSupport

// The hand-written schedules shipped beside their kernels (Kernels/NAME.schedule.json)
// compute what the interpreter computes, at sizes with full vectors and tails.

extension ShippedKernels {
    /// Kernels that ship a hand-written schedule.
    static var scheduled: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".schedule.json") }.map { String($0.dropLast(".schedule.json".count)) }.sorted()
    }

    /// Each parameter between 17 and 40 (at most its default), so 16-wide
    /// vectors run full and with a tail, and no two dimensions coincide.
    static func medium(_ name: String) throws -> Kernel {
        let syntax = try parseKernel(try String(contentsOfFile: path(name), encoding: .utf8), file: path(name))
        var overrides: [String: Int] = [:]
        for (i, parameter) in syntax.parameters.enumerated() {
            overrides[parameter.name] = min(parameter.defaultValue, 17 + (i * 5) % 24)
        }
        return try elaborate(syntax, overrides: overrides)
    }
}

@Test func theShippedSchedulesAreFound() {
    #expect(Set(["gemm", "conv2d", "softmax"]).isSubset(of: Set(ShippedKernels.scheduled)))
}

@Test(arguments: ShippedKernels.scheduled)
func shippedScheduleEqualsTheInterpreter(name: String) throws {
    let kernel = try ShippedKernels.medium(name)
    let schedule = try Schedule.load(path: ShippedKernels.directory.appendingPathComponent("\(name).schedule.json").path)
    let compiled = try Compiler().jit(try lower(kernel, schedule: schedule))
    let buffers = KernelBuffers(kernel: kernel, seed: 3)
    // NaN in every output element, so one the schedule never writes fails.
    buffers.output.fill(with: [Double](repeating: .nan, count: kernel.output.elementCount))
    compiled.run(buffers.buffers)
    let verification = try verify(buffers, mode: .full)
    #expect(verification.comparison.passed, "\(name): \(verification.comparison)")
}
