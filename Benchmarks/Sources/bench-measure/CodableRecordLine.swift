import Foundation
import Hone

/// A record line through `Codable`, with the keys `MeasureRecord` writes:
/// the baseline section 4 times Hone's records codec (`jsonLine`,
/// `RecordsLog.parse`) against. Hone keeps one codec; this one lives here so
/// the comparison can be run again. Like any JSONDecoder reading, it decodes
/// the schedule (Hone keeps its text) and loses the parameters' order.
struct CodableRecordLine: Codable {
    struct Kernel: Codable {
        var name: String
        var hash: String
        var parameters: [String: Int]
    }

    struct Target: Codable {
        var cpu: String
        var featuresHash: String
        var threads: Int
        enum CodingKeys: String, CodingKey { case cpu, featuresHash = "features_hash", threads }
    }

    /// `result` or `error`: JSON has no NaN, so nil stands for it.
    struct Outcome: Codable {
        var median: Double??
        var minimum: Double??
        var spread: Double??
        var samples: [Double?]?
        var number: Int?
        var kind: String?
        var message: String?
        var maxAbsError: Double??
        var compileSeconds: Double??
        enum CodingKeys: String, CodingKey {
            case median = "median_s", minimum = "min_s", spread, samples = "samples_s", number, kind, message
            case maxAbsError = "max_abs_error", compileSeconds = "compile_s"
        }
    }

    var format: Int
    var honeVersion: String
    var timestamp: String
    var kernel: Kernel
    var target: Target
    var seed: UInt64
    var schedule: Schedule
    var candidate: CandidateTrace?
    var result: Outcome?
    var error: Outcome?

    enum CodingKeys: String, CodingKey {
        case format, honeVersion = "hone_version", timestamp, kernel, target, seed, schedule, candidate, result, error
    }

    init(_ r: MeasureRecord) throws {
        format = r.format
        honeVersion = r.honeVersion
        timestamp = r.timestamp
        kernel = Kernel(name: r.kernel.name, hash: r.kernel.hash,
                        parameters: Dictionary(r.kernel.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
        target = Target(cpu: r.target.cpu, featuresHash: r.target.featuresHash, threads: r.target.threads)
        seed = r.seed
        schedule = try r.schedule()
        candidate = r.candidate
        func finite(_ x: Double?) -> Double?? { x.map { $0.isFinite ? $0 : nil } }
        var outcome = Outcome(maxAbsError: finite(r.maxAbsError), compileSeconds: finite(r.compileSeconds))
        if let timing = r.timing {
            (outcome.median, outcome.minimum, outcome.spread) = (finite(timing.median), finite(timing.minimum), finite(timing.spread))
            (outcome.samples, outcome.number) = (timing.samples.map { $0.isFinite ? $0 : nil }, timing.number)
            result = outcome
        } else {
            (outcome.kind, outcome.message) = (r.error?.kind.rawValue ?? "unknown", r.error?.message ?? "")
            error = outcome
        }
    }

    var record: MeasureRecord {
        let outcome = result ?? error
        var timing: Timing?, failure: MeasureError?
        if let result { timing = Timing(samples: (result.samples ?? []).map { $0 ?? .nan }, number: result.number ?? 1) }
        if let error { failure = MeasureError(MeasureError.Kind(rawValue: error.kind ?? "") ?? .unknown, error.message ?? "") }
        var r = MeasureRecord(kernel: KernelIdentity(name: kernel.name, hash: kernel.hash,
                                                     parameters: kernel.parameters.sorted { $0.key < $1.key }.map { Parameter(name: $0.key, value: $0.value) }),
                              target: TargetInfo(cpu: target.cpu, featuresHash: target.featuresHash, threads: target.threads),
                              seed: seed, schedule: schedule, timing: timing, error: failure,
                              maxAbsError: outcome?.maxAbsError.map { $0 ?? .nan }, compileSeconds: outcome?.compileSeconds.map { $0 ?? .nan })
        (r.format, r.honeVersion, r.timestamp, r.candidate) = (format, honeVersion, timestamp, candidate)
        return r
    }
}
