import Foundation
import HoneIR
import HoneSchedule

/// One measured candidate, as one line of a records file (JSON Lines):
///
///     {"format":1,"hone_version":"0.1.0","timestamp":"2025-06-01T12:00:00.123Z",
///      "kernel":{"name":"gemm","hash":"…","parameters":{"M":1024,"N":1024,"K":1024}},
///      "target":{"cpu":"znver4","features_hash":"…","threads":2},"seed":1,
///      "schedule":{"steps":[…]},"candidate":{"sketch":"…","decisions":[[…]],"strategy":"evolutionary"},
///      "result":{"median_s":…,"min_s":…,"spread":…,"samples_s":[…],"number":3,"max_abs_error":…,"compile_s":…}}
///
/// (on one line), or `"error":{"kind":"runtime_crash","message":"SIGSEGV …"}`
/// in place of `"result"`. Keys are snake_case and stable; readers ignore
/// keys they do not know. The schedule uses `Schedule`'s JSON form.
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
    /// How a search produced the schedule, as compact JSON (the sketch and its
    /// decisions, the strategy); nil for schedules measured outside a search.
    public var candidate: String?

    public init(kernel: KernelIdentity, target: TargetInfo, seed: UInt64, schedule: Schedule,
                timing: Timing?, error: MeasureError?, maxAbsError: Double? = nil, compileSeconds: Double? = nil,
                timestamp: Date = Date()) {
        format = Self.formatVersion
        honeVersion = HoneMeasure.honeVersion
        self.timestamp = iso8601(timestamp)
        self.kernel = kernel
        self.target = target
        self.seed = seed
        scheduleJSON = compactJSON(schedule)
        self.timing = timing
        self.error = error
        self.maxAbsError = maxAbsError
        self.compileSeconds = compileSeconds
    }

    /// The record of a measured candidate.
    public init(_ input: MeasureInput, _ result: MeasureResult, target: TargetInfo, timestamp: Date = Date()) {
        self.init(kernel: input.task.identity, target: target, seed: input.task.seed, schedule: input.schedule,
                  timing: result.timing, error: result.error, maxAbsError: result.maxAbsError ?? result.error?.maxAbsError,
                  compileSeconds: result.phases.compiling > 0 ? result.phases.compiling : nil, timestamp: timestamp)
    }

    /// The median seconds per run; nil for an error.
    public var seconds: Double? { timing?.median }

    public func schedule() throws -> Schedule {
        do {
            return try JSONDecoder().decode(Schedule.self, from: Data(scheduleJSON.utf8))
        } catch {
            throw HoneError("\(line.map { "line \($0): " } ?? "")not a valid schedule: \(error)")
        }
    }

    /// The record as one JSON line (without the newline).
    public var jsonLine: String {
        var w = JSONWriter()
        w.raw("{\"format\":"); w.number(format)
        w.raw(",\"hone_version\":"); w.string(honeVersion)
        w.raw(",\"timestamp\":"); w.string(timestamp)
        w.raw(",\"kernel\":{\"name\":"); w.string(kernel.name)
        w.raw(",\"hash\":"); w.string(kernel.hash)
        w.raw(",\"parameters\":{")
        for (i, p) in kernel.parameters.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(p.name); w.raw(":"); w.number(p.value)
        }
        w.raw("}},\"target\":{\"cpu\":"); w.string(target.cpu)
        w.raw(",\"features_hash\":"); w.string(target.featuresHash)
        w.raw(",\"threads\":"); w.number(target.threads)
        w.raw("},\"seed\":"); w.number(seed)
        w.raw(",\"schedule\":"); w.raw(scheduleJSON)
        if let candidate { w.raw(",\"candidate\":"); w.raw(candidate) }
        if let timing {
            w.raw(",\"result\":{\"median_s\":"); w.number(timing.median)
            w.raw(",\"min_s\":"); w.number(timing.minimum)
            w.raw(",\"spread\":"); w.number(timing.spread)
            w.raw(",\"samples_s\":[")
            for (i, s) in timing.samples.enumerated() {
                if i > 0 { w.raw(",") }
                w.number(s)
            }
            w.raw("],\"number\":"); w.number(timing.number)
        } else {
            let error = error ?? MeasureError(.unknown, "no result")
            w.raw(",\"error\":{\"kind\":"); w.string(error.kind.rawValue)
            w.raw(",\"message\":"); w.string(error.message)
        }
        if let maxAbsError { w.raw(",\"max_abs_error\":"); w.number(maxAbsError) }
        if let compileSeconds { w.raw(",\"compile_s\":"); w.number(compileSeconds) }
        w.raw("}}")
        return w.text
    }

    /// An empty record, filled in by `RecordDecoder`.
    fileprivate init(line: Int) {
        format = 0
        honeVersion = ""
        timestamp = ""
        kernel = KernelIdentity(name: "", hash: "", parameters: [])
        target = TargetInfo(cpu: "", featuresHash: "", threads: 0)
        seed = 1
        scheduleJSON = ""
        self.line = line
    }
}

/// Reads record lines without building a JSON tree: fields are decoded in
/// place and repeated strings (kernel, hash, CPU) are shared between lines.
/// Unknown keys are skipped, so newer writers can add fields.
struct RecordDecoder {
    private var interner = StringInterner()
    private var lastParameters: ([UInt8], [Parameter]) = ([], [])

    mutating func decode(_ scanner: inout JSONScanner, line: Int) throws -> MeasureRecord {
        var r = MeasureRecord(line: line)
        var sawSchedule = false, sawKernel = false, sawTarget = false
        var hasResult = false
        var errorKind: String?, errorMessage = ""
        var samples: [Double] = [], number = 0
        var maxAbsError: Double?, compileSeconds: Double?
        let base = scanner.base
        try scanner.members { s, key in
            if key.spells("format") { r.format = try s.readInt() }
            else if key.spells("hone_version") { r.honeVersion = try self.string(&s, slot: 0) }
            else if key.spells("timestamp") { r.timestamp = try s.readString() }
            else if key.spells("seed") { r.seed = try s.readUInt64() }
            else if key.spells("kernel") {
                sawKernel = true
                try s.members { s, key in
                    if key.spells("name") { r.kernel.name = try self.string(&s, slot: 1) }
                    else if key.spells("hash") { r.kernel.hash = try self.string(&s, slot: 2) }
                    else if key.spells("parameters") {
                        let range = try s.rawValue()
                        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
                        if bytes.elementsEqual(self.lastParameters.0) {
                            r.kernel.parameters = self.lastParameters.1
                        } else {
                            var inner = JSONScanner(base: base, start: range.lowerBound, end: range.upperBound)
                            var parameters: [Parameter] = []
                            try inner.members { s, key in
                                parameters.append(Parameter(name: String(decoding: key, as: UTF8.self), value: try s.readInt()))
                            }
                            r.kernel.parameters = parameters
                            self.lastParameters = (Array(bytes), parameters)
                        }
                    } else { try s.skipValue() }
                }
            } else if key.spells("target") {
                sawTarget = true
                try s.members { s, key in
                    if key.spells("cpu") { r.target.cpu = try self.string(&s, slot: 3) }
                    else if key.spells("features_hash") { r.target.featuresHash = try self.string(&s, slot: 4) }
                    else if key.spells("threads") { r.target.threads = try s.readInt() }
                    else { try s.skipValue() }
                }
            } else if key.spells("schedule") {
                sawSchedule = true
                let range = try s.rawValue()
                r.scheduleJSON = String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
            } else if key.spells("candidate") {
                let range = try s.rawValue()
                r.candidate = String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
            } else if key.spells("result") {
                hasResult = true
                try s.members { s, key in
                    if key.spells("samples_s") { try s.elements { s in samples.append(try s.readDouble()) } }
                    else if key.spells("number") { number = try s.readInt() }
                    else if key.spells("max_abs_error") { maxAbsError = try s.readDouble() }
                    else if key.spells("compile_s") { compileSeconds = try s.readDouble() }
                    else { try s.skipValue() }  // median_s, min_s, spread: derived from the samples
                }
            } else if key.spells("error") {
                try s.members { s, key in
                    if key.spells("kind") { errorKind = try s.readString() }
                    else if key.spells("message") { errorMessage = try s.readString() }
                    else if key.spells("max_abs_error") { maxAbsError = try s.readDouble() }
                    else if key.spells("compile_s") { compileSeconds = try s.readDouble() }
                    else { try s.skipValue() }
                }
            } else {
                try s.skipValue()
            }
        }
        scanner.skipSpace()
        if scanner.i != scanner.end { throw scanner.error("unexpected text after the record") }
        guard r.format == MeasureRecord.formatVersion else {
            throw HoneError(r.format == 0 ? "missing format" : "unsupported format \(r.format) (this Hone reads format \(MeasureRecord.formatVersion))")
        }
        guard sawKernel, !r.kernel.name.isEmpty, !r.kernel.hash.isEmpty else { throw HoneError("missing or invalid kernel") }
        guard sawTarget, !r.target.cpu.isEmpty, r.target.threads > 0 else { throw HoneError("missing or invalid target") }
        guard sawSchedule else { throw HoneError("missing schedule") }
        if hasResult {
            guard !samples.isEmpty, number > 0 else { throw HoneError("a result without samples_s or number") }
            r.timing = Timing(samples: samples, number: number)
        } else if let errorKind {
            let kind = MeasureError.Kind(rawValue: errorKind) ?? .unknown
            r.error = MeasureError(kind, kind.rawValue == errorKind ? errorMessage : "\(errorKind): \(errorMessage)", maxAbsError: maxAbsError)
        } else {
            throw HoneError("neither a result nor an error")
        }
        r.maxAbsError = maxAbsError
        r.compileSeconds = compileSeconds
        return r
    }

    private mutating func string(_ s: inout JSONScanner, slot: Int) throws -> String {
        if let bytes = try s.plainStringBytes() { return interner.string(bytes, slot: slot) }
        return try s.readString()
    }
}

/// The records of a file, and what was skipped reading it.
public struct LoadedRecords: Sendable {
    public var records: [MeasureRecord]
    /// One per skipped line: "FILE:LINE: skipped: reason".
    public var warnings: [String]

    public init(records: [MeasureRecord] = [], warnings: [String] = []) {
        self.records = records
        self.warnings = warnings
    }

    /// The successful record with the smallest median for a kernel on a
    /// target (TVM's ApplyHistoryBest), or nil.
    public func best(for kernel: KernelIdentity, target: TargetInfo) -> MeasureRecord? {
        var best: MeasureRecord?
        for r in records where r.kernel.hash == kernel.hash && r.kernel.name == kernel.name && r.target == target {
            if let s = r.seconds, s < (best?.seconds ?? .infinity) { best = r }
        }
        return best
    }

    /// The targets with a successful record for a kernel (to explain a miss).
    public func targets(for kernel: KernelIdentity) -> [TargetInfo] {
        var seen: [TargetInfo] = []
        for r in records where r.kernel.hash == kernel.hash && r.kernel.name == kernel.name && r.seconds != nil && !seen.contains(r.target) {
            seen.append(r.target)
        }
        return seen
    }
}

/// An append-only records file (JSON Lines).
///
/// `append` writes a batch as one `write()` of whole lines, holding an
/// exclusive `flock` on a descriptor opened with O_APPEND, then `fsync`s:
/// processes appending to the same file never interleave within a line, and
/// a batch is on disk when `append` returns. If the file does not end with a
/// newline (a writer died mid-line), the batch starts on a fresh line, so the
/// torn line stays one bad line that `load` skips.
public final class RecordsLog {
    public let path: String

    public init(path: String) { self.path = path }

    /// Creates the file if needed; throws now rather than after the first batch
    /// when it cannot be written.
    public func prepare() throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HoneError("cannot open records file \(path): \(String(cString: strerror(errno)))") }
        close(fd)
    }

    public func append(_ records: [MeasureRecord]) throws {
        guard !records.isEmpty else { return }
        var text = ""
        for r in records { text += r.jsonLine; text += "\n" }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)  // read: the last byte
        guard fd >= 0 else { throw HoneError("cannot open records file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw HoneError("cannot lock records file \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, info.st_size - 1) == 1, last != 10 { text = "\n" + text }
        }
        var bytes = Array(text.utf8)
        let count = bytes.count
        var offset = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while offset < count {
                let n = write(fd, buffer.baseAddress! + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HoneError("cannot write records file \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw HoneError("cannot flush records file \(path): \(String(cString: strerror(errno)))") }
    }

    /// Reads every record; a torn or corrupt line is skipped with a warning
    /// naming it, never fatal. A missing file is an error.
    public static func load(path: String) throws -> LoadedRecords {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))") }
        // One extra byte: a NUL terminator, so number parsing stops in time.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var size = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while size < buffer.count - 1 {
                let n = read(fd, buffer.baseAddress! + size, buffer.count - 1 - size)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                size += n
            }
        }
        return bytes.withUnsafeBufferPointer { parse($0.baseAddress!, size: size, name: path) }
    }

    /// Parses records text (JSON Lines). Lines are parsed in parallel.
    public static func parse(_ data: Data, name: String) -> LoadedRecords {
        var bytes = [UInt8](repeating: 0, count: data.count + 1)
        bytes.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        return bytes.withUnsafeBufferPointer { parse($0.baseAddress!, size: data.count, name: name) }
    }

    /// `base[size]` must be readable (a terminator).
    static func parse(_ base: UnsafePointer<UInt8>, size: Int, name: String) -> LoadedRecords {
        // Line starts and ends.
        var lines: [Range<Int>] = []
        lines.reserveCapacity(size / 400 + 1)
        var start = 0
        while start < size {
            let found = memchr(base + start, 10, size - start)
            let end = found.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? size
            lines.append(start ..< end)
            start = end + 1
        }
        let chunkCount = min(max(lines.count / 2000, 1), ProcessInfo.processInfo.activeProcessorCount * 4)
        var chunks = [LoadedRecords](repeating: LoadedRecords(), count: chunkCount)
        let lineRanges = lines
        chunks.withUnsafeMutableBufferPointer { results in
            let shared = SharedPointers(base: base, results: results)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
                let base = shared.base, lines = lineRanges
                let from = lines.count * c / chunkCount, to = lines.count * (c + 1) / chunkCount
                var out = LoadedRecords()
                var decoder = RecordDecoder()
                out.records.reserveCapacity(to - from)
                for index in from ..< to {
                    let range = lines[index]
                    var a = range.lowerBound, b = range.upperBound
                    while a < b, base[a] == 0x20 || base[a] == 0x09 || base[a] == 0x0D { a += 1 }
                    while b > a, base[b - 1] == 0x20 || base[b - 1] == 0x09 || base[b - 1] == 0x0D { b -= 1 }
                    if a == b { continue }  // blank line
                    do {
                        var scanner = JSONScanner(base: base, start: a, end: b)
                        out.records.append(try decoder.decode(&scanner, line: index + 1))
                    } catch {
                        let torn = index == lines.count - 1 && range.upperBound == size
                        out.warnings.append("\(name):\(index + 1): skipped: \(torn ? "incomplete last line (a torn write?): " : "")\(error)")
                    }
                }
                shared.results[c] = out
            }
        }
        var all = LoadedRecords()
        all.records.reserveCapacity(lines.count)
        for chunk in chunks {
            all.records += chunk.records
            all.warnings += chunk.warnings
        }
        return all
    }
}

/// The buffers the parallel parse shares: each task reads `base` and writes its own slot of `results`.
private struct SharedPointers: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    let results: UnsafeMutableBufferPointer<LoadedRecords>
}

/// Compact, key-sorted JSON of a schedule (no escaped slashes).
func compactJSON(_ schedule: Schedule) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(schedule)) ?? Data("{\"steps\":[]}".utf8), as: UTF8.self)
}

/// 2025-06-01T12:00:00.123Z
func iso8601(_ date: Date) -> String {
    let t = date.timeIntervalSince1970
    var seconds = time_t(t.rounded(.down))
    let millis = Int((t - Double(seconds)) * 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                  Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
}

