import COpenBLAS
import Foundation
import Hone

/// Sets the thread count of Hone's OpenMP loops (and oneDNN's, which share
/// libgomp), of OpenBLAS and of Halide's thread pool (HL_NUM_THREADS, read
/// when the pool starts, at the first Halide call; child processes inherit it).
public func configureThreads(_ threads: Int) throws {
    try OpenMP.setThreadCount(threads)
    openblas_set_num_threads(Int32(threads))
    setenv("HL_NUM_THREADS", String(threads), 1)
}

/// One thing timed in a row: a Hone schedule or a baseline.
public struct Contender {
    public enum Role: String, Sendable {
        case honeDefault = "default", honeHand = "hand", honeTuned = "tuned", baseline, ownLayout = "baseline (own layout)"
        /// The best schedule known for the row on this CPU (Benchmarks/ceilings/CPU/ROW.schedule.json).
        case honeCeiling = "ceiling"

        /// Hone's own schedules, as opposed to the libraries.
        public var isHone: Bool { self == .honeDefault || self == .honeHand || self == .honeTuned || self == .honeCeiling }
    }
    public var name: String
    public var role: Role
    public var run: () -> Void
    /// Keeps compiled code and buffers alive.
    var owner: AnyObject?
}

/// A row made ready to time: every contender built and its output checked
/// (Hone's default schedule against the interpreter, everything else
/// against the default schedule); what could not be built or computed a
/// wrong answer is in `problems` instead.
public struct PreparedRow {
    public var row: SuiteRow
    public var kernel: Kernel
    public var contenders: [Contender]
    /// Contender name (or role) and what went wrong.
    public var problems: [(String, String)]
    public var tuned: TunedState
    /// The contender this CPU's ceiling is the same schedule as (hand or
    /// tuned), timed once under that name; nil when it is timed as itself or absent.
    public var ceilingIsAlso: Contender.Role?
    /// The default schedule's check against the interpreter.
    public var verification: String
    var buffers: KernelBuffers
}

public enum TunedState: Sendable {
    case notTuned
    case tuned(path: String)
    case invalid(String)
}

/// The largest difference from `reference` relative to its largest
/// magnitude.
func relativeDifference(_ values: [Float], _ reference: [Float]) -> Double {
    guard values.count == reference.count else { return .infinity }
    var scale = 0.0, worst = 0.0
    for r in reference { scale = max(scale, abs(Double(r))) }
    for (v, r) in zip(values, reference) {
        let d = abs(Double(v) - Double(r))
        if d.isNaN { return .infinity }
        worst = max(worst, d)
    }
    return worst / max(scale, .leastNormalMagnitude)
}

/// Outputs within this relative difference of the default schedule's count
/// as the same answer (fp32 sums in another order).
let agreement = 1e-3

/// A Hone schedule timed beside the default one: a hand schedule or a tuned one.
public struct ScheduleContender: Sendable {
    public var name: String
    public var role: Contender.Role
    public var path: String

    public init(name: String, role: Contender.Role, path: String) {
        self.name = name
        self.role = role
        self.path = path
    }
}

/// The name the suite times a row's stored ceiling under.
public let ceilingContenderName = "Hone ceiling"

/// A suite row: its kernel from Kernels/, the hand schedule shipped beside
/// it, the tuned schedule `make bench-tune` wrote and this CPU's ceiling,
/// when they exist.
public func prepare(_ row: SuiteRow, paths: SuitePaths, compiler: Compiler, only: String? = nil) throws -> PreparedRow {
    let kernel = try Kernel.load(path: paths.kernel(row.kernel), overrides: row.overrides)
    var schedules = [ScheduleContender(name: "Hone hand schedule", role: .honeHand, path: paths.handSchedule(row.kernel)),
                     ScheduleContender(name: "Hone tuned", role: .honeTuned, path: paths.tunedSchedule(row))]
        .filter { FileManager.default.fileExists(atPath: $0.path) }
    // A ceiling that is the hand or tuned schedule is timed once, as that
    // schedule: timed twice, noise alone would make it beat itself.
    var ceilingIsAlso: Contender.Role?
    if FileManager.default.fileExists(atPath: paths.ceilingSchedule(row)) {
        func text(_ path: String) -> String? { try? Schedule.load(path: path).json() }
        let ceiling = text(paths.ceilingSchedule(row))
        ceilingIsAlso = ceiling == nil ? nil : schedules.first { text($0.path) == ceiling }?.role
        if ceilingIsAlso == nil {
            schedules.append(ScheduleContender(name: ceilingContenderName, role: .honeCeiling, path: paths.ceilingSchedule(row)))
        }
    }
    var prepared = try prepare(row, kernel: kernel, schedules: schedules, compiler: compiler, only: only)
    prepared.ceilingIsAlso = ceilingIsAlso
    return prepared
}

/// Builds and checks every contender of `row` on `kernel`: the default
/// schedule, `schedules` (the first tuned one decides `tuned`) and the
/// row's baselines. With `only`, just that contender is kept, unchecked:
/// a process timing one contender alone, after its parent checked them all.
public func prepare(_ row: SuiteRow, kernel: Kernel, schedules: [ScheduleContender], compiler: Compiler, only: String? = nil) throws -> PreparedRow {
    let buffers = KernelBuffers(kernel: kernel, seed: 1)
    let inputs = Array(buffers.buffers.dropLast())
    var contenders: [Contender] = []
    var problems: [(String, String)] = []

    func honeContender(_ name: String, _ role: Contender.Role, _ schedule: Schedule, output: TensorBuffer) throws -> Contender {
        let compiled = try compiler.jit(try lower(kernel, schedule: schedule))
        let arguments = inputs + [output]
        return Contender(name: name, role: role, run: { compiled.run(arguments) }, owner: [compiled, output] as AnyObject)
    }
    func floats(_ buffer: TensorBuffer) -> [Float] { Array(UnsafeBufferPointer(start: buffer.floats, count: buffer.count)) }
    func wanted(_ name: String) -> Bool { only == nil || only == name }

    // The default schedule, checked against the interpreter: the reference.
    let defaultName = "Hone default schedule"
    var verification = "not checked (timed alone)"
    var reference: [Float] = []
    if only == nil {
        let defaultContender = try honeContender(defaultName, .honeDefault, .default, output: buffers.output)
        defaultContender.run()
        let check = try verify(buffers, mode: .sampled(300))
        guard check.comparison.passed else {
            throw HoneError("\(row.id): Hone's default schedule disagrees with the interpreter: \(check.summary)")
        }
        verification = check.summary
        reference = floats(buffers.output)
        contenders.append(defaultContender)
    } else if only == defaultName {
        contenders.append(try honeContender(defaultName, .honeDefault, .default, output: buffers.output))
    }

    func accept(_ contender: Contender, output: () -> [Float]) {
        guard only == nil else {
            if only == contender.name { contenders.append(contender) }
            return
        }
        contender.run()
        let difference = relativeDifference(output(), reference)
        if difference <= agreement {
            contenders.append(contender)
        } else {
            problems.append((contender.name, String(format: "output differs from Hone's default schedule by %.2e (relative); not timed", difference)))
        }
    }

    var tuned = TunedState.notTuned
    for spec in schedules where wanted(spec.name) {
        do {
            let output = TensorBuffer(type: kernel.output.type, shape: kernel.output.shape)
            let contender = try honeContender(spec.name, spec.role, try Schedule.load(path: spec.path), output: output)
            let before = contenders.count
            accept(contender) { floats(output) }
            if spec.role == .honeTuned, case .notTuned = tuned {
                tuned = contenders.count > before ? .tuned(path: spec.path) : .invalid("wrong output")
            }
        } catch {
            if spec.role == .honeTuned, case .notTuned = tuned { tuned = .invalid("\(error)") }
            problems.append((spec.name, "\(error)"))
        }
    }

    for kind in row.baselines {
        do {
            for baseline in try makeBaselines([kind], for: kernel, inputs: inputs) where wanted(baseline.name) {
                accept(Contender(name: baseline.name, role: baseline.sameLayout ? .baseline : .ownLayout, run: baseline.run,
                                 owner: baseline.owner), output: baseline.output)
            }
        } catch let unavailable as HalideUnavailable {
            // One line for all the Halide variants of the row.
            let problem = "skipped: \(unavailable.reason)"
            if !problems.contains(where: { $0.1 == problem }) { problems.append(("Halide", problem)) }
        } catch {
            problems.append((kind.rawValue, "\(error)"))
        }
    }
    return PreparedRow(row: row, kernel: kernel, contenders: contenders, problems: problems, tuned: tuned,
                       verification: verification, buffers: buffers)
}
