import HoneIR

/// How one trial is timed and when it is given up. A value passed with every
/// measurement call, never state of a measurer: the same workers time a
/// search's quick trials and its finalists' full ones, and each call says
/// which.
///
/// Every slow and timeout rule of a trial lives here:
/// - a first run slower than `slowFactor` x the best median so far, or than
///   `slowLimit`, is given up at once (never below `slowLimitFloor`, which
///   covers cold caches and thread start-up);
/// - the run phase is killed after max(`runTimeoutFloor`, `slowFactor` x best
///   x the protocol's runs) plus the protocol's own minimum time.
public struct TrialPolicy: Hashable, Sendable {
    public var timing: TimingOptions
    /// Relative to the best median so far; nil: never given up for being slow relative to others.
    public var slowFactor: Double?
    /// Seconds; nil: no absolute limit.
    public var slowLimit: Double?
    /// Seconds always allowed for the run phase (verification run, timing protocol, checks).
    public var runTimeoutFloor: Double
    public var slowLimitFloor: Double

    public init(timing: TimingOptions = TimingOptions(), slowFactor: Double? = 100, slowLimit: Double? = nil,
                runTimeoutFloor: Double = 10, slowLimitFloor: Double = 0.05) {
        self.timing = timing
        self.slowFactor = slowFactor
        self.slowLimit = slowLimit
        self.runTimeoutFloor = runTimeoutFloor
        self.slowLimitFloor = slowLimitFloor
    }

    /// A first run longer than this ends the trial as too slow (nil: none does).
    public func firstRunLimit(best: Double?) -> Double? {
        var limit = slowLimit
        if let slowFactor, let best { limit = min(limit ?? .infinity, max(slowFactor * best, slowLimitFloor)) }
        return limit
    }

    /// Seconds the run phase may take before the worker is killed.
    public func runTimeout(best: Double?) -> Double {
        let runs = Double(max(timing.warmupRuns, 0) + max(timing.repeats, 1) + 2)
        var relative = 0.0
        if let slowFactor, let best { relative = slowFactor * best * runs }
        return max(runTimeoutFloor, relative) + Double(max(timing.repeats, 1) + 2) * timing.minRepeatSeconds
    }
}

extension TrialPolicy {
    /// A search's trial: three short batches, and a candidate 10x slower than
    /// the best so far, or slower than the kernel's work at 1 GFLOP/s per
    /// thread (0.2 GB/s for kernels that mostly move data, at least 50 ms),
    /// is given up after its first run: random candidates of a large kernel
    /// can be thousands of times slower than the best.
    public static func search(_ kernel: Kernel, threads: Int) -> TrialPolicy {
        let cost = KernelCost(kernel)
        let limit = max(Double(cost.flops) / (1e9 * Double(max(threads, 1))), Double(cost.bytesMoved) / 0.2e9, 0.05)
        return TrialPolicy(timing: TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01),
                           slowFactor: 10, slowLimit: limit, runTimeoutFloor: max(1, 3 * limit))
    }

    /// The finalists' re-measurement: warm-up and five batches of 100 ms.
    public static let final = TrialPolicy(timing: TimingOptions(warmupRuns: 1, repeats: 5, minRepeatSeconds: 0.1), slowFactor: 100)

    /// One run after the verification run: for the default schedule, whose
    /// order of magnitude is all a tune compares with, however slow it is
    /// (gemm 1024^3 runs for seconds: up to 10 minutes are allowed).
    public static let singleRun = TrialPolicy(timing: TimingOptions(warmupRuns: 0, repeats: 1, minRepeatSeconds: 0), slowFactor: nil,
                                              runTimeoutFloor: 600)
}
