/// How a measured schedule came to be, kept in its record: the sketch (by
/// name, which is stable) and the decisions, so a later run can resume from
/// the candidate and mutate it, and the origin, so tuning curves can tell
/// the strategies apart and a run can find its default schedule's time.
public struct CandidateTrace: Codable, Hashable, Sendable {
    public var sketch: String?
    public var decisions: [[Int]]?
    public var origin: RecordOrigin
    /// The trained cost model's score when the candidate was proposed (before
    /// the model saw its time): what the model's held-out ranking quality is measured on.
    public var predicted: Float?

    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The origin keeps the key it had when it named only strategies.
        case sketch, decisions, origin = "strategy", predicted
    }

    public init(sketch: String? = nil, decisions: [[Int]]? = nil, origin: RecordOrigin, predicted: Float? = nil) {
        self.sketch = sketch
        self.decisions = decisions
        self.origin = origin
        self.predicted = predicted.flatMap { $0.isFinite ? $0 : nil }  // JSON has no NaN
    }
}
