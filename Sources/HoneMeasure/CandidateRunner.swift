import Foundation
import HoneCodegen
import HoneIR
import HoneSchedule

/// One trial request, as the worker receives it (one JSON line).
public struct TrialRequest: Hashable, Sendable, Codable {
    public var id: Int
    public var kernel: KernelSpec
    public var seed: UInt64
    public var schedule: Schedule
    public var timing: TimingOptions
    public var threads: Int?
    /// Give up (run_timeout) when the verification run alone takes longer (seconds).
    public var slowLimit: Double?
    /// When the verification run takes longer (seconds), it is the timing if it lasted a batch, else one batch is.
    public var singleBatchLimit: Double?
    /// nil: `.o3`.
    public var pipeline: CompilePipeline?
    /// A directory where reference outputs are kept for the next worker (`ReferenceCache`); nil: none.
    public var referenceCache: String?
    public var fault: Fault?
    /// nil: compile and run. A search compiles a batch on every core first
    /// (`.compile`, the worker keeps the kernel), then runs the kernels one
    /// at a time on a quiet machine (`.run`, with the same id).
    public var stage: TrialStage?

    public init(id: Int, kernel: KernelSpec, seed: UInt64, schedule: Schedule, timing: TimingOptions,
                threads: Int? = nil, slowLimit: Double? = nil, singleBatchLimit: Double? = nil, pipeline: CompilePipeline? = nil,
                referenceCache: String? = nil, fault: Fault? = nil, stage: TrialStage? = nil) {
        self.id = id
        self.kernel = kernel
        self.seed = seed
        self.schedule = schedule
        self.timing = timing
        self.threads = threads
        self.slowLimit = slowLimit
        self.singleBatchLimit = singleBatchLimit
        self.pipeline = pipeline
        self.referenceCache = referenceCache
        self.fault = fault
        self.stage = stage
    }
}

/// Half of a trial: compile and keep the kernel, or run a kept one.
public enum TrialStage: String, Hashable, Sendable, Codable {
    case compile
    case run
}

/// What the worker reports for a trial. Progress events come before the
/// result: `compiling` (the kernel and its reference are ready: the compile
/// clock starts), `compiled` (the first-run clock starts) and `ran` (the
/// first run is over: the clock of the checks and the timing protocol starts).
public struct TrialEvent: Hashable, Sendable, Codable {
    /// `prepared`: a `.compile` request's kernel is compiled and kept (its errors come as a `result`).
    public enum Kind: String, Hashable, Sendable, Codable { case ready, compiling, compiled, ran, prepared, result }
    public var event: Kind
    public var id: Int?
    public var timing: Timing?
    public var error: MeasureError?
    public var phases: PhaseTimes?
    public var maxAbsError: Double?
    /// For `ready`: the worker's process id.
    public var pid: Int32?

    public init(_ event: Kind, id: Int? = nil) {
        self.event = event
        self.id = id
    }

    var result: MeasureResult {
        let outcome: Result<Timing, MeasureError>
        if let timing { outcome = .success(timing) } else { outcome = .failure(error ?? MeasureError(.unknown, "the worker sent no timing and no error")) }
        return MeasureResult(outcome, phases: phases ?? PhaseTimes(), maxAbsError: maxAbsError)
    }
}

extension MeasureError: Codable {
    private enum Key: String, CodingKey { case kind, message, maxAbsError = "max_abs_error" }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init(try c.decode(Kind.self, forKey: .kind), try c.decode(String.self, forKey: .message),
                  maxAbsError: try c.decodeIfPresent(Double.self, forKey: .maxAbsError))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(message, forKey: .message)
        try c.encodeIfPresent(maxAbsError, forKey: .maxAbsError)
    }
}

/// Compiles, verifies and times candidates in this process: the engine of
/// `hone worker`. A crash or a hang in a candidate takes this process with
/// it, which is why `WorkerMeasurer` runs it in a child process.
///
/// Per (kernel, seed) it keeps the parsed kernel, seeded input buffers (with
/// pristine copies, to detect a candidate that writes to its inputs) and the
/// reference output, computed once:
/// - kernels of at most 50 MFLOP: the interpreter computes every element;
/// - larger kernels: `referenceSchedule(for:)`, JIT-compiled (the trusted
///   fast path), checked against the interpreter on 1,000 sampled elements
///   (corners and row ends included); its output is the reference.
/// Every candidate's whole output is then compared with the reference
/// (`Comparison`'s tolerance policy). The output buffer is poisoned (NaN for
/// floats) before each candidate, so an element it does not write fails.
public final class CandidateRunner {
    /// How a kernel's reference output was obtained, for reports.
    public enum ReferenceSource: String, Sendable, Codable { case interpreter, defaultScheduleJIT = "default_schedule_jit" }

    /// Per kernel and seed: inputs, reference output.
    final class KernelContext {
        let kernel: Kernel
        let buffers: KernelBuffers
        let pristineInputs: [[UInt8]]
        let reference: [Double]
        /// The largest finite |reference| (the tolerance's scale).
        let referenceScale: Double
        let referenceSource: ReferenceSource
        var lastUse = 0

        init(kernel: Kernel, buffers: KernelBuffers, reference: [Double], source: ReferenceSource) {
            self.kernel = kernel
            self.buffers = buffers
            pristineInputs = buffers.buffers.dropLast().map { buffer in
                Array(UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.count * buffer.type.byteSize))
            }
            self.reference = reference
            referenceScale = reference.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 }
            referenceSource = source
        }
    }

    public let compiler: Compiler
    private var contexts: [String: KernelContext] = [:]
    private var useCounter = 0
    private let defaultThreads: Int
    private var currentThreads: Int
    /// Contexts kept (least recently used ones are dropped).
    public var contextLimit = 4
    /// Kernels up to this many floating-point operations get an interpreter reference.
    public var interpreterReferenceLimit = 50_000_000

    public init() throws {
        compiler = try Compiler()
        defaultThreads = OpenMP.threadCount
        currentThreads = defaultThreads
    }

    /// Kernels compiled by `.compile` requests, waiting for their `.run`.
    private var kept: [Int: (compiled: CompiledKernel, context: KernelContext, phases: PhaseTimes)] = [:]

    /// Runs one trial (or half of one, see `TrialStage`). `progress` receives
    /// the `compiling` and `compiled` events.
    public func run(_ request: TrialRequest, progress: (TrialEvent) -> Void = { _ in }) -> TrialEvent {
        var phases = PhaseTimes()
        let trialStart = now()
        func finish(_ outcome: Result<Timing, MeasureError>, maxAbsError: Double? = nil) -> TrialEvent {
            var event = TrialEvent(.result, id: request.id)
            switch outcome {
            case .success(let t): event.timing = t
            case .failure(let e): event.error = e
            }
            phases.total = now() - trialStart
            event.phases = phases
            event.maxAbsError = maxAbsError
            return event
        }

        if request.stage == .run {
            guard let entry = kept.removeValue(forKey: request.id) else {
                return finish(.failure(MeasureError(.unknown, "no compiled kernel is kept for trial \(request.id)")))
            }
            phases = entry.phases
            progress(TrialEvent(.compiled, id: request.id))
            let (outcome, maxAbsError) = execute(entry.compiled, entry.context, request, &phases, progress)
            return finish(outcome, maxAbsError: maxAbsError)
        }

        // The kernel, its inputs and its reference (cached).
        let context: KernelContext
        do {
            let start = now()
            context = try self.context(for: request.kernel, seed: request.seed, cache: request.referenceCache.map(ReferenceCache.init))
            phases.reference = now() - start
        } catch let error as MeasureError {
            return finish(.failure(error))
        } catch {
            return finish(.failure(MeasureError(.unknown, "cannot load the kernel: \(error)")))
        }
        do {
            let threads = request.threads ?? defaultThreads
            if threads != currentThreads {
                try OpenMP.setThreadCount(threads)
                currentThreads = threads
            }
        } catch {
            return finish(.failure(MeasureError(.unknown, "\(error)")))
        }
        progress(TrialEvent(.compiling, id: request.id))

        // Compile.
        let compiled: CompiledKernel
        do {
            let start = now()
            var nest = try lower(context.kernel, schedule: request.schedule)
            if let fault = request.fault { nest = fault.apply(to: nest) }
            phases.lowering = now() - start
            compiled = try compiler.jit(nest, pipeline: request.pipeline ?? .o3)
            let breakdown = compiler.lastBreakdown
            phases.irGeneration = breakdown.irGeneration
            phases.optimization = breakdown.optimization
            phases.machineCode = breakdown.machineCode
            phases.linking = breakdown.linking
        } catch let error as ScheduleError {
            return finish(.failure(MeasureError(.invalidSchedule, error.description)))
        } catch {
            return finish(.failure(MeasureError(.compileError, "\(error)")))
        }
        if request.stage == .compile {
            kept[request.id] = (compiled, context, phases)
            var event = TrialEvent(.prepared, id: request.id)
            event.phases = phases
            return event
        }
        progress(TrialEvent(.compiled, id: request.id))
        let (outcome, maxAbsError) = execute(compiled, context, request, &phases, progress)
        return finish(outcome, maxAbsError: maxAbsError)
    }

    /// The verification run (also a warm-up), the checks, then the timing protocol.
    private func execute(_ compiled: CompiledKernel, _ context: KernelContext, _ request: TrialRequest,
                         _ phases: inout PhaseTimes, _ progress: (TrialEvent) -> Void) -> (Result<Timing, MeasureError>, Double?) {
        let buffers = context.buffers.buffers
        let output = context.buffers.output
        let pointers = buffers.map(\.pointer)
        poison(output)
        if request.fault == .illegalInstruction { raise(SIGILL) }
        let firstRun = seconds { compiled.run(pointers) }
        phases.running = firstRun
        progress(TrialEvent(.ran, id: request.id))

        var start = now()
        let verdict = check(context)
        phases.verifying = now() - start
        if case .failure(let error) = verdict { return (.failure(error), error.maxAbsError) }
        let maxAbsError = try? verdict.get()

        if let limit = request.slowLimit, firstRun > limit {
            return (.failure(MeasureError(.runTimeout,
                "too slow: one run took \(formatDuration(firstRun)), over the limit of \(formatDuration(limit)) set from the best time so far")),
                maxAbsError)
        }

        var options = request.timing
        if let limit = request.singleBatchLimit, firstRun > limit {
            // It cannot win: the verification run is its time when it lasted a batch, else one batch is.
            if firstRun >= options.minRepeatSeconds && options.warmupRuns == 0 && !options.flushCache {
                return (.success(Timing(samples: [firstRun], number: 1)), maxAbsError)
            }
            options.repeats = 1
        }
        start = now()
        let timing = measure(options, firstRun: firstRun) { compiled.run(pointers) }
        phases.running += now() - start
        withExtendedLifetime(buffers) {}
        return (.success(timing), maxAbsError)
    }

    /// Compares the output with the reference and the inputs with their
    /// pristine copies; returns the max abs error or a wrong-answer error.
    private func check(_ context: KernelContext) -> Result<Double, MeasureError> {
        let buffers = context.buffers.buffers
        for (i, pristine) in context.pristineInputs.enumerated() {
            let buffer = buffers[i]
            let intact = pristine.withUnsafeBytes { memcmp($0.baseAddress!, buffer.pointer, $0.count) == 0 }
            if !intact {
                pristine.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                return .failure(MeasureError(.wrongAnswer, "the candidate wrote to its input \(context.kernel.arguments[i].name)"))
            }
        }
        let output = context.buffers.output
        if let maxAbsError = quickCheck(output, context) { return .success(maxAbsError) }
        let comparison = compare(actual: output.values(), expected: context.reference, type: output.type)
        if comparison.passed { return .success(comparison.maxAbsError) }
        let message = "output differs from the reference (\(context.referenceSource == .interpreter ? "interpreter" : "default schedule, JIT-compiled")): \(comparison)"
        return .failure(MeasureError(.wrongAnswer, message, maxAbsError: comparison.maxAbsError))
    }

    /// `Comparison`'s tolerance policy in one tight pass over an f32 output:
    /// the max abs error when every element passes, nil when one fails (or
    /// the type is not f32); the caller then builds the full `Comparison`
    /// for the report.
    private func quickCheck(_ output: TensorBuffer, _ context: KernelContext) -> Double? {
        guard output.type == .f32, context.reference.count == output.count else { return nil }
        let rtol = Comparison.Tolerance.default(for: .f32).relative
        let atol = rtol * context.referenceScale
        let actual = output.pointer.assumingMemoryBound(to: Float.self)
        var maxAbs = 0.0
        return context.reference.withUnsafeBufferPointer { expected -> Double? in
            for k in 0..<expected.count {
                let e = expected[k], a = Double(actual[k])
                guard e.isFinite && a.isFinite else {
                    if (e.isNaN && a.isNaN) || (!e.isNaN && a == e) { continue }
                    return nil
                }
                let d = abs(a - e)
                if d > atol + rtol * abs(e) { return nil }
                if d > maxAbs { maxAbs = d }
            }
            return maxAbs
        }
    }

    /// Fills the output with NaN (floats) or 0x7f7f7f7f (integers).
    private func poison(_ buffer: TensorBuffer) {
        memset(buffer.pointer, buffer.type.isFloat ? 0xFF : 0x7F, buffer.count * buffer.type.byteSize)
    }

    private func context(for spec: KernelSpec, seed: UInt64, cache: ReferenceCache?) throws -> KernelContext {
        let key = "\(seed)\u{2}" + spec.cacheKey
        useCounter += 1
        if let context = contexts[key] {
            context.lastUse = useCounter
            return context
        }
        let kernel: Kernel
        do {
            kernel = try spec.load()
        } catch {
            throw MeasureError(.unknown, "cannot load the kernel: \(error)")
        }
        let context: KernelContext
        if let cached = cache?.load(key: key) {
            context = KernelContext(kernel: kernel, buffers: KernelBuffers(kernel: kernel, seed: seed), reference: cached.values,
                                    source: cached.fromInterpreter ? .interpreter : .defaultScheduleJIT)
        } else {
            context = try makeContext(kernel, seed: seed)
            cache?.store(key: key, values: context.reference, fromInterpreter: context.referenceSource == .interpreter)
        }
        context.lastUse = useCounter
        if contexts.count >= contextLimit, let oldest = contexts.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            contexts[oldest.key] = nil
        }
        contexts[key] = context
        return context
    }

    /// The reference output for a kernel and seed; see the type's documentation.
    func makeContext(_ kernel: Kernel, seed: UInt64) throws -> KernelContext {
        let buffers = KernelBuffers(kernel: kernel, seed: seed)
        if KernelCost(kernel).flops <= interpreterReferenceLimit {
            do {
                let reference = try Interpreter.evaluate(kernel, inputs: buffers.inputValues)
                return KernelContext(kernel: kernel, buffers: buffers, reference: reference, source: .interpreter)
            } catch {
                throw MeasureError(.unknown, "the interpreter cannot compute the reference: \(error)")
            }
        }
        do {
            let compiled = try compiler.jit(try lower(kernel, schedule: referenceSchedule(for: kernel)))
            compiled.run(buffers.buffers)
            let verification = try verify(buffers, mode: .sampled(1000))
            guard verification.comparison.passed else {
                throw MeasureError(.unknown, "the default schedule's output (the reference) disagrees with the interpreter: \(verification.comparison)")
            }
            return KernelContext(kernel: kernel, buffers: buffers, reference: buffers.output.values(), source: .defaultScheduleJIT)
        } catch let error as MeasureError {
            throw error
        } catch {
            throw MeasureError(.unknown, "cannot compute the reference output with the default schedule: \(error)")
        }
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// The schedule large kernels' reference outputs are computed with: the
/// default loop nests with two changes that keep every element's arithmetic
/// in the same order (so the result is the default schedule's, bit for bit)
/// but run an order of magnitude faster: reductions move outside the
/// innermost spatial loop (gemm runs i, k, j: unit stride, vectorizable by
/// LLVM), and the outermost spatial loop of some extent runs in parallel.
public func referenceSchedule(for kernel: Kernel) -> Schedule {
    var steps: [Step] = []
    for stage in kernel.stages {
        let shape = kernel.tensor(named: stage.name)!.shape
        let spatial = stage.indexVariables
        guard !spatial.isEmpty else { continue }
        if let reduction = stage.reduction, spatial.count >= 2 {
            steps.append(.reorder(stage: stage.name, order: Array(spatial.dropLast()) + reduction.axes.map(\.name) + [spatial.last!]))
        }
        let candidates = stage.reduction == nil || spatial.count == 1 ? spatial.indices : spatial.indices.dropLast()
        if let outer = candidates.first(where: { shape[$0] >= 2 }) {
            steps.append(.parallel(stage: stage.name, loop: spatial[outer]))
        }
    }
    return Schedule(steps)
}
