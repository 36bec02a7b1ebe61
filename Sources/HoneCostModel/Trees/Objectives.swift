import HoneIR
import Foundation

/// Gradients, base score and validation metric of each objective.
///
/// Labels, weights and groups are resolved once: weights default to 1 per
/// row, or, for pack-sum, to the program's label (Ansor's weighting, clamped
/// at 0), one per group.
struct ObjectiveFunction: Sendable {
    let objective: GradientBoostingObjective
    let labels: [Float]
    let weights: [Float]
    /// Start row of each group, then the row count.
    let groupOffsets: [Int]
    /// `.packSumRank`: first program of each query, then the program count.
    let queryOffsets: [Int]
    /// Per row, the weight of its prediction in its program's score
    /// (`GradientBoostingParameters.rowShareColumn`); nil: every row counts 1.
    let shares: [Float]?

    /// Groups larger than this pair each row with `sampledPartners` random
    /// others per round instead of with every other row.
    static let exhaustivePairLimit = 256
    static let sampledPartners = 64

    init(_ data: TrainingData, objective: GradientBoostingObjective, rowShareColumn: Int? = nil) {
        self.objective = objective
        labels = data.labels
        groupOffsets = data.groupOffsets
        queryOffsets = data.queryOffsets
        if let column = rowShareColumn, objective.labelsPerGroup {
            shares = (0..<data.rowCount).map { data.features[$0 * data.featureCount + column] }
        } else {
            shares = nil
        }
        if let w = data.weights { weights = w } else if objective == .packSum { weights = labels.map { max($0, 0) } } else {
            weights = [Float](repeating: 1, count: labels.count)
        }
    }

    /// The constant every model starts from (per row).
    func baseScore() -> Float {
        switch objective {
        case .squaredError:
            var sw = 0.0, swy = 0.0
            for i in labels.indices { sw += Double(weights[i]); swy += Double(weights[i]) * Double(labels[i]) }
            return sw > 0 ? Float(swy / sw) : 0
        case .packSum:
            // Minimizes sum_p w_p (n_p b - y_p)^2, n_p the program's row count (or share sum).
            var num = 0.0, den = 0.0
            for p in labels.indices {
                let size = (groupOffsets[p]..<groupOffsets[p + 1]).reduce(0.0) { $0 + Double(share($1)) }
                num += Double(weights[p]) * size * Double(labels[p])
                den += Double(weights[p]) * size * size
            }
            return den > 0 ? Float(num / den) : 0
        case .pairwiseRank, .packSumRank:
            return 0
        }
    }

    /// Per-row (gradient, hessian) of the loss at `predictions`.
    func gradients(_ predictions: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<SIMD2<Float>>,
                   round: Int, seed: UInt64, runner: ParallelRunner) {
        switch objective {
        case .squaredError:
            for i in 0..<predictions.count {
                out[i] = SIMD2(weights[i] * (predictions[i] - labels[i]), weights[i])
            }
        case .packSum:
            for p in 0..<labels.count {
                var sum: Float = 0
                for i in groupOffsets[p]..<groupOffsets[p + 1] { sum += share(i) * predictions[i] }
                let v = SIMD2(weights[p] * (sum - labels[p]), weights[p])
                for i in groupOffsets[p]..<groupOffsets[p + 1] { out[i] = scaled(v, by: share(i)) }
            }
        case .pairwiseRank:
            let groups = groupOffsets.count - 1
            let chunk = max(1, (groups + 15) / 16)
            let shared = UncheckedSendable(out)
            runner.run(tasks: (groups + chunk - 1) / chunk) { t in
                for group in t * chunk..<min(groups, (t + 1) * chunk) {
                    self.rankGradients(group: group, predictions, into: shared.value, round: round, seed: seed)
                }
            }
        case .packSumRank:
            programRankGradients(predictions, into: out, round: round, seed: seed)
        }
    }

    /// The weight of row `i`'s prediction in its program's score.
    @inline(__always)
    private func share(_ i: Int) -> Float { shares?[i] ?? 1 }

    /// A program's (gradient, hessian) passed to one of its rows: the
    /// score is linear in the row's prediction with slope `share`.
    @inline(__always)
    private func scaled(_ v: SIMD2<Float>, by share: Float) -> SIMD2<Float> { SIMD2(v.x * share, v.y * share * share) }

    /// Each program's score: the sum of its rows' predictions, weighted by their shares.
    private func programScores(_ predictions: UnsafeBufferPointer<Float>) -> [Double] {
        (0..<labels.count).map { p in
            var sum = 0.0
            for i in groupOffsets[p]..<groupOffsets[p + 1] { sum += Double(share(i)) * Double(predictions[i]) }
            return sum
        }
    }

    /// RankNet over pairs of programs of one query, scored by their row
    /// sums; every row of a program gets the program's gradient and hessian
    /// (as pack-sum does, scaled by its share), divided by its number of partners.
    private func programRankGradients(_ predictions: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<SIMD2<Float>>,
                                      round: Int, seed: UInt64) {
        let scores = programScores(predictions)
        var acc = [SIMD2<Double>](repeating: SIMD2(0, 0), count: labels.count)
        var partners = [Double](repeating: 1, count: labels.count)
        var rng = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: round &* 0x9E37_79B9))
        func pair(_ a: Int, _ b: Int) {
            let ya = labels[a], yb = labels[b]
            if ya == yb { return }
            let sign: Double = ya > yb ? 1 : -1
            let rho = 1 / (1 + exp(sign * (scores[a] - scores[b])))
            let weight = Double(weights[a] + weights[b]) / 2
            let hess = max(rho * (1 - rho), 1e-6) * weight
            acc[a] += SIMD2(-sign * rho * weight, hess)
            acc[b] += SIMD2(sign * rho * weight, hess)
        }
        for q in 0..<queryOffsets.count - 1 {
            let start = queryOffsets[q], n = queryOffsets[q + 1] - start
            guard n > 1 else { continue }
            if n <= Self.exhaustivePairLimit {
                for a in start..<start + n { for b in a + 1..<start + n { pair(a, b) } }
                for a in start..<start + n { partners[a] = Double(n - 1) }
            } else {
                for a in start..<start + n {
                    for _ in 0..<Self.sampledPartners {
                        let b = Int(rng.next() % UInt64(n - 1))
                        pair(a, start + (b >= a - start ? b + 1 : b))
                    }
                }
                for a in start..<start + n { partners[a] = Double(2 * Self.sampledPartners) }
            }
        }
        for p in 0..<labels.count {
            let g = SIMD2<Float>(acc[p] / partners[p])
            for i in groupOffsets[p]..<groupOffsets[p + 1] { out[i] = scaled(g, by: share(i)) }
        }
    }

    /// RankNet within one group: for a pair with y_i > y_j and score gap
    /// s = p_i - p_j, loss log(1 + e^-s); each row's sums are divided by its
    /// number of partners so a group's size does not scale the step.
    private func rankGradients(group: Int, _ p: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<SIMD2<Float>>,
                               round: Int, seed: UInt64) {
        let start = groupOffsets[group], n = groupOffsets[group + 1] - start
        labels.withUnsafeBufferPointer { labels in
            weights.withUnsafeBufferPointer { weights in
                withUnsafeTemporaryAllocation(of: SIMD2<Double>.self, capacity: n) { acc in
                    acc.initialize(repeating: SIMD2(0, 0))
                    let y = labels.baseAddress! + start, w = weights.baseAddress! + start, s = p.baseAddress! + start
                    // One pair: `sign` = +1 when a is the better row. The gradient
                    // of log(1 + e^-(s_hi - s_lo)) is -rho for hi, +rho for lo;
                    // returns a's share, adds b's.
                    @inline(__always) func pair(_ a: Int, _ b: Int) -> SIMD2<Double> {
                        let ya = y[a], yb = y[b]
                        if ya == yb { return SIMD2(0, 0) }
                        let sign: Double = ya > yb ? 1 : -1
                        let gap = sign * Double(s[a] - s[b])
                        let rho = 1 / (1 + exp(gap))
                        let weight = Double(w[a] + w[b]) / 2
                        let hess = max(rho * (1 - rho), 1e-6) * weight
                        let g = sign * rho * weight
                        acc[b] += SIMD2(g, hess)
                        return SIMD2(-g, hess)
                    }
                    let partners: Int
                    if n <= Self.exhaustivePairLimit {
                        for a in 0..<n {
                            var own = SIMD2<Double>(0, 0)
                            for b in a + 1..<n { own += pair(a, b) }
                            acc[a] += own
                        }
                        partners = max(1, n - 1)
                    } else {
                        var rng = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: round &* 0x9E37_79B9 &+ group))
                        for a in 0..<n {
                            for _ in 0..<Self.sampledPartners {
                                let b = Int(rng.next() % UInt64(n - 1))
                                acc[a] += pair(a, b >= a ? b + 1 : b)
                            }
                        }
                        partners = 2 * Self.sampledPartners
                    }
                    for a in 0..<n { out[start + a] = SIMD2<Float>(acc[a] / Double(partners)) }
                }
            }
        }
    }

    /// The early-stopping metric (lower is better): RMSE for squared error,
    /// RMSE of program sums for pack-sum, the fraction of wrongly ordered
    /// pairs within groups for ranking.
    func metric(_ predictions: [Float]) -> Double {
        switch objective {
        case .squaredError:
            var se = 0.0, sw = 0.0
            for i in labels.indices {
                let e = Double(predictions[i]) - Double(labels[i])
                se += Double(weights[i]) * e * e
                sw += Double(weights[i])
            }
            return sw > 0 ? (se / sw).squareRoot() : 0
        case .packSum:
            var se = 0.0, sw = 0.0
            for p in labels.indices {
                var sum: Float = 0
                for i in groupOffsets[p]..<groupOffsets[p + 1] { sum += share(i) * predictions[i] }
                let e = Double(sum) - Double(labels[p])
                se += Double(weights[p]) * e * e
                sw += Double(weights[p])
            }
            return sw > 0 ? (se / sw).squareRoot() : 0
        case .pairwiseRank:
            return wronglyOrderedShare(predictions.map(Double.init), within: groupOffsets)
        case .packSumRank:
            return wronglyOrderedShare(predictions.withUnsafeBufferPointer { programScores($0) }, within: queryOffsets)
        }
    }

    /// Of the pairs with different labels inside each run of `offsets`, the
    /// share whose scores are in the wrong order (ties count half).
    private func wronglyOrderedShare(_ scores: [Double], within offsets: [Int]) -> Double {
        var wrong = 0.0, pairs = 0.0
        for g in 0..<offsets.count - 1 {
            for a in offsets[g]..<offsets[g + 1] {
                for b in a + 1..<offsets[g + 1] where labels[a] != labels[b] {
                    pairs += 1
                    let d = (scores[a] - scores[b]) * (labels[a] > labels[b] ? 1 : -1)
                    wrong += d < 0 ? 1 : d == 0 ? 0.5 : 0
                }
            }
        }
        return pairs > 0 ? wrong / pairs : 0
    }
}
