import Foundation
import HoneCodegen
import HoneIR
import HoneSchedule

/// One candidate to measure: a schedule of a task's kernel.
public struct MeasureInput: Hashable, Sendable {
    public var task: MeasureTask
    public var schedule: Schedule
    /// Test-only: a fault to inject (see `Fault`).
    public var fault: Fault?

    public init(task: MeasureTask, schedule: Schedule, fault: Fault? = nil) {
        self.task = task
        self.schedule = schedule
        self.fault = fault
    }
}

/// Why a candidate has no time. The kinds follow TVM's MeasureErrorNo.
public struct MeasureError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// A step cannot be applied to the kernel (lowering rejected it).
        case invalidSchedule = "invalid_schedule"
        /// Code generation or LLVM failed (or the compiler crashed).
        case compileError = "compile_error"
        /// Compilation took longer than the compile timeout.
        case compileTimeout = "compile_timeout"
        /// The kernel crashed the worker (a signal such as SIGSEGV).
        case runtimeCrash = "runtime_crash"
        /// The kernel ran longer than the run timeout, or 100x slower than the best so far.
        case runTimeout = "run_timeout"
        /// The output differs from the reference.
        case wrongAnswer = "wrong_answer"
        /// Anything else (the worker could not start, a protocol error).
        case unknown
    }

    public var kind: Kind
    public var message: String
    /// For wrong answers: the largest |computed - reference| over the checked elements.
    public var maxAbsError: Double?

    public init(_ kind: Kind, _ message: String, maxAbsError: Double? = nil) {
        self.kind = kind
        self.message = message
        self.maxAbsError = maxAbsError
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Seconds spent per phase of one trial. The worker fills the phases up to
/// `verify`; `total` is the wall-clock time the caller waited, so
/// `total - sum of phases` is the protocol and process overhead.
public struct PhaseTimes: Hashable, Sendable, Codable {
    /// Kernel + schedule to loop nest.
    public var lowering = 0.0
    /// Loop nest to LLVM IR (and IR verification).
    public var irGeneration = 0.0
    /// LLVM `default<O3>`.
    public var optimization = 0.0
    /// Machine code emission.
    public var machineCode = 0.0
    /// JIT linking.
    public var linking = 0.0
    /// Running the kernel: the verification run plus the timing protocol.
    public var running = 0.0
    /// Comparing the output with the reference (and checking the inputs are intact).
    public var verifying = 0.0
    /// Computing the reference output (only for the first candidate of a kernel and seed).
    public var reference = 0.0
    /// Wall-clock time of the whole trial as seen by the caller.
    public var total = 0.0

    public init() {}

    public var compiling: Double { lowering + irGeneration + optimization + machineCode + linking }
    /// Everything but the kernel's own running time (and the one-time reference).
    public var overhead: Double { total - running - reference }

    public static func + (a: PhaseTimes, b: PhaseTimes) -> PhaseTimes {
        var s = PhaseTimes()
        s.lowering = a.lowering + b.lowering
        s.irGeneration = a.irGeneration + b.irGeneration
        s.optimization = a.optimization + b.optimization
        s.machineCode = a.machineCode + b.machineCode
        s.linking = a.linking + b.linking
        s.running = a.running + b.running
        s.verifying = a.verifying + b.verifying
        s.reference = a.reference + b.reference
        s.total = a.total + b.total
        return s
    }
}

/// The outcome of measuring one candidate: a timing, or an error.
public struct MeasureResult: Hashable, Sendable {
    public var outcome: Result<Timing, MeasureError>
    public var phases: PhaseTimes
    /// For successful runs: the largest |computed - reference| over the output.
    public var maxAbsError: Double?

    public init(_ outcome: Result<Timing, MeasureError>, phases: PhaseTimes = PhaseTimes(), maxAbsError: Double? = nil) {
        self.outcome = outcome
        self.phases = phases
        self.maxAbsError = maxAbsError
    }

    public var timing: Timing? { if case .success(let t) = outcome { t } else { nil } }
    public var error: MeasureError? { if case .failure(let e) = outcome { e } else { nil } }
    /// The median seconds per run, or nil for an error.
    public var seconds: Double? { timing?.median }
}

/// What a worker process is: fixed for its life. How each trial is timed
/// and given up is a `TrialPolicy`, passed with every call.
public struct MeasureOptions: Hashable, Sendable {
    /// Threads for parallel loops (nil: one per core).
    public var threads: Int?
    /// Seconds allowed from the start of lowering to a linked kernel.
    public var compileTimeout: Double
    /// Seconds allowed to compute a kernel's reference output (once per kernel and seed).
    public var referenceTimeout: Double

    public init(threads: Int? = nil, compileTimeout: Double = 30, referenceTimeout: Double = 600) {
        self.threads = threads
        self.compileTimeout = compileTimeout
        self.referenceTimeout = referenceTimeout
    }
}

/// A flag another thread (a signal handler) sets to stop a measurement:
/// `stop` lets the current candidate finish, `abort` kills it.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false
    private var abortRequested = false

    public init() {}

    public var isStopped: Bool { lock.withLock { stopRequested } }
    public var isAborted: Bool { lock.withLock { abortRequested } }

    /// Stop after the current candidate.
    public func stop() { lock.withLock { stopRequested = true } }
    /// Stop now, discarding the candidate in flight.
    public func abort() { lock.withLock { stopRequested = true; abortRequested = true } }
}
