import Testing
import Hone
@testable import HoneSearch
import HoneTestSupport

/// Schedules the search cannot score are counted by reason, never dropped unseen.
@Suite struct RejectionCountTests {
    @Test func aScheduleThatDoesNotLowerIsCountedOnce() throws {
        let gemm = try ShippedKernels.load("gemm", ["M": 8, "N": 8, "K": 8])
        let cache = FeatureCache(kernel: gemm, maxCodeSize: 1 << 20, threads: 2)
        let broken = Schedule([.split(stage: "C", loop: "no_such_loop", factors: [2])])
        let rows = cache.features([broken, .default, broken])
        #expect(rows[0] == nil && rows[2] == nil)
        #expect(rows[1] != nil)
        _ = cache.features([broken])
        #expect(cache.rejections[.doesNotLower(.unknownLoop)] == 1)
        #expect(cache.rejections.total == 1)
        #expect(cache.rejections.description == "1 does not lower (unknownLoop)")
        #expect(cache.rejection(of: broken) != nil)
    }

    @Test func aScheduleOverTheCodeSizeBudgetIsCounted() throws {
        let gemm = try ShippedKernels.load("gemm", ["M": 8, "N": 8, "K": 8])
        let cache = FeatureCache(kernel: gemm, maxCodeSize: 1, threads: 2)
        #expect(cache.features([.default]) == [nil])
        #expect(cache.rejections[.overCodeSizeBudget] == 1)
        #expect(RejectionCounts().description == "none")
    }
}
