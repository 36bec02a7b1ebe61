import Testing
import Hone

/// The slow and timeout rules of a trial, all in `TrialPolicy`.
@Suite struct TrialPolicyTests {
    @Test func theFirstRunLimitIsTheTighterOfTheRelativeAndAbsoluteLimits() {
        let policy = TrialPolicy(timing: TimingOptions(), slowFactor: 10, slowLimit: 0.5, slowLimitFloor: 0.05)
        #expect(policy.firstRunLimit(best: nil) == 0.5)
        #expect(policy.firstRunLimit(best: 0.01) == 0.1)
        #expect(policy.firstRunLimit(best: 1) == 0.5)
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
