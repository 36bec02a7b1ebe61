// Runtime storage of the reference interpreter: input tensors and lazily
// computed, memoized stages. Everything here is internal; `Interpreter` is the
// public face.

/// A float-valued compiled expression (f32 and f64 values, held in Double).
typealias InterpFloatCode = () -> Double
/// An integer-valued compiled expression (bool, i32 and index values, held in
/// Int64; bool is 0 or 1).
typealias InterpIntCode = () -> Int64

/// A compiled expression: the closure family is chosen by the expression's
/// static type.
enum InterpCode {
    case float(InterpFloatCode)
    case int(InterpIntCode)
}

/// The first dynamic error met while evaluating (an out-of-bounds load, an
/// integer division by zero). Evaluation carries on with a dummy value; the
/// public entry points check this after each evaluation and throw. Sticky: once
/// set, every later evaluation reports it too.
final class InterpErrorState {
    var message: String?

    func report(_ message: @autoclosure () -> String) {
        if self.message == nil { self.message = message() }
    }
}

/// Row-major strides of `shape` (elements, innermost stride 1).
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[d] = s
        s *= shape[d]
    }
    return strides
}

/// Stores `value` the way a tensor of `type` holds it: f32 rounds to the
/// nearest Float, integers wrap to their width, bool is 0 or 1.
@inline(__always)
func interpStoreFloat(_ value: Double, as type: ScalarType) -> Double {
    switch type {
    case .f32: Double(Float(value))
    case .f64: value
    case .i32: Double(interpTruncate(value, to: .i32))
    case .index: Double(interpTruncate(value, to: .index))
    case .bool: value != 0 ? 1 : 0
    }
}

@inline(__always)
func interpStoreInt(_ value: Int64, as type: ScalarType) -> Double {
    switch type {
    case .f32: Double(Float(value))
    case .f64: Double(value)
    case .i32: Double(Int32(truncatingIfNeeded: value))
    case .index: Double(value)
    case .bool: value != 0 ? 1 : 0
    }
}

/// Float → integer conversion: truncation toward zero, saturating at the
/// bounds of the target type; NaN becomes 0.
@inline(__always)
func interpTruncate(_ x: Double, to type: ScalarType) -> Int64 {
    switch type {
    case .bool:
        return x != 0 ? 1 : 0
    case .i32:
        if x.isNaN { return 0 }
        if x >= 2147483647 { return Int64(Int32.max) }
        if x <= -2147483648 { return Int64(Int32.min) }
        return Int64(x)
    default:
        if x.isNaN { return 0 }
        if x >= 9.223372036854775807e18 { return Int64.max }
        if x <= -9.223372036854775808e18 { return Int64.min }
        return Int64(x)
    }
}

/// An input tensor's values (already rounded to the tensor's storage type).
final class InterpInput {
    let decl: TensorDecl
    let strides: [Int]
    let data: UnsafeMutablePointer<Double>

    init(decl: TensorDecl, values: [Double]) {
        self.decl = decl
        self.strides = rowMajorStrides(decl.shape)
        data = .allocate(capacity: max(values.count, 1))
        for (i, v) in values.enumerated() { data[i] = interpStoreFloat(v, as: decl.type) }
    }

    deinit { data.deallocate() }
}

/// One stage of the kernel at run time: its tensor's storage, a computed flag
/// per element, and the slot frame its compiled value reads variables from
/// (index variables first, then reduction axes).
///
/// Elements are computed on demand (`ensure`) and memoized, so a sampled
/// output element pulls in exactly the producer elements it depends on.
/// Re-entrancy is safe: a stage only reads earlier stages, so computing one of
/// its elements never starts another element of the same stage.
final class InterpStage {
    enum Body {
        case unset
        case float(InterpFloatCode)
        case int(InterpIntCode)
    }

    let decl: TensorDecl
    let stage: Stage
    let strides: [Int]
    let count: Int
    let rank: Int
    let storage: UnsafeMutablePointer<Double>
    let computed: UnsafeMutablePointer<Bool>
    /// Variable slots: `rank` index variables, then one per reduction axis.
    let frame: UnsafeMutablePointer<Int64>
    let reductionExtents: [Int]
    var body: Body = .unset
    /// How many elements have been computed (each at most once).
    var evaluations = 0
    /// How many value-expression points have been evaluated (elements ×
    /// reduction points), for throughput figures.
    var points = 0

    init(decl: TensorDecl, stage: Stage) {
        self.decl = decl
        self.stage = stage
        strides = rowMajorStrides(decl.shape)
        count = decl.elementCount
        rank = decl.shape.count
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0, count: max(count, 1))
        computed = .allocate(capacity: max(count, 1))
        computed.initialize(repeating: false, count: max(count, 1))
        reductionExtents = stage.reduction?.axes.map(\.extent) ?? []
        let slots = rank + reductionExtents.count
        frame = .allocate(capacity: max(slots, 1))
        frame.initialize(repeating: 0, count: max(slots, 1))
    }

    deinit {
        storage.deallocate()
        computed.deallocate()
        frame.deallocate()
    }

    @inline(__always)
    func ensure(_ flat: Int) {
        if !computed[flat] { compute(flat) }
    }

    /// Computes and stores element `flat` (row-major).
    func compute(_ flat: Int) {
        evaluations += 1
        var rest = flat
        for d in stride(from: rank - 1, through: 0, by: -1) {
            let extent = decl.shape[d]
            frame[d] = Int64(rest % extent)
            rest /= extent
        }
        switch body {
        case .unset:
            preconditionFailure("interpreter stage \(stage.name) evaluated before it was compiled")
        case .float(let value):
            storage[flat] = interpStoreFloat(reduceFloat(value), as: decl.type)
        case .int(let value):
            storage[flat] = interpStoreInt(reduceInt(value), as: decl.type)
        }
        computed[flat] = true
    }

    // MARK: Reductions (axes in order, the first outermost)

    private func reduceFloat(_ value: InterpFloatCode) -> Double {
        guard let op = stage.reduction?.op else {
            points += 1
            return value()
        }
        switch op {
        case .sum: return foldFloat(value, 0) { $0 + $1 }
        case .max: return foldFloat(value, -.infinity) { interpMax($0, $1) }
        case .min: return foldFloat(value, .infinity) { interpMin($0, $1) }
        }
    }

    private func reduceInt(_ value: InterpIntCode) -> Int64 {
        guard let op = stage.reduction?.op else {
            points += 1
            return value()
        }
        // Identities in the stage's integer type, so an empty max/min stores
        // that type's bound.
        let (lo, hi): (Int64, Int64) = decl.type == .i32 ? (Int64(Int32.min), Int64(Int32.max)) : (.min, .max)
        switch op {
        case .sum: return foldInt(value, 0) { $0 &+ $1 }
        case .max: return foldInt(value, lo) { Swift.max($0, $1) }
        case .min: return foldInt(value, hi) { Swift.min($0, $1) }
        }
    }

    @inline(__always)
    private func foldFloat(_ value: InterpFloatCode, _ initial: Double, _ combine: (Double, Double) -> Double) -> Double {
        var acc = initial
        forEachReductionPoint { acc = combine(acc, value()) }
        return acc
    }

    @inline(__always)
    private func foldInt(_ value: InterpIntCode, _ initial: Int64, _ combine: (Int64, Int64) -> Int64) -> Int64 {
        var acc = initial
        forEachReductionPoint { acc = combine(acc, value()) }
        return acc
    }

    /// Runs `body` once per point of the reduction domain with the axis slots
    /// set, the last axis varying fastest.
    @inline(__always)
    private func forEachReductionPoint(_ body: () -> Void) {
        let axes = reductionExtents.count
        var total = 1
        for e in reductionExtents {
            if e <= 0 { return }
            total &*= e
        }
        points += total
        let base = rank
        let innerSlot = frame + base + axes - 1
        let innerExtent = Int64(reductionExtents[axes - 1])
        for a in 0 ..< axes { frame[base + a] = 0 }
        while true {
            var k: Int64 = 0
            while k < innerExtent {
                innerSlot.pointee = k
                body()
                k += 1
            }
            // Advance the outer axes like an odometer.
            var a = axes - 2
            while a >= 0 {
                frame[base + a] += 1
                if frame[base + a] < Int64(reductionExtents[a]) { break }
                frame[base + a] = 0
                a -= 1
            }
            if a < 0 { return }
        }
    }
}

/// `min` and `max` on floats propagate NaN (IEEE 754-2019 minimum/maximum,
/// without distinguishing the signs of zero).
@inline(__always)
func interpMin(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    return b < a ? b : a
}

@inline(__always)
func interpMax(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    return b > a ? b : a
}

/// Floor division (rounds toward negative infinity). `b` is non-zero.
@inline(__always)
func interpFloorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    if b == -1 { return 0 &- a }
    let q = a / b
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}

/// Floor modulo (the result has the sign of the divisor). `b` is non-zero.
@inline(__always)
func interpFloorMod(_ a: Int64, _ b: Int64) -> Int64 {
    if b == -1 { return 0 }
    let r = a % b
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r
}
