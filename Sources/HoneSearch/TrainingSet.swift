import HoneCostModel

/// What the model learns from: every measured program with features, labelled
/// by throughput relative to the best (0 for one too slow to finish; failed
/// candidates teach nothing).
struct TrainingSet {
    var programs: [ProgramFeatures] = []
    var labels: [Float] = []

    init(history: [MeasuredCandidate], features: FeatureCache) {
        let usable = history.filter { $0.seconds != nil || $0.tooSlow }
        guard let best = history.compactMap(\.seconds).min() else { return }
        for (entry, rows) in zip(usable, features.features(usable.map(\.schedule))) {
            guard let rows else { continue }
            programs.append(rows)
            labels.append(entry.seconds.map { Float(best / $0) } ?? 0)
        }
    }
}
