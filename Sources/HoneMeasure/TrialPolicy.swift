import HoneCodegen
import HoneIR

/// How one trial is timed and when it is given up. A value passed with every
/// measurement call, never state of a measurer: the same workers time a
/// search's quick trials and its finalists' full ones, and each call says
/// which.
///
/// Every slow and timeout rule of a trial lives here:
/// - a first run slower than `slowFactor` x the best median so far, or than
///   `slowLimit` (raised to the best when the best is slower: on a loaded
///   machine every candidate may miss a fixed limit), is given up at once
///   (never below `slowLimitFloor`, which covers cold caches and thread
///   start-up);
/// - a first run slower than `contenderFactor` x the best is its own time
///   when it lasted a batch, else timed with one batch instead of
///   `timing.repeats`: it cannot win, and the model only needs its order of
///   magnitude;
/// - a first run still going after `abandonFactor` x its limit is abandoned
///   (the worker killed) rather than waited for: a worker start costs less
///   than the rest of a run that can only be given up;
/// - the run phase is killed after max(`runTimeoutFloor`, `slowFactor` x best
///   x the protocol's runs) plus the protocol's own minimum time;
/// - compiling is killed after `compileFactor` x the task's typical (median)
///   compile so far, never below `compileTimeoutFloor` nor above
///   `compileTimeout` (nor the worker's own `MeasureOptions.compileTimeout`).
public struct TrialPolicy: Hashable, Sendable {
    public var timing: TimingOptions
    /// Relative to the best median so far; nil: never given up for being slow relative to others.
    public var slowFactor: Double?
    /// Seconds, raised to the best so far when that is slower; nil: no absolute limit.
    public var slowLimit: Double?
    /// Seconds always allowed for the run phase (verification run, timing protocol, checks).
    public var runTimeoutFloor: Double
    public var slowLimitFloor: Double
    /// Relative to the best median so far; nil: every candidate gets the whole protocol.
    public var contenderFactor: Double?
    /// The LLVM level candidates are compiled at.
    public var pipeline: CompilePipeline
    /// Seconds; nil: the worker's compile timeout alone.
    public var compileTimeout: Double?
    /// Relative to the typical compile of the task so far; nil: no relative limit.
    public var compileFactor: Double?
    public var compileTimeoutFloor: Double
    /// Relative to the first-run limit; nil: a first run is waited for up to the run timeout.
    public var abandonFactor: Double?

    public init(timing: TimingOptions = TimingOptions(), slowFactor: Double? = 100, slowLimit: Double? = nil,
                runTimeoutFloor: Double = 10, slowLimitFloor: Double = 0.05, contenderFactor: Double? = nil,
                pipeline: CompilePipeline = .o3, compileTimeout: Double? = nil, compileFactor: Double? = nil,
                compileTimeoutFloor: Double = 2, abandonFactor: Double? = nil) {
        self.timing = timing
        self.slowFactor = slowFactor
        self.slowLimit = slowLimit
        self.runTimeoutFloor = runTimeoutFloor
        self.slowLimitFloor = slowLimitFloor
        self.contenderFactor = contenderFactor
        self.pipeline = pipeline
        self.compileTimeout = compileTimeout
        self.compileFactor = compileFactor
        self.compileTimeoutFloor = compileTimeoutFloor
        self.abandonFactor = abandonFactor
    }

    /// A first run longer than this ends the trial as too slow (nil: none does).
    public func firstRunLimit(best: Double?) -> Double? {
        guard let best else { return slowLimit }
        var limit = slowFactor.map { max($0 * best, slowLimitFloor) } ?? .infinity
        if let slowLimit { limit = min(limit, max(slowLimit, best)) }
        return limit.isFinite ? limit : nil
    }

    /// Seconds a first run may go on before it is abandoned (nil: up to the run timeout).
    public func firstRunTimeout(best: Double?) -> Double? {
        guard let abandonFactor, let limit = firstRunLimit(best: best) else { return nil }
        return min(abandonFactor * limit, runTimeout(best: best))
    }

    /// A first run longer than this is timed with a single batch (nil: none is).
    public func singleBatchLimit(best: Double?) -> Double? {
        guard let contenderFactor, let best else { return nil }
        return max(contenderFactor * best, slowLimitFloor)
    }

    /// Seconds the run phase may take before the worker is killed.
    public func runTimeout(best: Double?) -> Double {
        let runs = Double(max(timing.warmupRuns, 0) + max(timing.repeats, 1) + 2)
        var relative = 0.0
        if let slowFactor, let best { relative = slowFactor * best * runs }
        return max(runTimeoutFloor, relative) + Double(max(timing.repeats, 1) + 2) * timing.minRepeatSeconds
    }

    /// Seconds compiling may take before the worker is killed, given the
    /// median compile of the task's candidates so far (nil: none yet); nil
    /// when the policy sets no limit of its own.
    public func compileLimit(typical: Double?) -> Double? {
        var limit = compileTimeout
        if let compileFactor, let typical { limit = min(limit ?? .infinity, max(compileFactor * typical, compileTimeoutFloor)) }
        return limit
    }
}

extension TrialPolicy {
    /// A search's trial: three short batches (one for a candidate 2x slower
    /// than the best so far), and a candidate 10x slower than the best so
    /// far, or than the kernel's work at 1 GFLOP/s per thread (0.2 GB/s for
    /// kernels that mostly move data, at least 50 ms; the best so far when
    /// that is slower), is given up
    /// after its first run (abandoned when that run goes on past twice the
    /// limit): random candidates of a large kernel can be thousands of times
    /// slower than the best. A compile 10x the task's
    /// median compile (at least 5 s: a loaded machine's spikes) is given up;
    /// with a time budget, no compile may take more than a tenth of it (at
    /// least 2 s).
    public static func search(_ kernel: Kernel, threads: Int, budget: Double? = nil) -> TrialPolicy {
        let cost = KernelCost(kernel)
        let limit = max(Double(cost.flops) / (1e9 * Double(max(threads, 1))), Double(cost.bytesMoved) / 0.2e9, 0.05)
        return TrialPolicy(timing: TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01),
                           slowFactor: 10, slowLimit: limit, runTimeoutFloor: max(1, 3 * limit), contenderFactor: 2,
                           compileTimeout: budget.map { max(2, $0 / 10) }, compileFactor: 10, compileTimeoutFloor: 5,
                           abandonFactor: 2)
    }

    /// The finalists' re-measurement: warm-up and five batches of 100 ms.
    public static let final = TrialPolicy(timing: TimingOptions(warmupRuns: 1, repeats: 5, minRepeatSeconds: 0.1), slowFactor: 100)

    /// One run after the verification run: for the default schedule, whose
    /// order of magnitude is all a tune compares with, however slow it is
    /// (gemm 1024^3 runs for seconds: up to 10 minutes are allowed).
    public static let singleRun = TrialPolicy(timing: TimingOptions(warmupRuns: 0, repeats: 1, minRepeatSeconds: 0), slowFactor: nil,
                                              runTimeoutFloor: 600)
}
