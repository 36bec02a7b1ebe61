// Reproducible randomness: seeds reproduce random schedules, inputs and
// model training everywhere.

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, fast, statistically sound
/// generator whose whole state is one 64-bit word. Deterministic across runs
/// and platforms, unlike `SystemRandomNumberGenerator`, so seeded inputs and
/// sampled indices are reproducible.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0 ..< bound` (`bound > 0`), by Lemire's
    /// multiply-shift reduction (bias below 2^-32 for small bounds).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "SplitMix64.next(below:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform double in [0, 1), from the top 53 bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// FNV-1a over the UTF-8 bytes: a stable string hash (Swift's `Hasher` is
/// seeded per process, so it cannot derive reproducible streams).
public func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in s.utf8 {
        h ^= UInt64(byte)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}
