import Foundation
import HoneIR

/// The records of a file, and what was skipped reading it.
public struct LoadedRecords: Sendable {
    public var records: [MeasureRecord]
    /// One per skipped line: "FILE:LINE: skipped: reason".
    public var warnings: [String]
    /// How much of the file was read: where a reader of appended lines goes on from.
    public var bytesRead = 0
    /// The lines in those bytes.
    public var linesRead = 0

    public init(records: [MeasureRecord] = [], warnings: [String] = []) {
        self.records = records
        self.warnings = warnings
    }

    /// The successful record with the smallest median for a kernel on a
    /// target (TVM's ApplyHistoryBest), or nil.
    public func best(for kernel: KernelIdentity, target: TargetInfo) -> MeasureRecord? {
        var best: MeasureRecord?
        for r in records where r.measures(kernel, on: target) {
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

    /// Appends `records`; returns the bytes they occupy in the file (so a
    /// reader of the same file can tell its own lines from other writers').
    @discardableResult
    public func append(_ records: [MeasureRecord]) throws -> Range<Int> {
        guard !records.isEmpty else { return 0..<0 }
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
        guard fstat(fd, &info) == 0 else { throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))") }
        var start = Int(info.st_size)
        if start > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, info.st_size - 1) == 1, last != 10 { text = "\n" + text; start += 1 }
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
        return start ..< Int(info.st_size) + count
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
        var loaded = bytes.withUnsafeBufferPointer { parse($0.baseAddress!, size: size, name: path) }
        loaded.bytesRead = size
        return loaded
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
            // Each task reads `base` and writes its own slot of `results`.
            ParallelRunner(threads: ParallelRunner.coreCount).run(tasks: chunkCount) { c in
                let lines = lineRanges
                let from = lines.count * c / chunkCount, to = lines.count * (c + 1) / chunkCount
                var out = LoadedRecords()
                var reader = RecordReader()
                out.records.reserveCapacity(to - from)
                for index in from ..< to {
                    let range = lines[index]
                    var a = range.lowerBound, b = range.upperBound
                    while a < b, base[a] == 0x20 || base[a] == 0x09 || base[a] == 0x0D { a += 1 }
                    while b > a, base[b - 1] == 0x20 || base[b - 1] == 0x09 || base[b - 1] == 0x0D { b -= 1 }
                    if a == b { continue }  // blank line
                    do {
                        var scanner = JSONScanner(base: base, start: a, end: b)
                        out.records.append(try reader.read(&scanner, line: index + 1))
                    } catch {
                        let torn = index == lines.count - 1 && range.upperBound == size
                        out.warnings.append("\(name):\(index + 1): skipped: \(torn ? "incomplete last line (a torn write?): " : "")\(error)")
                    }
                }
                results[c] = out
            }
        }
        var all = LoadedRecords()
        all.linesRead = lines.count
        all.records.reserveCapacity(lines.count)
        for chunk in chunks {
            all.records += chunk.records
            all.warnings += chunk.warnings
        }
        return all
    }
}
