import Foundation
import Testing
@testable import Hone
import HoneTestSupport

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

    /// At the default shapes, each convolution's accumulators are one small
    /// tile on the stack (bounds inference sees through the loop fused over
    /// rows and columns; the storage order puts the filters innermost).
    @Test(arguments: [("conv2d", [1, 1, 14, 16]), ("conv2d_1x1", [1, 3, 2, 56]), ("depthwise_conv2d", [1, 1, 2, 112])])
    func theRegisterTileIsSmall(name: String, shape: [Int]) throws {
        let nest = try lower(try ShippedKernels.load(name), schedule: try Schedule.load(path: Self.schedulePath(name)))
        let tiles = allocations(nest.body).filter { $0.buffer.name == "Y.local" }.map(\.buffer)
        #expect(!tiles.isEmpty && tiles.allSatisfy { $0.shape == shape && $0.memory == .stack }, "\(tiles)")
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
