import HoneIR

// Index expressions as (approximately) affine forms over the enclosing loops.
//
// A form is `Σ_l c_l · t_l + k`, where `t_l ∈ [0, extent_l - 1]` counts the
// iterations of the loop at depth `l` (a loop variable is its `min` plus
// `t_l`), clamped to `[lower, upper]`. Forms are dense rows of doubles in
// one scratch array, allocated and freed like a stack (`IndexFormStack`):
//
//     [c_0 … c_{D-1}, k, lower, upper]        D = deepest loop nesting
//
// plus a bit mask of the loops the index depends on (bit 63: depends on
// data, e.g. an index loaded from memory; its range is the whole dimension;
// bit 62: the form is an estimate). Affine indices (what `simplify`
// produces) are exact. The rest are estimates, enough for region sizes and
// strides: `x / k` scales by 1/k, `x % k` and `min`/`max` against constants
// narrow the bounds, a product of two loop-dependent terms keeps both
// terms' slopes. (How often a guard holds is not estimated here: lowering
// counts it, see `IfFacts`.)

/// Bit 63 of a form's mask: the index depends on data (a load or a call).
let opaqueBit: UInt64 = 1 << 63
/// Bit 62: the form approximates a non-affine index.
let inexactBit: UInt64 = 1 << 62
/// The bits of loop levels (levels past 61 share bit 61).
let levelBits: UInt64 = inexactBit - 1

@inline(__always) func levelBit(_ level: Int) -> UInt64 { 1 << UInt64(min(level, 61)) }

/// The forms of the indices being analysed. A form is named by its index
/// on the stack; `push` makes a new one, and assigning a saved `top` pops
/// every form pushed since. One flat array rather than an array of forms:
/// nothing allocates once it is warm, and a form's doubles are contiguous.
struct IndexFormStack {
    /// Loops a form has slopes for; a deeper nest starts over with twice as many.
    var levelCapacity = 8
    /// Doubles per form: `levelCapacity` slopes, the constant, the bounds.
    private(set) var width = 11
    private var data: [Double] = []
    private var masks: [UInt64] = []
    /// How many forms are on the stack: the next one pushed gets this index.
    var top = 0

    @inline(__always) var constSlot: Int { levelCapacity }
    @inline(__always) var lowerSlot: Int { levelCapacity + 1 }
    @inline(__always) var upperSlot: Int { levelCapacity + 2 }

    /// Empties the stack, laying forms out for `levelCapacity` loops.
    mutating func reset() {
        width = levelCapacity + 3
        top = 0
    }

    /// Pushes the form `0` with unbounded range.
    @inline(__always)
    mutating func push() -> Int {
        let f = top
        top += 1
        let base = f * width
        if masks.count <= f { masks.append(0) }
        if data.count < base + width {
            data.append(contentsOf: repeatElement(0, count: base + width - data.count))
        }
        for i in base..<(base + levelCapacity + 1) { data[i] = 0 }
        data[base + lowerSlot] = -.infinity
        data[base + upperSlot] = .infinity
        masks[f] = 0
        return f
    }

    @inline(__always)
    mutating func copy(_ from: Int, to: Int) {
        let a = from * width, b = to * width
        for i in 0..<width { data[b + i] = data[a + i] }
        masks[to] = masks[from]
    }

    // Reading a form.

    /// The loops `f` depends on (`levelBit`), with `opaqueBit` and `inexactBit`.
    @inline(__always) func mask(_ f: Int) -> UInt64 { masks[f] }
    @inline(__always) func slope(_ f: Int, _ level: Int) -> Double { data[f * width + level] }
    @inline(__always) func constant(_ f: Int) -> Double { data[f * width + constSlot] }
    @inline(__always) func lower(_ f: Int) -> Double { data[f * width + lowerSlot] }
    @inline(__always) func upper(_ f: Int) -> Double { data[f * width + upperSlot] }
    @inline(__always) func isConstant(_ f: Int) -> Bool { masks[f] & (levelBits | opaqueBit) == 0 }

    /// Whether the `count` forms from `a` and those from `b` have the same
    /// slopes, constants and bounds.
    func sameForms(_ a: Int, _ b: Int, count: Int) -> Bool {
        let x = a * width, y = b * width
        for i in 0..<(count * width) where data[x + i] != data[y + i] { return false }
        return true
    }

    // Building a form.

    @inline(__always) mutating func setConstant(_ f: Int, _ value: Double) { data[f * width + constSlot] = value }

    /// `f += t_level`: adds the iterations of the loop at `level`.
    @inline(__always)
    mutating func addLoop(_ f: Int, level: Int) {
        data[f * width + level] += 1
        masks[f] |= levelBit(level)
    }

    /// Makes `f` an index that depends on data: its range is the whole dimension.
    mutating func makeOpaque(_ f: Int) { masks[f] = opaqueBit | inexactBit }
}

// Arithmetic on forms, in place: the result replaces the first operand.
extension IndexFormStack {
    /// Multiplies form `f` by the constant `k`.
    mutating func scale(_ f: Int, by k: Double) {
        let base = f * width
        if k == 0 {
            for i in base..<(base + levelCapacity + 1) { data[i] = 0 }
            data[base + lowerSlot] = 0
            data[base + upperSlot] = 0
            masks[f] &= opaqueBit | inexactBit
            return
        }
        for i in base..<(base + levelCapacity + 1) { data[i] *= k }
        let (lo, hi) = (data[base + lowerSlot] * k, data[base + upperSlot] * k)
        data[base + lowerSlot] = k > 0 ? lo : hi
        data[base + upperSlot] = k > 0 ? hi : lo
    }

    /// `a += sign · b` (slopes, constant and mask); bounds are left to the caller.
    @inline(__always)
    private mutating func accumulate(_ a: Int, _ b: Int, sign: Double) {
        let x = a * width, y = b * width
        for i in 0...levelCapacity { data[x + i] += sign * data[y + i] }
        masks[a] |= masks[b]
    }

    /// A truth value: 0 or 1, whatever the loops.
    mutating func booleanize(_ f: Int) {
        masks[f] |= inexactBit
        let base = f * width
        for i in base..<(base + levelCapacity + 1) { data[i] = 0 }
        data[base + lowerSlot] = 0
        data[base + upperSlot] = 1
    }

    /// Either of two forms (a `select`): the first's slopes, bounds wide enough for both.
    mutating func join(_ fa: Int, _ fb: Int) {
        masks[fa] |= inexactBit
        let x = fa * width, y = fb * width
        data[x + lowerSlot] = min(data[x + lowerSlot], data[y + lowerSlot])
        data[x + upperSlot] = max(data[x + upperSlot], data[y + upperSlot])
        masks[fa] |= masks[fb]
    }

    /// `fa = fa op fb`.
    mutating func combine(_ op: BinaryOp, _ fa: Int, _ fb: Int) {
        let x = fa * width, y = fb * width
        switch op {
        case .add, .sub:
            let sign: Double = op == .add ? 1 : -1
            let (la, ua, lb, ub) = (data[x + lowerSlot], data[x + upperSlot], data[y + lowerSlot], data[y + upperSlot])
            accumulate(fa, fb, sign: sign)
            data[x + lowerSlot] = op == .add ? la + lb : la - ub
            data[x + upperSlot] = op == .add ? ua + ub : ua - lb
        case .mul:
            if isConstant(fb) {
                scale(fa, by: constant(fb))
            } else if isConstant(fa) {
                let k = constant(fa)
                copy(fb, to: fa)
                scale(fa, by: k)
            } else {
                // Not affine: keep both slopes (an estimate), lose the bounds.
                accumulate(fa, fb, sign: 1)
                masks[fa] |= inexactBit
                data[x + lowerSlot] = -.infinity
                data[x + upperSlot] = .infinity
            }
        case .div, .mod:
            if isConstant(fa) && isConstant(fb) && constant(fb) != 0 {
                // Floor division and remainder of constants, exactly.
                let (n, d) = (constant(fa), constant(fb))
                let q = (n / d).rounded(.down)
                data[x + constSlot] = op == .div ? q : n - q * d
                data[x + lowerSlot] = -.infinity
                data[x + upperSlot] = .infinity
            } else if op == .div {
                if isConstant(fb), constant(fb) != 0 {
                    scale(fa, by: 1 / constant(fb))
                } else {
                    data[x + lowerSlot] = -.infinity
                    data[x + upperSlot] = .infinity
                }
                masks[fa] |= masks[fb] | inexactBit
            } else {
                masks[fa] |= masks[fb] | inexactBit
                if isConstant(fb), constant(fb) > 0 {
                    data[x + lowerSlot] = max(data[x + lowerSlot], 0)
                    data[x + upperSlot] = min(data[x + upperSlot], constant(fb) - 1)
                }
            }
        case .min, .max:
            if isConstant(fa) && isConstant(fb) {
                let (ca, cb) = (constant(fa), constant(fb))
                data[x + constSlot] = op == .min ? min(ca, cb) : max(ca, cb)
            } else if isConstant(fa) || isConstant(fb) {
                // Against a constant (clamps, tails): the other side's slopes, narrowed bounds.
                masks[fa] |= inexactBit
                let c: Double
                if isConstant(fb) {
                    c = constant(fb)
                } else {
                    c = constant(fa)
                    copy(fb, to: fa)
                }
                if op == .min { data[x + upperSlot] = min(data[x + upperSlot], c) } else { data[x + lowerSlot] = max(data[x + lowerSlot], c) }
            } else {
                // Both vary: the first side's slopes, the bounds of the result.
                masks[fa] |= masks[fb] | inexactBit
                let (la, ua, lb, ub) = (data[x + lowerSlot], data[x + upperSlot], data[y + lowerSlot], data[y + upperSlot])
                data[x + lowerSlot] = op == .min ? min(la, lb) : max(la, lb)
                data[x + upperSlot] = op == .min ? min(ua, ub) : max(ua, ub)
            }
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or:
            masks[fa] |= masks[fb]
            booleanize(fa)
        }
    }
}
