/// The result of checking computed values against the reference interpreter.
///
/// ## Tolerance policy
/// An element with expected value `e` and actual value `a` passes when
///
///     |a - e| <= atol + rtol * |e|,    atol = rtol * scale,
///
/// where `scale` is the largest finite `|e|` over the compared elements, and
/// `rtol` depends on the element type (`Tolerance.default(for:)`):
/// - **f32: 1e-3.** Schedules reassociate reductions (split, rfactor,
///   vectorized partial sums) and the compiled code accumulates in f32, while
///   the oracle accumulates in Double; a 1e-3 relative band absorbs that for
///   reductions of 10^4–10^6 terms, and is still far below what a wrong index
///   or a missing term produces.
/// - **f64: 1e-9**, for the same reasons with 29 more mantissa bits.
/// - **i32, index, bool: exact** (rtol = 0, so atol = 0).
/// The `atol` term scales with the data, so an element that is a near-zero
/// result of a large sum (all cancellation, whose absolute rounding error
/// follows the size of the terms, not of the result) does not fail on
/// rounding alone.
///
/// Special values: an expected NaN passes only against a NaN; an expected
/// infinity only against the same infinity; a finite expected value never
/// passes against a NaN or an infinity.
public struct Comparison: Sendable, CustomStringConvertible {
    /// How close an element must be to pass; see the type's documentation.
    public struct Tolerance: Hashable, Sendable {
        /// The relative tolerance `rtol`; 0 means exact.
        public var relative: Double

        public init(relative: Double) { self.relative = relative }

        public static let exact = Tolerance(relative: 0)

        /// 1e-3 for f32, 1e-9 for f64, exact for integer and bool types.
        public static func `default`(for type: ScalarType) -> Tolerance {
            switch type {
            case .f32: Tolerance(relative: 1e-3)
            case .f64: Tolerance(relative: 1e-9)
            case .i32, .index, .bool: .exact
            }
        }
    }

    /// The element type compared.
    public var type: ScalarType
    public var tolerance: Tolerance
    /// The absolute term of the tolerance: `rtol * scale`.
    public var absoluteTolerance: Double
    /// The largest finite |expected| over the compared elements.
    public var scale: Double
    /// How many elements were compared.
    public var count: Int
    /// How many failed the tolerance (counting elements missing from one side
    /// when full arrays of different lengths are compared).
    public var mismatches: Int
    /// max |a - e| over the compared elements (infinite if a special value
    /// does not match).
    public var maxAbsError: Double
    /// max |a - e| / |e| (infinite where e = 0 and a differs; 0 for matching
    /// special values).
    public var maxRelError: Double
    /// The flat index of the element closest to failing, or furthest past it:
    /// the largest |a - e| / (atol + rtol |e|). `nil` if nothing was compared.
    public var worstIndex: Int?
    public var worstActual: Double?
    public var worstExpected: Double?
    /// The flat index of the first failing element, in the order compared.
    public var firstMismatchIndex: Int?
    /// The lengths of the two full arrays compared (equal for sampled
    /// comparisons).
    public var actualCount: Int
    public var expectedCount: Int
    /// Full arrays of different lengths were compared (then `passed` is false).
    public var lengthMismatch: Bool { actualCount != expectedCount }

    public var passed: Bool { mismatches == 0 }

    public var description: String {
        if lengthMismatch {
            return "FAILED: \(actualCount) values computed, \(expectedCount) expected"
        }
        let errors = "max abs error \(fmt(maxAbsError)), max rel error \(fmt(maxRelError))"
        let tol = tolerance.relative == 0 ? "exact" : "rtol \(fmt(tolerance.relative)), atol \(fmt(absoluteTolerance))"
        if passed {
            return "passed: \(count) element\(count == 1 ? "" : "s") of \(type.rawValue), \(errors) (\(tol))"
        }
        var s = "FAILED: \(mismatches) of \(count) \(type.rawValue) elements differ, \(errors) (\(tol))"
        if let i = worstIndex, let a = worstActual, let e = worstExpected {
            s += "; worst at flat index \(i): got \(a), expected \(e)"
        }
        return s
    }

    private func fmt(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return "\(x)" }
        // Three significant digits without Foundation.
        var exponent = 0
        var m = Swift.abs(x)
        while m >= 10 { m /= 10; exponent += 1 }
        while m < 1 { m *= 10; exponent -= 1 }
        var digits = Int((m * 100).rounded())
        if digits >= 1000 { digits /= 10; exponent += 1 }
        let mantissa = "\(digits / 100).\(String(digits % 100 + 100).dropFirst())"
        return (x < 0 ? "-" : "") + mantissa + (exponent == 0 ? "" : "e\(exponent)")
    }

    /// Compares `actual[k]` with `expected[k]` for each k; `indices[k]` is the
    /// flat index reported for pair k (its position when `indices` is nil).
    init(actual: [Double], expected: [Double], indices: [Int]?, type: ScalarType, tolerance: Tolerance) {
        precondition(indices == nil || indices!.count == expected.count, "one index per compared element")
        self.type = type
        self.tolerance = tolerance
        actualCount = actual.count
        expectedCount = expected.count
        let n = Swift.min(actual.count, expected.count)
        count = n
        var scale = 0.0
        for k in 0 ..< n where expected[k].isFinite {
            scale = Swift.max(scale, Swift.abs(expected[k]))
        }
        self.scale = scale
        let rtol = tolerance.relative
        let atol = rtol * scale
        absoluteTolerance = atol
        mismatches = Swift.max(actual.count, expected.count) - n
        maxAbsError = 0
        maxRelError = 0
        // The worst element: any failure beats any pass; failures rank by
        // absolute error, passes by how much of their tolerance they use.
        var worstKey = (failed: false, size: -1.0)
        for k in 0 ..< n {
            let a = actual[k], e = expected[k]
            let absError: Double, relError: Double, ok: Bool
            if e.isNaN || a.isNaN || e.isInfinite || a.isInfinite {
                ok = (e.isNaN && a.isNaN) || (!e.isNaN && a == e)
                absError = ok ? 0 : .infinity
                relError = absError
            } else {
                absError = Swift.abs(a - e)
                relError = e != 0 ? absError / Swift.abs(e) : (absError == 0 ? 0 : .infinity)
                ok = absError <= atol + rtol * Swift.abs(e)
            }
            let index = indices?[k] ?? k
            if !ok {
                mismatches += 1
                if firstMismatchIndex == nil { firstMismatchIndex = index }
            }
            maxAbsError = Swift.max(maxAbsError, absError)
            maxRelError = Swift.max(maxRelError, relError)
            let bound = atol + rtol * Swift.abs(e)
            let key = (failed: !ok, size: ok ? (absError == 0 ? 0 : absError / bound) : absError)
            if key.failed != worstKey.failed ? key.failed : key.size > worstKey.size {
                worstKey = key
                worstIndex = index
                worstActual = a
                worstExpected = e
            }
        }
    }
}

/// Compares full outputs element by element (see `Comparison` for the
/// tolerance policy). Arrays of different lengths fail.
public func compare(actual: [Double], expected: [Double], type: ScalarType,
                    tolerance: Comparison.Tolerance? = nil) -> Comparison {
    Comparison(actual: actual, expected: expected, indices: nil, type: type,
               tolerance: tolerance ?? .default(for: type))
}

/// Compares only the elements at the given flat indices (sampled
/// verification). `actual` and `expected` give the value at a flat index —
/// typically a read of the compiled kernel's output buffer and
/// `Interpreter.value(atFlat:)`. The tolerance's scale is taken over the
/// sampled elements.
public func compare(at indices: [Int], actual: (Int) throws -> Double, expected: (Int) throws -> Double,
                    type: ScalarType, tolerance: Comparison.Tolerance? = nil) rethrows -> Comparison {
    var a: [Double] = [], e: [Double] = []
    a.reserveCapacity(indices.count)
    e.reserveCapacity(indices.count)
    for i in indices {
        e.append(try expected(i))
        a.append(try actual(i))
    }
    return Comparison(actual: a, expected: e, indices: indices, type: type,
                      tolerance: tolerance ?? .default(for: type))
}

/// A deterministic sample of `count` distinct flat indices of a row-major
/// tensor of `shape`, sorted. It always holds the first and last elements and
/// every corner of the index space (where edge tiles of a schedule go wrong),
/// the first and last element of a few rows (row boundaries), and fills the
/// rest uniformly at random from `seed`. When `count` covers the tensor,
/// every index is returned.
public func sampleIndices(count: Int, shape: [Int], seed: UInt64) -> [Int] {
    let total = shape.reduce(1, *)
    guard count < total else { return Array(0 ..< total) }
    guard count > 0 else { return [] }
    var rng = SplitMix64(seed: seed ^ 0x5A4D_504C_4553)  // "SAMPLES"
    var chosen = Set<Int>()
    var order: [Int] = []
    func add(_ i: Int) {
        if order.count < count, chosen.insert(i).inserted { order.append(i) }
    }
    add(0)
    add(total - 1)
    // Corners: each dimension at 0 or its last index (at most 2^6 of them).
    let strides = rowMajorStrides(shape)
    let cornerDims = Swift.min(shape.count, 6)
    for mask in 0 ..< (1 << cornerDims) {
        var flat = 0
        for d in 0 ..< shape.count {
            let high = d < cornerDims ? (mask >> d) & 1 == 1 : false
            flat += (high ? shape[d] - 1 : 0) * strides[d]
        }
        add(flat)
    }
    // Row boundaries: both ends of up to count/8 rows.
    if let width = shape.last, width > 1 {
        let rows = total / width
        for _ in 0 ..< Swift.min(rows, count / 8) {
            let r = rng.next(below: rows)
            add(r * width)
            add(r * width + width - 1)
        }
    }
    while order.count < count { add(rng.next(below: total)) }
    return order.sorted()
}

extension Interpreter {
    /// Checks a computed output against this interpreter: every element when
    /// `sampleCount` is nil (or covers the output), otherwise a deterministic
    /// sample (`sampleIndices(count:shape:seed:)`) evaluated lazily.
    /// `actual(i)` returns the computed value at flat index i.
    public func verifyOutput(actual: (Int) throws -> Double, sampleCount: Int? = nil, seed: UInt64 = 0,
                             tolerance: Comparison.Tolerance? = nil) throws -> Comparison {
        let decl = outputTensor
        if let sampleCount, sampleCount < decl.elementCount {
            let indices = sampleIndices(count: sampleCount, shape: decl.shape, seed: seed)
            return try compare(at: indices, actual: actual, expected: { try value(atFlat: $0) },
                               type: decl.type, tolerance: tolerance)
        }
        let expected = try evaluateOutput()
        let values = try (0 ..< expected.count).map { try actual($0) }
        return compare(actual: values, expected: expected, type: decl.type, tolerance: tolerance)
    }
}
