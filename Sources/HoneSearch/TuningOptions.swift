import HoneCodegen
import HoneMeasure

public struct TuningOptions: Hashable, Sendable {
    public typealias Strategy = SearchStrategy

    /// Candidates to measure in this run (earlier records do not count).
    public var trials: Int
    /// Seconds this run may take; nil: no limit.
    public var timeBudget: Double?
    public var strategy: Strategy = .evolutionary
    public var seed: UInt64 = 1
    /// Candidates measured between two trainings of the model.
    public var batchSize = 16
    public var population = 512
    public var generations = 4
    /// Partial candidates the beam search keeps at each step (adams2019's default).
    public var beamWidth = 32
    /// The fraction of each batch drawn at random instead of from the search.
    public var epsilon = 0.05
    /// The best candidates re-measured with `finalPolicy` at the end.
    public var finalists = 3
    /// Candidates whose loop nest is larger than this (`estimatedCodeSize`) are not proposed.
    public var maxCodeSize = 2048
    /// Measure the default schedule first (unless the records have it): a
    /// baseline the model learns from and a finalist, so the result is never
    /// slower than the default. Nil: for kernels of at most `smallKernelFlops`;
    /// large ones run it for seconds.
    public var measureDefaultFirst: Bool?
    /// How the search's candidates are timed; nil: `TrialPolicy.search` for the kernel, thread count and time budget,
    /// compiled at `searchPipeline`.
    public var searchPolicy: TrialPolicy?
    /// The LLVM level the search's candidates are compiled at (the finalists and the shipped code: always `.o3`).
    public var searchPipeline = CompilePipeline.o3
    /// How the finalists are re-measured.
    public var finalPolicy = TrialPolicy.final

    /// Below this, the default schedule runs in well under a second.
    public static let smallKernelFlops = 1e8

    public init(trials: Int) { self.trials = trials }
}

/// A snapshot after each batch.
public struct TuningProgress: Sendable {
    public var trials: Int
    public var plannedTrials: Int
    public var errors: Int
    /// The best median seconds measured so far (this run or earlier records).
    public var bestSeconds: Double?
    public var elapsed: Double
    /// Spearman correlation of the model's scores and the measured speeds of the last batch (nil while the model is random).
    public var batchSpearman: Double?
    /// Schedules the search generated that were dropped before scoring (they do not lower, or would compile too slowly).
    public var rejected: RejectionCounts
}

/// Where a tuning run's time went, in seconds.
public struct TuningTime: Sendable {
    /// Wall-clock time spent measuring (compiling, running, verifying, worker overhead).
    public var measuring = 0.0
    /// Compile time summed over the workers (more than its wall-clock share when they compile in parallel).
    public var compiling = 0.0
    public var running = 0.0
    public var verifying = 0.0
    public var searching = 0.0
    public var training = 0.0
    public var total = 0.0
}

public struct TuningResult: Sendable {
    public var best: MeasureRecord?
    /// Candidates measured by the search in this run.
    public var trials: Int
    public var errors: Int
    public var interrupted: Bool
    public var time: TuningTime
    /// Problems that did not stop the run (records that no longer replay, failed trainings, dropped sketches).
    public var warnings: [String]
    /// Schedules the search generated and dropped before scoring, by reason.
    public var rejected: RejectionCounts
}
