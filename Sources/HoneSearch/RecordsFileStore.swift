import Foundation
import HoneMeasure

/// A records file as the tuning loop's store: read once, on first use; then
/// appended per batch (flushed to disk before the next batch starts) and
/// kept in memory, so a tune reads its file once. Lines other processes
/// append meanwhile (a second tune on the same file) are picked up by
/// `recordsAppendedElsewhere`, which reads only what is new.
public final class RecordsFileStore: TuningRecordStore {
    public let log: RecordsLog
    /// Lines skipped when reading (torn or corrupt), "FILE:LINE: skipped: reason".
    public private(set) var warnings: [String] = []
    private var loaded: [MeasureRecord]?
    private var tail: RecordsTail?

    public init(path: String) { log = RecordsLog(path: path) }

    public func records(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord] {
        try all().records(of: kernel, on: target)
    }

    public func append(_ records: [MeasureRecord]) throws {
        _ = try all()
        tail!.skip(try log.append(records))
        loaded! += records
    }

    public func recordsAppendedElsewhere(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord] {
        _ = try all()
        let new = try tail!.read()
        warnings += new.warnings
        loaded! += new.records
        return new.records.records(of: kernel, on: target)
    }

    private func all() throws -> [MeasureRecord] {
        if let loaded { return loaded }
        var file = LoadedRecords()
        if FileManager.default.fileExists(atPath: log.path) {
            file = try RecordsLog.load(path: log.path)
            warnings = file.warnings
        } else {
            try log.prepare()
        }
        loaded = file.records
        tail = RecordsTail(path: log.path, after: file)
        return file.records
    }
}
