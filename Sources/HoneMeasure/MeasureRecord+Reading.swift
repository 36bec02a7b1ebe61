import HoneIR

/// What the reader found on a record line; `record(line:)` checks it and
/// makes the record.
struct RecordParts {
    var format = 0
    var honeVersion = ""
    var timestamp = ""
    var kernel: KernelIdentity?
    var target: TargetInfo?
    var seed: UInt64 = 1
    var scheduleJSON: String?
    var candidate: CandidateTrace?
    /// `result` was present: its samples and runs per batch.
    var samples: [Double]?
    var number = 0
    /// `error` was present: its kind (as written) and message.
    var errorKind: String?
    var errorMessage = ""
    var maxAbsError: Double?
    var compileSeconds: Double?

    func record(line: Int?) throws -> MeasureRecord {
        guard format == MeasureRecord.formatVersion else {
            throw HoneError(format == 0 ? "missing format" : "unsupported format \(format) (this Hone reads format \(MeasureRecord.formatVersion))")
        }
        guard let kernel, !kernel.name.isEmpty, !kernel.hash.isEmpty else { throw HoneError("missing or invalid kernel") }
        guard let target, !target.cpu.isEmpty, target.threads > 0 else { throw HoneError("missing or invalid target") }
        guard let scheduleJSON else { throw HoneError("missing schedule") }
        var timing: Timing?, error: MeasureError?
        if let samples {
            guard !samples.isEmpty, number > 0 else { throw HoneError("a result without samples_s or number") }
            timing = Timing(samples: samples, number: number)
        } else if let errorKind {
            let kind = MeasureError.Kind(rawValue: errorKind) ?? .unknown
            error = MeasureError(kind, kind.rawValue == errorKind ? errorMessage : "\(errorKind): \(errorMessage)", maxAbsError: maxAbsError)
        } else {
            throw HoneError("neither a result nor an error")
        }
        return MeasureRecord(format: format, honeVersion: honeVersion, kernel: kernel, target: target, seed: seed,
                             scheduleJSON: scheduleJSON, candidate: candidate, timing: timing, error: error,
                             maxAbsError: maxAbsError, compileSeconds: compileSeconds, timestamp: timestamp, line: line)
    }
}

/// Reads record lines with `JSONScanner`: fields are decoded in place, the
/// schedule is kept as text, and repeated strings (kernel, hash, CPU) are
/// shared between lines. Unknown keys are skipped, so newer writers can add
/// fields. A candidate that cannot be read is dropped, not the record.
struct RecordReader {
    private let recordKeys = KeyTable<MeasureRecord.CodingKeys>()
    private let kernelKeys = KeyTable<MeasureRecord.KernelKeys>()
    private let targetKeys = KeyTable<MeasureRecord.TargetKeys>()
    private let outcomeKeys = KeyTable<MeasureRecord.OutcomeKeys>()
    private let candidateKeys = KeyTable<CandidateTrace.CodingKeys>()
    private var interner = StringInterner()
    private var lastParameters: ([UInt8], [Parameter]) = ([], [])

    mutating func read(_ s: inout JSONScanner, line: Int) throws -> MeasureRecord {
        var parts = RecordParts()
        let base = s.base
        try s.members { s, key in
            switch self.recordKeys(key) {
            case .format: parts.format = try s.readInt()
            case .honeVersion: parts.honeVersion = try self.string(&s, slot: 0)
            case .timestamp: parts.timestamp = try s.readString()
            case .seed: parts.seed = try s.readUInt64()
            case .kernel: parts.kernel = try self.kernel(&s)
            case .target: parts.target = try self.target(&s)
            case .schedule:
                let range = try s.rawValue()
                parts.scheduleJSON = String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
            case .candidate:
                let start = s.i
                do {
                    parts.candidate = try self.candidate(&s)
                } catch {
                    (s.i, parts.candidate) = (start, nil)
                    try s.skipValue()
                }
            case .result:
                parts.samples = []
                try self.outcome(&s, &parts, isResult: true)
            case .error: try self.outcome(&s, &parts, isResult: false)
            case nil: try s.skipValue()
            }
        }
        try s.expectEnd()
        return try parts.record(line: line)
    }

    private mutating func kernel(_ s: inout JSONScanner) throws -> KernelIdentity {
        var kernel = KernelIdentity(name: "", hash: "", parameters: [])
        let base = s.base
        try s.members { s, key in
            switch self.kernelKeys(key) {
            case .name: kernel.name = try self.string(&s, slot: 1)
            case .hash: kernel.hash = try self.string(&s, slot: 2)
            case .parameters:
                let range = try s.rawValue()
                let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
                if bytes.elementsEqual(self.lastParameters.0) {
                    kernel.parameters = self.lastParameters.1
                } else {
                    var inner = JSONScanner(base: base, start: range.lowerBound, end: range.upperBound)
                    var parameters: [Parameter] = []
                    try inner.members { s, key in
                        parameters.append(Parameter(name: String(decoding: key, as: UTF8.self), value: try s.readInt()))
                    }
                    kernel.parameters = parameters
                    self.lastParameters = (Array(bytes), parameters)
                }
            case nil: try s.skipValue()
            }
        }
        return kernel
    }

    private mutating func target(_ s: inout JSONScanner) throws -> TargetInfo {
        var target = TargetInfo(cpu: "", featuresHash: "", threads: 0)
        try s.members { s, key in
            switch self.targetKeys(key) {
            case .cpu: target.cpu = try self.string(&s, slot: 3)
            case .featuresHash: target.featuresHash = try self.string(&s, slot: 4)
            case .threads: target.threads = try s.readInt()
            case nil: try s.skipValue()
            }
        }
        return target
    }

    /// The members of `result` or `error`.
    private func outcome(_ s: inout JSONScanner, _ parts: inout RecordParts, isResult: Bool) throws {
        try s.members { s, key in
            switch (outcomeKeys(key), isResult) {
            case (.samples, true):
                var samples: [Double] = []
                try s.elements { s in samples.append(try s.readDouble()) }
                parts.samples = samples
            case (.number, true): parts.number = try s.readInt()
            case (.kind, false): parts.errorKind = try s.readString()
            case (.message, false): parts.errorMessage = try s.readString()
            case (.maxAbsError, _): parts.maxAbsError = try s.readDouble()
            case (.compileSeconds, _): parts.compileSeconds = try s.readDouble()
            default: try s.skipValue()  // median_s, min_s, spread: derived from the samples
            }
        }
    }

    private mutating func candidate(_ s: inout JSONScanner) throws -> CandidateTrace {
        var trace = CandidateTrace(origin: .other(""))
        var hasOrigin = false
        try s.members { s, key in
            switch candidateKeys(key) {
            case .sketch: trace.sketch = try self.string(&s, slot: 5)
            case .decisions:
                var decisions: [[Int]] = []
                try s.elements { s in
                    var decision: [Int] = []
                    try s.elements { s in decision.append(try s.readInt()) }
                    decisions.append(decision)
                }
                trace.decisions = decisions
            case .origin: (trace.origin, hasOrigin) = (RecordOrigin(rawValue: try self.string(&s, slot: 6)), true)
            case .predicted:
                let predicted = try s.readDouble()
                trace.predicted = predicted.isFinite ? Float(predicted) : nil
            case nil: try s.skipValue()
            }
        }
        guard hasOrigin else { throw HoneError("a candidate without a strategy") }
        return trace
    }

    private mutating func string(_ s: inout JSONScanner, slot: Int) throws -> String {
        if let bytes = try s.plainStringBytes() { return interner.string(bytes, slot: slot) }
        return try s.readString()
    }
}
