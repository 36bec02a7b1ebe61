/// How a search proposes the candidates it measures. A new strategy is one
/// case here: records, tuning curves and `hone tune --strategy` follow.
public enum SearchStrategy: String, Hashable, Sendable, CaseIterable, Codable {
    /// Evolution scored by the cost model, retrained after every batch.
    case evolutionary
    /// Sketches with random annotation and no model: the ablation baseline.
    case random
    /// Decisions filled one slot at a time, the model keeping the best partial schedules (Halide adams2019).
    case beam
    /// Monte Carlo tree search over the same decisions, model rollouts and measured times backed up (ProTuner).
    case mcts
}

/// How a record came to be, written in its candidate as `"strategy"`: the
/// search strategy's name, `default`, `final` or `measure`.
///
/// A name this version does not know (a strategy of a newer Hone) is kept
/// as `other`, not refused: the record's timing is still true, a resumed
/// run must not measure the schedule again, and the model still learns
/// from it. Only the strategy's meaning is lost, so it is never mistaken
/// for this version's strategies, the default or a finalist.
public enum RecordOrigin: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Proposed by a search with this strategy.
    case search(SearchStrategy)
    /// The kernel's default schedule, measured as the baseline a tuned schedule must beat.
    case `default`
    /// A finalist of a search, re-measured with the full protocol.
    case final
    /// Measured by `hone measure` (records without a candidate say so too).
    case measure
    /// A name this version does not know; made only by `init(rawValue:)`,
    /// so `other` never holds a known name.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "default": self = .default
        case "final": self = .final
        case "measure": self = .measure
        default: self = SearchStrategy(rawValue: rawValue).map { .search($0) } ?? .other(rawValue)
        }
    }

    /// The name records hold.
    public var rawValue: String {
        switch self {
        case .search(let strategy): strategy.rawValue
        case .default: "default"
        case .final: "final"
        case .measure: "measure"
        case .other(let name): name
        }
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
