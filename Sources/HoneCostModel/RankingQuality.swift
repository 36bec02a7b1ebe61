/// Spearman's rank correlation of two equally long series (average ranks
/// for ties): how well one orders the items as the other does. Nil when
/// fewer than two items, or when either series is constant.
public func spearmanCorrelation<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double? {
    precondition(a.count == b.count, "spearmanCorrelation: series of different lengths")
    guard a.count >= 2 else { return nil }
    let ra = averageRanks(a), rb = averageRanks(b)
    let n = Double(a.count)
    let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in ra.indices {
        sab += (ra[i] - ma) * (rb[i] - mb)
        saa += (ra[i] - ma) * (ra[i] - ma)
        sbb += (rb[i] - mb) * (rb[i] - mb)
    }
    return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : nil
}

/// 1-based ranks, ties sharing the average of their positions.
public func averageRanks<T: Comparable>(_ values: [T]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
        for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
        i = j + 1
    }
    return ranks
}

/// Of the pairs whose `measured` values differ, the share that `predicted`
/// orders the same way (a tie in `predicted` counts half): a model's pairwise
/// accuracy. Nil when every measured value is the same.
public func pairwiseAccuracy(_ predicted: [Double], _ measured: [Double]) -> Double? {
    precondition(predicted.count == measured.count, "pairwiseAccuracy: series of different lengths")
    var agree = 0.0, pairs = 0.0
    for i in measured.indices {
        for j in measured.indices where j > i && measured[i] != measured[j] {
            pairs += 1
            if predicted[i] == predicted[j] {
                agree += 0.5
            } else if (measured[i] < measured[j]) == (predicted[i] < predicted[j]) {
                agree += 1
            }
        }
    }
    return pairs > 0 ? agree / pairs : nil
}

/// Of the `k` largest `measured` values, the share among the `k` largest
/// `predicted` ones (k at most half the items): whether a model would
/// measure the fastest candidates. Nil for fewer than two items.
public func topRecall(_ predicted: [Double], _ measured: [Double], k: Int) -> Double? {
    precondition(predicted.count == measured.count, "topRecall: series of different lengths")
    let k = min(k, measured.count / 2)
    guard k > 0 else { return nil }
    let fastest = Set(measured.indices.sorted { measured[$0] > measured[$1] }.prefix(k))
    let chosen = Set(predicted.indices.sorted { predicted[$0] > predicted[$1] }.prefix(k))
    return Double(fastest.intersection(chosen).count) / Double(k)
}
