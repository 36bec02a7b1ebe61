/// How a search produced a measured schedule, kept in its record: the
/// sketch (by name, which is stable) and the decisions, so a later run can
/// resume from the candidate and mutate it, and the strategy, so tuning
/// curves can tell the strategies apart.
public struct CandidateTrace: Codable, Hashable, Sendable {
    public var sketch: String?
    public var decisions: [[Int]]?
    /// `evolutionary`, `random`, `final` (re-measured with the full protocol) or `default`.
    public var strategy: String
    /// The trained cost model's score when the candidate was proposed (before
    /// the model saw its time): what the model's held-out ranking quality is measured on.
    public var predicted: Float?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sketch, decisions, strategy, predicted
    }

    public init(sketch: String? = nil, decisions: [[Int]]? = nil, strategy: String, predicted: Float? = nil) {
        self.sketch = sketch
        self.decisions = decisions
        self.strategy = strategy
        self.predicted = predicted.flatMap { $0.isFinite ? $0 : nil }  // JSON has no NaN
    }
}
