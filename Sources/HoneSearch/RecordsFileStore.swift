import Foundation
import HoneMeasure

/// A records file as the tuning loop's store: read once, on first use; then
/// appended per batch (flushed to disk before the next batch starts) and
/// kept in memory, so a tune reads its file once.
public final class RecordsFileStore: TuningRecordStore {
    public let log: RecordsLog
    /// Lines skipped when reading (torn or corrupt), "FILE:LINE: skipped: reason".
    public private(set) var warnings: [String] = []
    private var loaded: [MeasureRecord]?

    public init(path: String) { log = RecordsLog(path: path) }

    public func records(of kernel: KernelIdentity, on target: TargetInfo) throws -> [MeasureRecord] {
        try all().records(of: kernel, on: target)
    }

    public func append(_ records: [MeasureRecord]) throws {
        _ = try all()
        try log.append(records)
        loaded! += records
    }

    private func all() throws -> [MeasureRecord] {
        if let loaded { return loaded }
        var records: [MeasureRecord] = []
        if FileManager.default.fileExists(atPath: log.path) {
            let file = try RecordsLog.load(path: log.path)
            warnings = file.warnings
            records = file.records
        } else {
            try log.prepare()
        }
        loaded = records
        return records
    }
}
