import Foundation
import Hone

/// What a row's records file says about its tuning: how many candidates
/// were measured, how long it took, and the best GFLOP/s after each trial.
public struct TuningSummary: Sendable {
    public var trials: Int
    /// Seconds spent tuning: the spans between consecutive records, leaving
    /// out pauses longer than `TuningSummary.sessionGap` (separate sessions
    /// resumed from the same file).
    public var seconds: Double
    /// Best GFLOP/s so far, after each trial (errors keep the previous best).
    public var curve: [Double]
    /// Records skipped as torn or corrupt.
    public var warnings: [String]

    public var trialsPerSecond: Double? { seconds > 0 ? Double(trials) / seconds : nil }

    public static let sessionGap = 120.0

    /// The summary of `kernel`'s records in `path` (every target), or nil
    /// when the file does not exist.
    public static func load(path: String, kernel: Kernel) throws -> TuningSummary? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let loaded = try RecordsLog.load(path: path)
        let identity = KernelIdentity(kernel)
        let records = loaded.records.filter { $0.kernel.name == identity.name && $0.kernel.hash == identity.hash }
        let flops = Double(KernelCost(kernel).flops)
        var curve: [Double] = []
        var best = 0.0
        for record in records {
            if let s = record.seconds, s > 0 { best = max(best, flops / s / 1e9) }
            curve.append(best)
        }
        let times = records.compactMap { parseISO8601($0.timestamp)?.timeIntervalSince1970 }
        var seconds = 0.0
        for (earlier, later) in zip(times, times.dropFirst()) where later - earlier >= 0 && later - earlier < sessionGap {
            seconds += later - earlier
        }
        return TuningSummary(trials: records.count, seconds: seconds, curve: curve, warnings: loaded.warnings)
    }
}

