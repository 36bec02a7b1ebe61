@testable import HoneCostModel

/// Deterministic test data (SplitMix64; no dependence on the system RNG).
struct TestRandom {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float = 0, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(Double(next() >> 11) * 0x1p-53)
    }
    mutating func normal() -> Float {
        let u = max(1e-12, Double(next() >> 11) * 0x1p-53), v = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `rows` random rows of `features` uniform floats in [-1, 1), labelled by `f`.
func makeRegression(rows: Int, features: Int, seed: UInt64, noise: Float = 0, _ f: ([Float]) -> Float) -> TrainingData {
    var rng = TestRandom(seed)
    var x: [Float] = [], y: [Float] = []
    for _ in 0..<rows {
        let row = (0..<features).map { _ in rng.uniform(-1, 1) }
        x += row
        y.append(f(row) + noise * rng.normal())
    }
    return TrainingData(features: x, featureCount: features, labels: y)
}

func rmse(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in a.indices { s += Double(a[i] - b[i]) * Double(a[i] - b[i]) }
    return (s / Double(a.count)).squareRoot()
}

func standardDeviation(_ a: [Float]) -> Double {
    let m = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
    return (a.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(a.count)).squareRoot()
}

/// Spearman rank correlation (average ranks for ties).
func spearman(_ a: [Float], _ b: [Float]) -> Double { spearmanCorrelation(a, b) ?? .nan }

extension TrainingData {
    /// Row r as an array.
    func row(_ r: Int) -> [Float] { Array(features[r * featureCount..<(r + 1) * featureCount]) }
}
