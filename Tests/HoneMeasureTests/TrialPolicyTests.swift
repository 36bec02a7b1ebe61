import Testing
import Hone

/// The slow and timeout rules of a trial, all in `TrialPolicy`.
@Suite struct TrialPolicyTests {
    @Test func theFirstRunLimitIsTheTighterOfTheRelativeAndAbsoluteLimits() {
        let policy = TrialPolicy(timing: TimingOptions(), slowFactor: 10, slowLimit: 0.5, slowLimitFloor: 0.05)
        #expect(policy.firstRunLimit(best: nil) == 0.5)
        #expect(policy.firstRunLimit(best: 0.01) == 0.1)
        #expect(policy.firstRunLimit(best: 0.3) == 0.5)
        // A best slower than the absolute limit (a loaded machine, or only the default schedule timed):
        // what is faster than the best can still win.
        #expect(policy.firstRunLimit(best: 1) == 1)
        // Never below the floor: a fast best does not make cold first runs "too slow".
        #expect(policy.firstRunLimit(best: 1e-6) == 0.05)
        #expect(TrialPolicy.singleRun.firstRunLimit(best: 1e-6) == nil)
    }

    @Test func theRunTimeoutCoversTheProtocolAndGrowsWithASlowBest() {
        let timing = TimingOptions(warmupRuns: 1, repeats: 5, minRepeatSeconds: 0.1)
        let policy = TrialPolicy(timing: timing, slowFactor: 100, runTimeoutFloor: 10)
        // (repeats + 2) batches of at least min_repeat on top of the floor.
        #expect(abs(policy.runTimeout(best: nil) - (10 + 0.7)) < 1e-9)
        // 100x a 10 ms best over warm-up + 5 repeats + 2 runs = 8 s: under the floor.
        #expect(abs(policy.runTimeout(best: 0.01) - (10 + 0.7)) < 1e-9)
        #expect(abs(policy.runTimeout(best: 0.1) - (80 + 0.7)) < 1e-9)
    }

    func matmul(_ n: Int) throws -> Kernel {
        try Kernel.parse("""
            kernel matmul
            param N = \(n)
            input a: f32[N, N]
            input b: f32[N, N]
            output c: f32[N, N]
            c[i, j] = sum(k < N) a[i, k] * b[k, j]
            """)
    }

    @Test func theSearchPolicyScalesItsLimitWithTheKernelsWork() throws {
        let (small, large) = (try matmul(64), try matmul(2048))
        let smallLimit = try #require(TrialPolicy.search(small, threads: 2).slowLimit)
        let largeLimit = try #require(TrialPolicy.search(large, threads: 2).slowLimit)
        #expect(smallLimit == 0.05)
        // 2 x 2048^3 FLOPs at 1 GFLOP/s per thread on 2 threads.
        #expect(abs(largeLimit - 2 * 2048.0 * 2048 * 2048 / 2e9) < 1e-6)
        #expect(TrialPolicy.search(large, threads: 2).runTimeoutFloor == 3 * largeLimit)
    }
}

/// The budget rules of a search's trial: how many batches a slow candidate
/// gets, when a first run is abandoned, how long a compile may take.
@Suite struct TrialBudgetRuleTests {
    @Test func aCandidateTwiceAsSlowAsTheBestIsTimedWithOneBatch() {
        let policy = TrialPolicy(timing: TimingOptions(), slowLimitFloor: 0.05, contenderFactor: 2)
        #expect(policy.singleBatchLimit(best: nil) == nil, "before any best, every candidate is a contender")
        #expect(policy.singleBatchLimit(best: 0.1) == 0.2)
        #expect(policy.singleBatchLimit(best: 1e-6) == 0.05, "never below the cold-run floor")
        #expect(TrialPolicy.final.singleBatchLimit(best: 0.1) == nil, "the finalists always get the whole protocol")
    }

    @Test func aFirstRunIsAbandonedAtTwiceItsLimitButNeverAfterTheRunTimeout() {
        let policy = TrialPolicy(timing: TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01), slowFactor: 10,
                                 slowLimit: 1, runTimeoutFloor: 1.2, abandonFactor: 2)
        // No best: twice the absolute limit, cut to the run timeout (1.2 s + 5 x 10 ms).
        #expect(abs(policy.firstRunTimeout(best: nil)! - 1.25) < 1e-9)
        // A best of 10 ms: the limit is 100 ms, abandoned after 200 ms.
        #expect(abs(policy.firstRunTimeout(best: 0.01)! - 0.2) < 1e-9)
        var waiting = policy
        waiting.abandonFactor = nil
        #expect(waiting.firstRunTimeout(best: 0.01) == nil)
        #expect(TrialPolicy.singleRun.firstRunTimeout(best: nil) == nil, "the default schedule's single run is always waited for")
    }

    @Test func theCompileLimitFollowsTheTasksTypicalCompileWithinItsFloorAndCap() {
        let policy = TrialPolicy(compileTimeout: 20, compileFactor: 10, compileTimeoutFloor: 2)
        #expect(policy.compileLimit(typical: nil) == 20, "before any compile, the cap")
        #expect(policy.compileLimit(typical: 0.5) == 5)
        #expect(policy.compileLimit(typical: 0.05) == 2, "never below the floor")
        #expect(policy.compileLimit(typical: 3) == 20, "never above the cap")
        #expect(TrialPolicy().compileLimit(typical: 3) == nil, "no limit of its own: the worker's compile timeout")
    }

    @Test func theSearchPolicyCapsCompilesAtATenthOfTheTimeBudget() throws {
        let kernel = try Kernel.parse("""
            kernel matmul
            param N = 256
            input a: f32[N, N]
            input b: f32[N, N]
            output c: f32[N, N]
            c[i, j] = sum(k < N) a[i, k] * b[k, j]
            """)
        #expect(TrialPolicy.search(kernel, threads: 2).compileLimit(typical: nil) == nil)
        #expect(TrialPolicy.search(kernel, threads: 2, budget: 50).compileLimit(typical: nil) == 5)
        #expect(TrialPolicy.search(kernel, threads: 2, budget: 5).compileLimit(typical: nil) == 2)
        #expect(TrialPolicy.search(kernel, threads: 2, budget: 50).compileLimit(typical: 0.3) == 5)
        #expect(TrialPolicy.search(kernel, threads: 2, budget: 50).compileLimit(typical: 0.1) == 5, "never below the floor")
        #expect(TrialPolicy.search(kernel, threads: 2, budget: 600).compileLimit(typical: 2) == 20)
        #expect(TrialPolicy.search(kernel, threads: 2).pipeline == .o3)
    }
}
