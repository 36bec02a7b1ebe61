import HoneSchedule

extension ProposalContext {
    /// The model's score of each schedule, nil for one without features (it
    /// does not lower, or is over the code-size budget) or with a broken
    /// (non-finite) score. One pass: features are extracted on every core.
    func scores(_ schedules: [Schedule]) -> [Float?] {
        let rows = features.features(schedules)
        let valid = rows.indices.filter { rows[$0] != nil }
        var result = [Float?](repeating: nil, count: schedules.count)
        guard !valid.isEmpty else { return result }
        for (i, score) in zip(valid, model.predict(valid.map { rows[$0]! })) where score.isFinite { result[i] = score }
        return result
    }
}
