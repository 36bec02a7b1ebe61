import BenchCeiling
import Foundation
import Hone

/// A measured row, with what the report says about it.
public struct RowResult {
    public var row: SuiteRow
    public var flops: Int
    public var bytesMoved: Int
    public var timings: RowTimings
    public var tuned: TunedState
    public var tuning: TuningSummary?
    public var problems: [(String, String)]
    public var verification: String
    /// Contender name and role, in timing order.
    public var contenders: [(String, Contender.Role)]
    /// The hand or tuned schedule the ceiling is, timed once under that name.
    public var ceilingIsAlso: Contender.Role?
    /// How the stored ceiling was made, when its provenance file could be read.
    public var ceilingProvenance: CeilingProvenance?

    public init(_ prepared: PreparedRow, timings: RowTimings, tuning: TuningSummary?) {
        row = prepared.row
        let cost = KernelCost(prepared.kernel)
        flops = creditedFlops(prepared.kernel)
        bytesMoved = cost.bytesMoved
        self.timings = timings
        tuned = prepared.tuned
        self.tuning = tuning
        problems = prepared.problems
        verification = prepared.verification
        contenders = prepared.contenders.map { ($0.name, $0.role) }
        ceilingIsAlso = prepared.ceilingIsAlso
    }

    func seconds(_ role: Contender.Role) -> Double? {
        contenders.first { $0.1 == role }.flatMap { timings.medians[$0.0] }
    }

    public var defaultSeconds: Double? { seconds(.honeDefault) }
    public var handSeconds: Double? { seconds(.honeHand) }
    public var tunedSeconds: Double? { seconds(.honeTuned) }
    /// The ceiling's time: its own, or that of the hand or tuned schedule it is.
    public var ceilingSeconds: Double? { seconds(ceilingIsAlso ?? .honeCeiling) }

    /// Whether this CPU has a ceiling for the row and whether it ran.
    public enum CeilingState: String, Sendable { case none, timed, invalid }

    public var ceilingState: CeilingState {
        if problems.contains(where: { $0.0 == ceilingContenderName }) { return .invalid }
        if let role = ceilingIsAlso { return contenders.contains { $0.1 == role } ? .timed : .invalid }
        return contenders.contains { $0.1 == .honeCeiling } ? .timed : .none
    }

    /// The stored ceiling beside this run's hand and tuned schedules and the best library.
    public var ceiling: CeilingStanding {
        CeilingStanding(stored: ceilingSeconds, hand: handSeconds, tuned: tunedSeconds, bestLibrary: bestBaseline?.seconds)
    }

    /// The fastest baseline taking the kernel's own layout.
    public var bestBaseline: (name: String, seconds: Double)? {
        best(of: .baseline)
    }

    /// The fastest baseline in a library's own layout.
    public var bestOwnLayout: (name: String, seconds: Double)? {
        best(of: .ownLayout)
    }

    private func best(of role: Contender.Role) -> (name: String, seconds: Double)? {
        contenders.filter { $0.1 == role }.compactMap { c in timings.medians[c.0].map { (c.0, $0) } }.min { $0.1 < $1.1 }
    }

    /// Tuned speed over the best same-layout baseline's (> 1: Hone is faster).
    public var tunedOverBaseline: Double? {
        guard let tuned = tunedSeconds, let baseline = bestBaseline else { return nil }
        return baseline.seconds / tuned
    }

    /// Whether the tuned schedule's or the best baseline's round spread is
    /// above `spreadLimit`, so that their ratio is not to be trusted.
    public var isUnsteady: Bool {
        let names = [contenders.first { $0.1 == .honeTuned }?.0, bestBaseline?.name].compactMap { $0 }
        return names.contains { (timings.spreads[$0] ?? 0) > spreadLimit }
    }

    /// The fraction of the roofline bound the best Hone schedule reaches:
    /// of peak FLOP/s when the kernel's arithmetic intensity is above the
    /// machine's balance, else of the DRAM bandwidth; and which.
    func rooflineFraction(_ seconds: Double, _ peaks: MachinePeaks) -> (Double, String) {
        let intensity = bytesMoved > 0 ? Double(flops) / Double(bytesMoved) : .infinity
        let balance = peaks.flopsPerSecond / peaks.bytesPerSecond
        if intensity >= balance { return (Double(flops) / seconds / peaks.flopsPerSecond, "peak") }
        return (Double(bytesMoved) / seconds / peaks.bytesPerSecond, "DRAM")
    }
}
