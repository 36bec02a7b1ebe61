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
            return BatchRanking(afterTrials: start, spearman: rankCorrelation(predicted, measured),
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

/// Spearman's rank correlation (average ranks for ties); nil when either side is constant.
func rankCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
    guard a.count == b.count, a.count >= 3 else { return nil }
    let (ra, rb) = (averageRanks(a), averageRanks(b))
    let (ma, mb) = (ra.reduce(0, +) / Double(ra.count), rb.reduce(0, +) / Double(rb.count))
    var num = 0.0, da = 0.0, db = 0.0
    for (x, y) in zip(ra, rb) {
        num += (x - ma) * (y - mb)
        da += (x - ma) * (x - ma)
        db += (y - mb) * (y - mb)
    }
    return da > 0 && db > 0 ? num / (da * db).squareRoot() : nil
}

private func averageRanks(_ v: [Double]) -> [Double] {
    let order = v.indices.sorted { v[$0] < v[$1] }
    var ranks = [Double](repeating: 0, count: v.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
        for k in i...j { ranks[order[k]] = Double(i + j) / 2 }
        i = j + 1
    }
    return ranks
}

/// Of the pairs with different measured speeds, the share the model orders the same way (ties in the model count half).
func pairwiseAccuracy(_ predicted: [Double], _ measured: [Double]) -> Double? {
    var agree = 0.0, pairs = 0.0
    for i in measured.indices {
        for j in measured.indices where j > i && measured[i] != measured[j] {
            pairs += 1
            let m = measured[i] < measured[j], p = predicted[i] < predicted[j]
            if predicted[i] == predicted[j] { agree += 0.5 } else if m == p { agree += 1 }
        }
    }
    return pairs > 0 ? agree / pairs : nil
}

func topRecall(_ predicted: [Double], _ measured: [Double], k: Int) -> Double? {
    let k = min(k, measured.count / 2)
    guard k > 0 else { return nil }
    let fastest = Set(measured.indices.sorted { measured[$0] > measured[$1] }.prefix(k))
    let chosen = Set(predicted.indices.sorted { predicted[$0] > predicted[$1] }.prefix(k))
    return Double(fastest.intersection(chosen).count) / Double(k)
}

func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
