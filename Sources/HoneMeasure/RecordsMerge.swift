import Foundation
import HoneIR

/// Records files joined into one, as shards of a tune are: every line is
/// read with the records reader and kept as written (byte for byte, so no
/// field is lost to a re-encoding); a line that does not read (torn by a
/// writer that died, corrupt) is reported and skipped; a line identical to
/// one already kept is dropped. The lines come out ordered by their
/// timestamp, then by their text, so merging is order-independent
/// (merge(A, B) = merge(B, A)) and idempotent (merge(merge(A)) = merge(A),
/// merge(M, A) = M when M already holds A).
public struct RecordsMerge: Sendable {
    /// The kept lines, in output order, without their newlines.
    public private(set) var lines: [String] = []
    /// Lines that did not read, "FILE:LINE: skipped: reason".
    public private(set) var warnings: [String] = []
    /// Valid lines dropped as copies of a kept one.
    public private(set) var duplicates = 0
    /// Per input: its path and the valid lines it had.
    public private(set) var inputs: [(path: String, valid: Int)] = []

    public init() {}

    /// Merges the files; a file that cannot be read is an error (nothing is written then).
    public static func merge(paths: [String]) throws -> RecordsMerge {
        var merge = RecordsMerge()
        var seen = Set<String>()
        var kept: [(timestamp: String, line: String)] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HoneError("cannot read records file \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
            }
            let loaded = RecordsLog.parse(data, name: path)
            merge.warnings += loaded.warnings
            let text = data.split(separator: 10, omittingEmptySubsequences: false)
            for record in loaded.records {
                guard let number = record.line, number >= 1, number <= text.count else {
                    preconditionFailure("the records reader returned a record without its line number")
                }
                let line = String(decoding: text[text.startIndex + number - 1], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if seen.insert(line).inserted {
                    kept.append((record.timestamp, line))
                } else {
                    merge.duplicates += 1
                }
            }
            merge.inputs.append((path, loaded.records.count))
        }
        kept.sort { $0.timestamp != $1.timestamp ? $0.timestamp < $1.timestamp : $0.line < $1.line }
        merge.lines = kept.map(\.line)
        return merge
    }

    /// The merged file's text: one record per line.
    public var text: String { lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n" }

    /// Writes the merged lines to `path` through a temporary file renamed
    /// over it, so a reader never sees half a file and an input given as
    /// the output is only replaced once everything was read.
    public func write(to path: String) throws {
        let temporary = "\(path).merge-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw HoneError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HoneError("cannot rename \(temporary) to \(path): \(reason)")
        }
    }
}
