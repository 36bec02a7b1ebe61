import BenchSuite
import Foundation
import Hone

/// One tuning run as the search benchmark sees it: the search's own trials
/// in order (the default schedule and the re-measured finalists left out).
struct SearchRun: Codable {
    var row: String
    var strategy: String
    var seed: UInt64
    /// Per search trial: seconds since the run started, the median (nil: failed), the model's score before measuring (nil: untrained or no model).
    var trials: [Trial]
    var batchSize: Int
    var wallSeconds: Double
    var searchSeconds: Double
    var measureSeconds: Double
    var trainSeconds: Double
    var flops: Double

    struct Trial: Codable {
        var elapsed: Double
        var seconds: Double?
        var predicted: Float?
    }

    /// Best GFLOP/s after each trial (0 before the first success).
    var bestCurve: [Double] {
        var best = 0.0
        return trials.map { t in
            if let s = t.seconds, s > 0 { best = max(best, flops / s / 1e9) }
            return best
        }
    }

    /// The first trial (1-based) whose best reaches `fraction` of `target` GFLOP/s.
    func trialsToReach(_ fraction: Double, of target: Double) -> Int? {
        bestCurve.firstIndex { $0 >= fraction * target }.map { $0 + 1 }
    }

    /// Mean over trials of best-so-far / `target`: 1 for a run that starts at the best.
    func normalizedArea(of target: Double) -> Double {
        let curve = bestCurve
        guard !curve.isEmpty, target > 0 else { return 0 }
        return curve.reduce(0, +) / Double(curve.count) / target
    }

    /// The model's ranking of each batch it scored before the batch was measured.
    var batchRankings: [BatchRanking] {
        stride(from: 0, to: trials.count, by: batchSize).compactMap { start in
            let batch = trials[start..<min(start + batchSize, trials.count)]
            let scored = batch.filter { $0.predicted != nil }
            guard scored.count >= 4 else { return nil }
            let predicted = scored.map { Double($0.predicted!) }
            let measured = scored.map { $0.seconds.map { 1 / $0 } ?? 0 }
            return BatchRanking(afterTrials: start, spearman: spearmanCorrelation(predicted, measured),
                                pairwiseAccuracy: pairwiseAccuracy(predicted, measured), topRecall: topRecall(predicted, measured, k: 8))
        }
    }
}

struct BatchRanking: Codable {
    /// Measured trials before the batch.
    var afterTrials: Int
    var spearman: Double?
    var pairwiseAccuracy: Double?
    /// Of the batch's k fastest, the share among the model's k best-scored.
    var topRecall: Double?
}
