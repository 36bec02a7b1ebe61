import Foundation
import HoneIR
import HoneSchedule

/// A record through any coder, with the keys of a record line. Two things
/// differ from `RecordsLog`'s own reading and writing, which is what records
/// files use: JSONDecoder and JSONEncoder do not keep the order of an
/// object's members, so the kernel's parameters come back sorted by name;
/// and a coder cannot keep the schedule's text, so a schedule this version
/// cannot decode fails the record instead of failing only `schedule()`.
/// JSONDecoder is also over ten times slower (bench-measure, section 4).
extension MeasureRecord: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var parts = RecordParts()
        parts.format = try c.decodeIfPresent(Int.self, forKey: .format) ?? 0
        parts.honeVersion = try c.decodeIfPresent(String.self, forKey: .honeVersion) ?? ""
        parts.timestamp = try c.decodeIfPresent(String.self, forKey: .timestamp) ?? ""
        parts.seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        if c.contains(.kernel) {
            let k = try c.nestedContainer(keyedBy: KernelKeys.self, forKey: .kernel)
            let p = try k.nestedContainer(keyedBy: NameKey.self, forKey: .parameters)
            let parameters = try p.allKeys.map { Parameter(name: $0.stringValue, value: try p.decode(Int.self, forKey: $0)) }
            parts.kernel = KernelIdentity(name: try k.decode(String.self, forKey: .name), hash: try k.decode(String.self, forKey: .hash),
                                          parameters: parameters.sorted { $0.name < $1.name })
        }
        if c.contains(.target) {
            let t = try c.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
            parts.target = TargetInfo(cpu: try t.decode(String.self, forKey: .cpu), featuresHash: try t.decode(String.self, forKey: .featuresHash),
                                      threads: try t.decode(Int.self, forKey: .threads))
        }
        parts.scheduleJSON = try c.decodeIfPresent(Schedule.self, forKey: .schedule).map(compactJSON)
        parts.candidate = try? c.decodeIfPresent(CandidateTrace.self, forKey: .candidate)
        if c.contains(.result) {
            let r = try c.nestedContainer(keyedBy: OutcomeKeys.self, forKey: .result)
            var samples = try r.nestedUnkeyedContainer(forKey: .samples)
            parts.samples = []
            while !samples.isAtEnd { parts.samples!.append(try samples.decodeNil() ? .nan : try samples.decode(Double.self)) }
            parts.number = try r.decode(Int.self, forKey: .number)
            (parts.maxAbsError, parts.compileSeconds) = (try r.number(.maxAbsError), try r.number(.compileSeconds))
        } else if c.contains(.error) {
            let e = try c.nestedContainer(keyedBy: OutcomeKeys.self, forKey: .error)
            parts.errorKind = try e.decode(String.self, forKey: .kind)
            parts.errorMessage = try e.decodeIfPresent(String.self, forKey: .message) ?? ""
            (parts.maxAbsError, parts.compileSeconds) = (try e.number(.maxAbsError), try e.number(.compileSeconds))
        }
        self = try parts.record(line: nil)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(honeVersion, forKey: .honeVersion)
        try c.encode(timestamp, forKey: .timestamp)
        var k = c.nestedContainer(keyedBy: KernelKeys.self, forKey: .kernel)
        try k.encode(kernel.name, forKey: .name)
        try k.encode(kernel.hash, forKey: .hash)
        var p = k.nestedContainer(keyedBy: NameKey.self, forKey: .parameters)
        for parameter in kernel.parameters { try p.encode(parameter.value, forKey: NameKey(parameter.name)) }
        var t = c.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
        try t.encode(target.cpu, forKey: .cpu)
        try t.encode(target.featuresHash, forKey: .featuresHash)
        try t.encode(target.threads, forKey: .threads)
        try c.encode(seed, forKey: .seed)
        try c.encode(try schedule(), forKey: .schedule)
        try c.encodeIfPresent(candidate, forKey: .candidate)
        var o = c.nestedContainer(keyedBy: OutcomeKeys.self, forKey: timing == nil ? .error : .result)
        if let timing {
            try o.encodeNumber(timing.median, forKey: .median)
            try o.encodeNumber(timing.minimum, forKey: .minimum)
            try o.encodeNumber(timing.spread, forKey: .spread)
            var samples = o.nestedUnkeyedContainer(forKey: .samples)
            for s in timing.samples { if s.isFinite { try samples.encode(s) } else { try samples.encodeNil() } }
            try o.encode(timing.number, forKey: .number)
        } else {
            let error = error ?? MeasureError(.unknown, "no result")
            try o.encode(error.kind.rawValue, forKey: .kind)
            try o.encode(error.message, forKey: .message)
        }
        if let maxAbsError { try o.encodeNumber(maxAbsError, forKey: .maxAbsError) }
        if let compileSeconds { try o.encodeNumber(compileSeconds, forKey: .compileSeconds) }
    }
}

/// A key named at run time: a kernel parameter.
private struct NameKey: CodingKey {
    var stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == MeasureRecord.OutcomeKeys {
    /// A number, null for NaN (as records write it), or nil when absent.
    fileprivate func number(_ key: Key) throws -> Double? {
        guard contains(key) else { return nil }
        return try decodeNil(forKey: key) ? .nan : decode(Double.self, forKey: key)
    }
}

extension KeyedEncodingContainer where Key == MeasureRecord.OutcomeKeys {
    /// JSON has no NaN or infinities: they are written as null.
    fileprivate mutating func encodeNumber(_ x: Double, forKey key: Key) throws {
        if x.isFinite { try encode(x, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
