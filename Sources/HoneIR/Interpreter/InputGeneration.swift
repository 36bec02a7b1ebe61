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
