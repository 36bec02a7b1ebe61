import Foundation
import Testing
@testable import Hone

/// The hand-written schedules shipped next to their kernels
/// (`Kernels/NAME.schedule.json`) compute what the interpreter computes, on
/// shapes small enough to check every element and with tails in every tile.
@Suite struct HandScheduleTests {
    static var scheduled: [String] {
        ShippedKernels.names.filter { FileManager.default.fileExists(atPath: schedulePath($0)) }
    }

    static func schedulePath(_ name: String) -> String {
        ShippedKernels.directory.appendingPathComponent("\(name).schedule.json").path
    }

    @Test func theConvolutionsHaveHandSchedules() {
        #expect(Set(["gemm", "conv2d", "conv2d_1x1", "depthwise_conv2d"]).isSubset(of: Set(Self.scheduled)))
    }

    @Test(arguments: scheduled)
    func handScheduleComputesWhatTheInterpreterComputes(name: String) throws {
        let schedule = try Schedule.load(path: Self.schedulePath(name))
        let compiler = try Compiler()
        // Every parameter at most 20 (the tiles of 14 and 16 then end in
        // tails), and two of the small shapes the other tests use.
        let defaults = try ShippedKernels.load(name).parameters
        let medium = try ShippedKernels.load(name, Dictionary(uniqueKeysWithValues: defaults.map { ($0.name, min($0.value, 20)) }))
        for kernel in [medium, try ShippedKernels.small(name, variant: 0), try ShippedKernels.small(name, variant: 1)] {
            let result = try run(kernel, schedule, compiler: compiler)
            #expect(result.passed, "\(describe(kernel, schedule, result))")
        }
    }
}
