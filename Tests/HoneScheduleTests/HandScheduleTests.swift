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
        #expect(Set(["gemm", "conv2d", "conv2d_1x1", "depthwise_conv2d", "grouped_conv2d"]).isSubset(of: Set(Self.scheduled)))
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

    /// The grouped convolution's tile of 16 filters lies inside one group
    /// when the group has a multiple of 16 filters: its input index
    /// `(origin + f) / FG` folds to the tile's group, one broadcast value for
    /// every lane instead of a gather. With groups of 20 the tile crosses
    /// groups, the index stays per lane, and both compute what the
    /// interpreter computes.
    @Test(arguments: [(32, true), (20, false)])
    func aGroupedTileReadsItsGroupOnce(filtersPerGroup: Int, folds: Bool) throws {
        let kernel = try ShippedKernels.load("grouped_conv2d", ["G": 3, "CG": 5, "H": 9, "W": 9, "FG": filtersPerGroup, "S": 2])
        let schedule = try Schedule.load(path: Self.schedulePath("grouped_conv2d"))
        let nest = try lower(kernel, schedule: schedule)
        // The indices of the input loads in the register tile's update.
        let inputIndices = "\(nest)".split(separator: "\n").filter { $0.contains("Y.local[") }
            .flatMap { $0.components(separatedBy: "padded[").dropFirst().map { $0.prefix { $0 != "]" } } }
        #expect(!inputIndices.isEmpty, "\(nest)")
        #expect(inputIndices.allSatisfy { !$0.contains("Y.local.f") } == folds, "\(inputIndices)")
        let result = try run(kernel, schedule, compiler: try Compiler())
        #expect(result.passed, "\(describe(kernel, schedule, result))")
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
