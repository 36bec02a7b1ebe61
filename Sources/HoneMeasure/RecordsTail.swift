import Foundation
import HoneIR

/// Follows a records file that other processes append to: each `read`
/// returns the complete lines written since the last one, leaving out the
/// reader's own appends (their byte ranges, from `RecordsLog.append`).
/// Two tunes sharing a file thereby learn what the other measured.
public struct RecordsTail: Sendable {
    public let path: String
    /// The file is read up to here (the end of its last complete line).
    public private(set) var offset: Int
    /// The line number of the line starting at `offset`, minus one.
    private var linesBefore: Int
    private var own: [Range<Int>] = []

    /// Starts after `loaded`, the file as `RecordsLog.load` read it.
    public init(path: String, after loaded: LoadedRecords) {
        self.path = path
        offset = loaded.bytesRead
        linesBefore = loaded.linesRead
    }

    /// Bytes this process appended: `read` skips them.
    public mutating func skip(_ bytes: Range<Int>) {
        if !bytes.isEmpty { own.append(bytes) }
    }

    /// The records other writers appended since the last read; a corrupt
    /// line is skipped with a warning naming it, a line still being written
    /// waits for the next read.
    public mutating func read() throws -> LoadedRecords {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HoneError("cannot read records file \(path): \(String(cString: strerror(errno)))") }
        let size = Int(info.st_size)
        guard size > offset else { return LoadedRecords() }
        var bytes = [UInt8](repeating: 0, count: size - offset + 1)  // + a NUL terminator for the number parser
        var got = 0
        while got < size - offset {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, size - offset - got, off_t(offset + got)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            got += n
        }
        var out = LoadedRecords()
        var reader = RecordReader()
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            while start < got, let found = memchr(base + start, 10, got - start) {
                let end = UnsafeRawPointer(found) - UnsafeRawPointer(base)
                linesBefore += 1
                let lineStart = offset + start
                if !own.contains(where: { $0.contains(lineStart) }) {
                    var a = start, b = end
                    while a < b, base[a] == 0x20 || base[a] == 0x09 || base[a] == 0x0D { a += 1 }
                    while b > a, base[b - 1] == 0x20 || base[b - 1] == 0x09 || base[b - 1] == 0x0D { b -= 1 }
                    if a < b {
                        do {
                            var scanner = JSONScanner(base: base, start: a, end: b)
                            out.records.append(try reader.read(&scanner, line: linesBefore))
                        } catch {
                            out.warnings.append("\(path):\(linesBefore): skipped: \(error)")
                        }
                    }
                }
                start = end + 1
            }
        }
        offset += start
        own.removeAll { $0.upperBound <= offset }
        out.bytesRead = start
        return out
    }
}
