import BenchCeiling
import Foundation

/// report.json: the table of report.md for programs (medians in seconds;
/// ratios are speed ratios, above 1 the first-named is faster; a key is
/// left out where the report says "—").
public struct SuiteReportJSON: Codable, Sendable {
    /// Bumped when a field changes meaning.
    public var format = 1
    public var date: String
    public var cpu: String
    public var threads: Int
    public var rows: [Row]
    public var ceilings: Ceilings

    public struct Row: Codable, Sendable {
        public var id: String
        public var kernel: String
        public var parameters: String
        public var flops: Int
        public var defaultSeconds: Double?
        public var handSeconds: Double?
        public var tunedSeconds: Double?
        public var bestBaseline: String?
        public var bestBaselineSeconds: Double?
        public var tunedOverBestBaseline: Double?
        public var unsteady: Bool
        /// "none" (no ceiling on this CPU), "timed" or "invalid".
        public var ceilingState: String
        /// The stored ceiling's median in this run.
        public var ceilingSeconds: Double?
        /// "hand" or "tuned" when the ceiling is that schedule (timed once, under its name).
        public var ceilingIsAlso: String?
        /// The best time known: the ceiling, or this run's hand or tuned schedule where faster.
        public var bestKnownSeconds: Double?
        public var ceilingOverBestLibrary: Double?
        public var tunedOverCeiling: Double?
        /// "tuned", "hand": this run's schedules faster than the stored ceiling.
        public var ceilingBeatenBy: [String]
    }

    public struct Ceilings: Codable, Sendable {
        public var ceilingOverBestLibraryGeometricMean: Double?
        public var ceilingOverBestLibraryRows: Int
        public var tunedOverCeilingGeometricMean: Double?
        public var tunedOverCeilingRows: Int
        public var shortfall: Double
        /// Rows whose ceiling / best library is below `shortfall`.
        public var belowBestLibrary: [String]
        public var withoutCeiling: [String]
    }

    public init(_ results: [RowResult], date: String, cpu: String, threads: Int) {
        self.date = date
        self.cpu = cpu
        self.threads = threads
        rows = results.map { r in
            let standing = r.ceiling
            return Row(id: r.row.id, kernel: r.row.kernel, parameters: r.row.setArgument, flops: r.flops,
                       defaultSeconds: r.defaultSeconds, handSeconds: r.handSeconds, tunedSeconds: r.tunedSeconds,
                       bestBaseline: r.bestBaseline?.name, bestBaselineSeconds: r.bestBaseline?.seconds,
                       tunedOverBestBaseline: r.tunedOverBaseline, unsteady: r.isUnsteady, ceilingState: r.ceilingState.rawValue,
                       ceilingSeconds: standing.stored, ceilingIsAlso: r.ceilingIsAlso?.rawValue, bestKnownSeconds: standing.seconds, ceilingOverBestLibrary: standing.overLibrary,
                       tunedOverCeiling: standing.tunedOverCeiling, ceilingBeatenBy: standing.beatenBy.map(\.name))
        }
        let summary = CeilingSummary(results.map { ($0.row.id, $0.ceiling) })
        ceilings = Ceilings(ceilingOverBestLibraryGeometricMean: summary.overLibraryMean, ceilingOverBestLibraryRows: summary.overLibraryRows,
                            tunedOverCeilingGeometricMean: summary.tunedOverCeilingMean, tunedOverCeilingRows: summary.tunedOverCeilingRows,
                            shortfall: summary.shortfall, belowBestLibrary: summary.belowLibrary.map(\.row),
                            withoutCeiling: summary.withoutCeiling)
    }

    /// Pretty, key-sorted JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
