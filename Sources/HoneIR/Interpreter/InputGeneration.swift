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

/// Deterministic input data for every input tensor of `kernel`, row-major,
/// keyed by tensor name.
///
/// - f32: uniform in [-1, 1) on a grid of 2^-23, so every value is exactly a
///   Float (the compiled kernel and the interpreter see the same numbers);
/// - f64: uniform in [-1, 1) with 53 random bits;
/// - i32 and index: integers uniform in [-8, 8];
/// - bool: 0 or 1.
///
/// Each tensor draws from its own stream, seeded from `seed` and the tensor's
/// name, so adding or reordering inputs does not change the others' values.
public func makeInputs(for kernel: Kernel, seed: UInt64) -> [String: [Double]] {
    var inputs: [String: [Double]] = [:]
    for decl in kernel.inputs {
        inputs[decl.name] = makeTensorValues(decl, seed: seed)
    }
    return inputs
}

/// The values `makeInputs(for:seed:)` generates for one tensor.
public func makeTensorValues(_ decl: TensorDecl, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed ^ stableHash(decl.name))
    // Discard one output so that nearby seeds do not start nearby.
    _ = rng.next()
    let n = decl.elementCount
    switch decl.type {
    case .f32:
        // 24 random bits: k * 2^-23 - 1 for k in 0 ..< 2^24.
        return (0 ..< n).map { _ in Double(rng.next() >> 40) * 0x1p-23 - 1 }
    case .f64:
        return (0 ..< n).map { _ in Double(rng.next() >> 11) * 0x1p-52 - 1 }
    case .i32, .index:
        return (0 ..< n).map { _ in Double(rng.next(below: 17) - 8) }
    case .bool:
        return (0 ..< n).map { _ in Double(rng.next() >> 63) }
    }
}
