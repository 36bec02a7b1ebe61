import Foundation

/// A row's stored ceiling beside the schedules and libraries timed in the
/// same suite run. Ratios are speed ratios, as the rest of the report
/// gives them: above 1, the numerator's schedule is faster.
public struct CeilingStanding: Equatable, Sendable {
    /// The stored ceiling's median in this run; nil without a ceiling for
    /// this CPU (or when it could not be timed).
    public var stored: Double?
    public var hand: Double?
    public var tuned: Double?
    /// The fastest library taking the kernel's own layout.
    public var bestLibrary: Double?

    public init(stored: Double?, hand: Double?, tuned: Double?, bestLibrary: Double?) {
        self.stored = stored
        self.hand = hand
        self.tuned = tuned
        self.bestLibrary = bestLibrary
    }

    /// The best time known for the row: the stored ceiling, or this run's
    /// hand or tuned schedule where it was faster. Nil without a stored
    /// ceiling: a ratio to the run's own schedules would say nothing.
    public var seconds: Double? {
        guard let stored else { return nil }
        return ([stored] + beatenBy.map(\.seconds)).min()
    }

    /// This run's schedules that were faster than the stored ceiling,
    /// fastest first ("tuned", "hand"): the ceiling file is out of date.
    public var beatenBy: [(name: String, seconds: Double)] {
        guard let stored else { return [] }
        return [("tuned", tuned), ("hand", hand)].compactMap { name, s in s.flatMap { $0 < stored ? (name, $0) : nil } }
            .sorted { $0.1 < $1.1 }
    }

    /// The best library's time over the ceiling's: what the space can do
    /// (below 1, no schedule Hone knows matches the library).
    public var overLibrary: Double? {
        guard let seconds, let bestLibrary else { return nil }
        return bestLibrary / seconds
    }

    /// The ceiling's time over the tuned schedule's: what the search found
    /// of what the space can do (at most 1; 1 when tuned beat the ceiling).
    public var tunedOverCeiling: Double? {
        guard let seconds, let tuned else { return nil }
        return seconds / tuned
    }
}

/// The report's summary line over rows' standings: geometric means of
/// both ratios over the rows that have them, and the rows whose ceiling
/// falls short of the best library.
public struct CeilingSummary: Sendable {
    public var overLibraryMean: Double?
    public var overLibraryRows: Int
    public var tunedOverCeilingMean: Double?
    public var tunedOverCeilingRows: Int
    /// Rows whose ceiling / best library is below `shortfall`, lowest first.
    public var belowLibrary: [(row: String, ratio: Double)]
    /// Rows whose stored ceiling this run beat, and by what.
    public var beaten: [(row: String, by: [String])]
    public var withoutCeiling: [String]
    public var shortfall: Double

    /// Ceilings below this share of the best library's speed are listed.
    public static let defaultShortfall = 0.9

    public init(_ rows: [(row: String, standing: CeilingStanding)], shortfall: Double = CeilingSummary.defaultShortfall) {
        let overLibrary = rows.compactMap { r in r.standing.overLibrary.map { (r.row, $0) } }
        let tunedOverCeiling = rows.compactMap(\.standing.tunedOverCeiling)
        overLibraryMean = geometricMean(overLibrary.map(\.1))
        overLibraryRows = overLibrary.count
        tunedOverCeilingMean = geometricMean(tunedOverCeiling)
        tunedOverCeilingRows = tunedOverCeiling.count
        belowLibrary = overLibrary.filter { $0.1 < shortfall }.sorted { $0.1 < $1.1 }.map { (row: $0.0, ratio: $0.1) }
        beaten = rows.compactMap { r in r.standing.beatenBy.isEmpty ? nil : (row: r.row, by: r.standing.beatenBy.map(\.name)) }
        withoutCeiling = rows.filter { $0.standing.stored == nil }.map(\.row)
        self.shortfall = shortfall
    }
}

/// The geometric mean of the positive values, or nil when there are none.
public func geometricMean(_ values: [Double]) -> Double? {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    guard !positive.isEmpty else { return nil }
    return exp(positive.map { log($0) }.reduce(0, +) / Double(positive.count))
}
