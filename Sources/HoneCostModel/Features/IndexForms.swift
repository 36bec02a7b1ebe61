import HoneIR

// Index expressions as (approximately) affine forms over the enclosing loops.
//
// A form is `Σ_l c_l · t_l + k`, where `t_l ∈ [0, extent_l - 1]` counts the
// iterations of the loop at depth `l` (a loop variable is its `min` plus
// `t_l`), clamped to `[lower, upper]`. Forms are dense rows of `formWidth`
// doubles in one scratch array, allocated and freed like a stack:
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

extension FeatureExtractor {
    @inline(__always) var constSlot: Int { depthCapacity }
    @inline(__always) var lowerSlot: Int { depthCapacity + 1 }
    @inline(__always) var upperSlot: Int { depthCapacity + 2 }

    /// A new form `0` with unbounded range on top of the form stack.
    @inline(__always)
    mutating func newForm() -> Int {
        let f = formTop
        formTop += 1
        let base = f * formWidth
        if formMask.count <= f { formMask.append(0) }
        if formData.count < base + formWidth {
            formData.append(contentsOf: repeatElement(0, count: base + formWidth - formData.count))
        }
        for i in base..<(base + depthCapacity + 1) { formData[i] = 0 }
        formData[base + lowerSlot] = -.infinity
        formData[base + upperSlot] = .infinity
        formMask[f] = 0
        return f
    }

    @inline(__always)
    mutating func copyForm(_ from: Int, to: Int) {
        let a = from * formWidth, b = to * formWidth
        for i in 0..<formWidth { formData[b + i] = formData[a + i] }
        formMask[to] = formMask[from]
    }

    @inline(__always) func isConstant(_ f: Int) -> Bool { formMask[f] & (levelBits | opaqueBit) == 0 }
    @inline(__always) func constant(_ f: Int) -> Double { formData[f * formWidth + constSlot] }
    @inline(__always) func coefficient(_ f: Int, _ level: Int) -> Double { formData[f * formWidth + level] }

    /// Multiplies form `f` by the constant `k`.
    mutating func scale(_ f: Int, by k: Double) {
        let base = f * formWidth
        if k == 0 {
            for i in base..<(base + depthCapacity + 1) { formData[i] = 0 }
            formData[base + lowerSlot] = 0
            formData[base + upperSlot] = 0
            formMask[f] &= opaqueBit | inexactBit
            return
        }
        for i in base..<(base + depthCapacity + 1) { formData[i] *= k }
        let (lo, hi) = (formData[base + lowerSlot] * k, formData[base + upperSlot] * k)
        formData[base + lowerSlot] = k > 0 ? lo : hi
        formData[base + upperSlot] = k > 0 ? hi : lo
    }

    /// `a += sign · b` (slopes, constant and mask); bounds are left to the caller.
    @inline(__always)
    mutating func accumulate(_ a: Int, _ b: Int, sign: Double) {
        let x = a * formWidth, y = b * formWidth
        for i in 0...depthCapacity { formData[x + i] += sign * formData[y + i] }
        formMask[a] |= formMask[b]
    }

    /// The form of an index expression, pushed on the form stack (its
    /// temporaries are popped again).
    mutating func linearize(_ e: Expr) -> Int {
        switch e {
        case .int(let v, _):
            let f = newForm()
            formData[f * formWidth + constSlot] = Double(v)
            return f
        case .float(let v, _):
            let f = newForm()
            formData[f * formWidth + constSlot] = v
            return f
        case .variable(let name, _):
            switch resolve(name) {
            case .letForm(let bound)?:
                return linearizeLet(bound)
            case .loop(let level)?:
                let f = newForm()
                switch loops[level].start {
                case .constant(let m): formData[f * formWidth + constSlot] = m
                case .form(let m): copyForm(m, to: f)
                }
                formData[f * formWidth + level] += 1
                formMask[f] |= levelBit(level)
                return f
            case nil:
                return newForm()
            }
        case .load, .call:
            let f = newForm()
            formMask[f] = opaqueBit | inexactBit
            return f
        case .cast(_, let a):
            return linearize(a)
        case .unary(.neg, let a):
            let f = linearize(a)
            scale(f, by: -1)
            return f
        case .unary(.not, let a):
            let f = linearize(a)
            booleanize(f)
            return f
        case .select(_, let a, let b):
            let fa = linearize(a), fb = linearize(b)
            formMask[fa] |= inexactBit
            // Keep the first branch's slopes; widen the bounds over both.
            let x = fa * formWidth, y = fb * formWidth
            formData[x + lowerSlot] = min(formData[x + lowerSlot], formData[y + lowerSlot])
            formData[x + upperSlot] = max(formData[x + upperSlot], formData[y + upperSlot])
            formMask[fa] |= formMask[fb]
            formTop = fa + 1
            return fa
        case .binary(let op, let a, let b):
            let fa = linearize(a), fb = linearize(b)
            combine(op, fa, fb)
            formTop = fa + 1
            return fa
        }
    }

    /// A `let`-bound index: a copy of the form computed where it was bound.
    private mutating func linearizeLet(_ bound: Int) -> Int {
        let f = newForm()
        copyForm(bound, to: f)
        return f
    }

    private mutating func booleanize(_ f: Int) {
        formMask[f] |= inexactBit
        let base = f * formWidth
        for i in base..<(base + depthCapacity + 1) { formData[i] = 0 }
        formData[base + lowerSlot] = 0
        formData[base + upperSlot] = 1
    }

    /// `fa = fa op fb`.
    private mutating func combine(_ op: BinaryOp, _ fa: Int, _ fb: Int) {
        let x = fa * formWidth, y = fb * formWidth
        switch op {
        case .add, .sub:
            let sign: Double = op == .add ? 1 : -1
            let (la, ua, lb, ub) = (formData[x + lowerSlot], formData[x + upperSlot], formData[y + lowerSlot], formData[y + upperSlot])
            accumulate(fa, fb, sign: sign)
            formData[x + lowerSlot] = op == .add ? la + lb : la - ub
            formData[x + upperSlot] = op == .add ? ua + ub : ua - lb
        case .mul:
            if isConstant(fb) {
                scale(fa, by: constant(fb))
            } else if isConstant(fa) {
                let k = constant(fa)
                copyForm(fb, to: fa)
                scale(fa, by: k)
            } else {
                // Not affine: keep both slopes (an estimate), lose the bounds.
                accumulate(fa, fb, sign: 1)
                formMask[fa] |= inexactBit
                formData[x + lowerSlot] = -.infinity
                formData[x + upperSlot] = .infinity
            }
        case .div, .mod:
            if isConstant(fa) && isConstant(fb) && constant(fb) != 0 {
                // Floor division and remainder of constants, exactly.
                let (n, d) = (constant(fa), constant(fb))
                let q = (n / d).rounded(.down)
                formData[x + constSlot] = op == .div ? q : n - q * d
                formData[x + lowerSlot] = -.infinity
                formData[x + upperSlot] = .infinity
            } else if op == .div {
                if isConstant(fb), constant(fb) != 0 {
                    scale(fa, by: 1 / constant(fb))
                } else {
                    formData[x + lowerSlot] = -.infinity
                    formData[x + upperSlot] = .infinity
                }
                formMask[fa] |= formMask[fb] | inexactBit
            } else {
                formMask[fa] |= formMask[fb] | inexactBit
                if isConstant(fb), constant(fb) > 0 {
                    formData[x + lowerSlot] = max(formData[x + lowerSlot], 0)
                    formData[x + upperSlot] = min(formData[x + upperSlot], constant(fb) - 1)
                }
            }
        case .min, .max:
            if isConstant(fa) && isConstant(fb) {
                let (ca, cb) = (constant(fa), constant(fb))
                formData[x + constSlot] = op == .min ? min(ca, cb) : max(ca, cb)
            } else if isConstant(fa) || isConstant(fb) {
                // Against a constant (clamps, tails): the other side's slopes, narrowed bounds.
                formMask[fa] |= inexactBit
                let c: Double
                if isConstant(fb) {
                    c = constant(fb)
                } else {
                    c = constant(fa)
                    copyForm(fb, to: fa)
                }
                if op == .min { formData[x + upperSlot] = min(formData[x + upperSlot], c) } else { formData[x + lowerSlot] = max(formData[x + lowerSlot], c) }
            } else {
                // Both vary: the first side's slopes, the bounds of the result.
                formMask[fa] |= formMask[fb] | inexactBit
                let (la, ua, lb, ub) = (formData[x + lowerSlot], formData[x + upperSlot], formData[y + lowerSlot], formData[y + upperSlot])
                formData[x + lowerSlot] = op == .min ? min(la, lb) : max(la, lb)
                formData[x + upperSlot] = op == .min ? min(ua, ub) : max(ua, ub)
            }
        case .eq, .ne, .lt, .le, .gt, .ge, .and, .or:
            formMask[fa] |= formMask[fb]
            booleanize(fa)
        }
    }
}
