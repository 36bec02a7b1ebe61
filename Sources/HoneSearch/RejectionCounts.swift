import HoneSchedule

/// Why a schedule the search generated was dropped before the cost model
/// saw it. Sketches should only make schedules that lower, so a count
/// above zero of `doesNotLower` points at a sketch rule.
public enum RejectionReason: Hashable, Sendable, CustomStringConvertible {
    /// Lowering refused the schedule, for this kind of mistake.
    case doesNotLower(ScheduleError.Kind)
    /// Its loop nest would take too long to compile (`estimatedCodeSize`).
    case overCodeSizeBudget

    public var description: String {
        switch self {
        case .doesNotLower(let kind): "does not lower (\(kind))"
        case .overCodeSizeBudget: "over the code-size budget"
        }
    }
}

/// How many distinct schedules were rejected, by reason.
public struct RejectionCounts: Hashable, Sendable, CustomStringConvertible {
    public private(set) var byReason: [RejectionReason: Int] = [:]

    public init() {}

    public var total: Int { byReason.values.reduce(0, +) }

    public subscript(reason: RejectionReason) -> Int { byReason[reason, default: 0] }

    mutating func count(_ reason: RejectionReason) { byReason[reason, default: 0] += 1 }

    /// "none", or the reasons, most frequent first: "3 over the code-size budget, 1 does not lower (unknownLoop)".
    public var description: String {
        guard !byReason.isEmpty else { return "none" }
        return byReason.sorted { ($0.value, $1.key.description) > ($1.value, $0.key.description) }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}
