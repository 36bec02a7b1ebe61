import Foundation
import HoneIR
import HoneSchedule

/// One measured candidate, as one line of a records file (JSON Lines):
///
///     {"format":1,"hone_version":"0.1.0","timestamp":"2025-06-01T12:00:00.123Z",
///      "kernel":{"name":"gemm","hash":"…","parameters":{"M":1024,"N":1024,"K":1024}},
///      "target":{"cpu":"znver4","features_hash":"…","threads":2},"seed":1,
///      "schedule":{"steps":[…]},"candidate":{"decisions":[[…]],"sketch":"…","strategy":"evolutionary"},
///      "result":{"median_s":…,"min_s":…,"spread":…,"samples_s":[…],"number":3,"max_abs_error":…,"compile_s":…}}
///
/// (on one line), or `"error":{"kind":"runtime_crash","message":"SIGSEGV …"}`
/// in place of `"result"`. Keys are snake_case and stable, each spelled once
/// below (`CodingKeys` and the key enums after it); readers ignore keys they
/// do not know. The schedule uses `Schedule`'s JSON form, keys sorted.
///
/// The format has one writer, `jsonLine`, and one reader, `RecordsLog`'s
/// scanner (`MeasureRecord+Reading.swift`). Through `Codable` instead,
/// JSONEncoder takes 3.9 times as long to write 50,000 records and
/// JSONDecoder 22 times as long to read them (bench-measure, section 4),
/// and neither keeps the members' order: here a line read and written back
/// is the same bytes.
public struct MeasureRecord: Hashable, Sendable {
    public static let formatVersion = 1

    public var format: Int
    public var honeVersion: String
    /// ISO 8601, UTC, milliseconds.
    public var timestamp: String
    public var kernel: KernelIdentity
    public var target: TargetInfo
    /// The seed of the random inputs the candidate was checked on.
    public var seed: UInt64
    /// The schedule as compact JSON (decoded on demand: `schedule()`).
    public var scheduleJSON: String
    public var timing: Timing?
    public var error: MeasureError?
    public var maxAbsError: Double?
    /// Lowering plus LLVM (seconds).
    public var compileSeconds: Double?
    /// The 1-based line it was read from (nil for a record not read from a file).
    public var line: Int?
    /// How a search produced the schedule; nil for schedules measured outside a search.
    public var candidate: CandidateTrace?

    /// The members of a record line.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case format, honeVersion = "hone_version", timestamp, kernel, target, seed, schedule, candidate
        /// A timing (`OutcomeKeys`), or else `error`.
        case result, error
    }

    /// The members of `kernel`.
    public enum KernelKeys: String, CodingKey, CaseIterable {
        /// `parameters` is an object: one member per parameter, in the kernel's order.
        case name, hash, parameters
    }

    /// The members of `target`.
    public enum TargetKeys: String, CodingKey, CaseIterable {
        case cpu, featuresHash = "features_hash", threads
    }

    /// The members of `result` and of `error`.
    public enum OutcomeKeys: String, CodingKey, CaseIterable {
        /// `result`: the samples (seconds per run, one per timed batch) and
        /// the runs per batch. The median, minimum and spread are written for
        /// people and other tools; readers derive them from the samples.
        case median = "median_s", minimum = "min_s", spread, samples = "samples_s", number
        /// `error`: a `MeasureError.Kind` raw value and the message.
        case kind, message
        /// Either: the largest error against the reference, and the compile time.
        case maxAbsError = "max_abs_error", compileSeconds = "compile_s"
    }

    public init(kernel: KernelIdentity, target: TargetInfo, seed: UInt64, schedule: Schedule,
                timing: Timing?, error: MeasureError?, maxAbsError: Double? = nil, compileSeconds: Double? = nil,
                timestamp: Date = Date()) {
        self.init(kernel: kernel, target: target, seed: seed, scheduleJSON: compactJSON(schedule), timing: timing, error: error,
                  maxAbsError: maxAbsError, compileSeconds: compileSeconds, timestamp: iso8601(timestamp))
    }

    /// The record of a measured candidate.
    public init(_ input: MeasureInput, _ result: MeasureResult, target: TargetInfo, candidate: CandidateTrace? = nil,
                timestamp: Date = Date()) {
        self.init(kernel: input.task.identity, target: target, seed: input.task.seed, schedule: input.schedule,
                  timing: result.timing, error: result.error, maxAbsError: result.maxAbsError ?? result.error?.maxAbsError,
                  compileSeconds: result.phases.compiling > 0 ? result.phases.compiling : nil, timestamp: timestamp)
        self.candidate = candidate
    }

    /// Every field as given (readers use it).
    init(format: Int = formatVersion, honeVersion: String = HoneMeasure.honeVersion, kernel: KernelIdentity, target: TargetInfo,
         seed: UInt64, scheduleJSON: String, candidate: CandidateTrace? = nil, timing: Timing?, error: MeasureError?,
         maxAbsError: Double?, compileSeconds: Double?, timestamp: String, line: Int? = nil) {
        self.format = format
        self.honeVersion = honeVersion
        self.timestamp = timestamp
        self.kernel = kernel
        self.target = target
        self.seed = seed
        self.scheduleJSON = scheduleJSON
        self.candidate = candidate
        self.timing = timing
        self.error = error
        self.maxAbsError = maxAbsError
        self.compileSeconds = compileSeconds
        self.line = line
    }

    /// The median seconds per run; nil for an error.
    public var seconds: Double? { timing?.median }

    /// How the record came to be; a record without a candidate was measured by `hone measure`.
    public var origin: RecordOrigin { candidate?.origin ?? .measure }

    public func schedule() throws -> Schedule {
        do {
            return try JSONDecoder().decode(Schedule.self, from: Data(scheduleJSON.utf8))
        } catch {
            throw HoneError("\(line.map { "line \($0): " } ?? "")not a valid schedule: \(error)")
        }
    }

    /// The record as one JSON line (without the newline), members in the
    /// order of the keys above and the kernel's parameters in its order.
    public var jsonLine: String {
        var w = JSONWriter()
        w.object { w in
            w.key(CodingKeys.format); w.number(format)
            w.key(CodingKeys.honeVersion); w.string(honeVersion)
            w.key(CodingKeys.timestamp); w.string(timestamp)
            w.key(CodingKeys.kernel)
            w.object { w in
                w.key(KernelKeys.name); w.string(kernel.name)
                w.key(KernelKeys.hash); w.string(kernel.hash)
                w.key(KernelKeys.parameters)
                w.object { w in for p in kernel.parameters { w.key(p.name); w.number(p.value) } }
            }
            w.key(CodingKeys.target)
            w.object { w in
                w.key(TargetKeys.cpu); w.string(target.cpu)
                w.key(TargetKeys.featuresHash); w.string(target.featuresHash)
                w.key(TargetKeys.threads); w.number(target.threads)
            }
            w.key(CodingKeys.seed); w.number(seed)
            w.key(CodingKeys.schedule); w.raw(scheduleJSON)
            if let candidate { w.key(CodingKeys.candidate); w.raw(compactJSON(candidate)) }
            let error = timing == nil ? error ?? MeasureError(.unknown, "no result") : nil
            w.key(error == nil ? CodingKeys.result : CodingKeys.error)
            w.object { w in
                if let timing {
                    w.key(OutcomeKeys.median); w.number(timing.median)
                    w.key(OutcomeKeys.minimum); w.number(timing.minimum)
                    w.key(OutcomeKeys.spread); w.number(timing.spread)
                    w.key(OutcomeKeys.samples); w.array(timing.samples) { $0.number($1) }
                    w.key(OutcomeKeys.number); w.number(timing.number)
                } else if let error {
                    w.key(OutcomeKeys.kind); w.string(error.kind.rawValue)
                    w.key(OutcomeKeys.message); w.string(error.message)
                }
                if let maxAbsError { w.key(OutcomeKeys.maxAbsError); w.number(maxAbsError) }
                if let compileSeconds { w.key(OutcomeKeys.compileSeconds); w.number(compileSeconds) }
            }
        }
        return w.text
    }
}

/// Compact, key-sorted JSON (no escaped slashes): a schedule or a candidate in a record.
func compactJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
}
