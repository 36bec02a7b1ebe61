import HoneIR

// How often an `if` condition holds, as a fraction of the iterations of the
// loops around it. Lowering guards split tails (`y.0 * 3 + y.1 < 8`) and
// partitions tiles into a fast copy and a guarded copy of the same stores
// (`if y.0 * 3 - 6 < 0 { … } else { … }`): weighting each branch by its
// fraction counts the work of both copies once. Where lowering counted the
// test exactly (`IfFacts.counts`), that fraction is used; what follows
// estimates the rest: tests of a compute_at region's bounds, whose outcome
// moves with the consumer's loops, and `if`s built by hand.
//
// The enclosing conditions are kept on a stack. A condition is counted
//  - in closed form when it is an affine comparison `Σ c_l·t_l + k < b` or
//    a conjunction of them (the loop with the most iterations is solved
//    for, as an interval, the others enumerated, up to `enumerationLimit`
//    combinations); a comparison that
//    moves with one loop only also narrows that loop's range inside the
//    branch (it is "captured"), so the guards nested in it are counted over
//    the iterations that reach them;
//  - otherwise (div/mod of fused loops, min/max, or entangled with an
//    enclosing condition the ranges do not capture) by enumerating the
//    loops it and the entangled enclosing conditions read, outermost first,
//    skipping subtrees where an enclosing condition fails, evaluating them
//    compiled to a small stack code, within `evaluationBudget` evaluations;
//  - else estimated: affine forms taken as uniform, `&&`/`||` as independent.
// `&&`/`||` of operands that share no loops are combined as independent
// (exactly); otherwise by the chain rule, P(a ∧ b) = P(a) · P(b | a), with
// `a` pushed as an enclosing condition while `b` is counted. Anything that
// reads memory counts 1/2.

/// One instruction of a compiled integer condition.
struct GuardOp {
    var code: UInt8
    var argument: Int64
}

/// An enclosing `if` condition.
struct GuardEntry {
    var condition: Expr
    /// Its compiled code (`guardCode[start..<end]`), if it could be compiled.
    var start: Int
    var end: Int
    var compiled: Bool
    var mask: UInt64
    /// Whether the current branch is the one where it holds.
    var holds: Bool
    /// Whether the narrowed loop ranges already express it exactly.
    var captured: Bool
}

private enum Code {
    static let constant: UInt8 = 0, loop: UInt8 = 1, neg: UInt8 = 2, not: UInt8 = 3, select: UInt8 = 4
    static let add: UInt8 = 10, sub: UInt8 = 11, mul: UInt8 = 12, div: UInt8 = 13, mod: UInt8 = 14, min: UInt8 = 15, max: UInt8 = 16
    static let lt: UInt8 = 17, le: UInt8 = 18, gt: UInt8 = 19, ge: UInt8 = 20, eq: UInt8 = 21, ne: UInt8 = 22, and: UInt8 = 23, or: UInt8 = 24

    static func binary(_ op: BinaryOp) -> UInt8 {
        switch op {
        case .add: add
        case .sub: sub
        case .mul: mul
        case .div: div
        case .mod: mod
        case .min: min
        case .max: max
        case .lt: lt
        case .le: le
        case .gt: gt
        case .ge: ge
        case .eq: eq
        case .ne: ne
        case .and: and
        case .or: or
        }
    }
}

extension FeatureExtractor {
    static let enumerationLimit = 1024.0
    static let evaluationBudget = 2048.0

    // MARK: Branches

    /// Visits an `if`: each branch weighted by how often it runs.
    mutating func visitGuarded(_ condition: Expr, _ then: Stmt, _ otherwise: Stmt?, _ facts: IfFacts) {
        let outer = fraction
        let holds: Double
        if let counts = facts.counts {
            holds = counts.evaluations > 0 ? Double(counts.holds) / Double(counts.evaluations) : 0
        } else {
            holds = conditionFraction(condition)
        }
        let top = pushGuard(condition)
        let height = narrowed.count
        guardDepth += 1

        fraction = outer * holds
        guardStack[top].captured = narrowThen(condition)
        visit(then)
        restoreRanges(to: height)
        if let otherwise {
            fraction = outer * (1 - holds)
            guardStack[top].holds = false
            guardStack[top].captured = narrowElse(condition)
            visit(otherwise)
            restoreRanges(to: height)
        }

        guardDepth -= 1
        popGuard()
        fraction = outer
    }

    /// Pushes `condition` (compiled) on the guard stack, as holding and not captured; returns its index.
    private mutating func pushGuard(_ condition: Expr) -> Int {
        let start = guardCode.count
        var mask: UInt64 = 0
        let compiled = compile(condition, &mask)
        if !compiled { guardCode.removeSubrange(start...) }
        guardStack.append(GuardEntry(condition: condition, start: start, end: guardCode.count, compiled: compiled,
                                     mask: mask & levelBits, holds: true, captured: false))
        return guardStack.count - 1
    }

    private mutating func popGuard() {
        let entry = guardStack.removeLast()
        guardCode.removeSubrange(entry.start...)
    }

    /// P(a ∧ b) = P(a) · P(b | a), or with `holds: false`, P(¬a ∧ b) = (1 - P(a)) · P(b | ¬a):
    /// `b` is counted with `a` as an enclosing condition.
    private mutating func chained(_ a: Expr, _ b: Expr, holds: Bool) -> Double {
        let pa = conditionFraction(a)
        let first = holds ? pa : 1 - pa
        if first <= 0 { return 0 }
        let top = pushGuard(a)
        let height = narrowed.count
        guardStack[top].holds = holds
        guardStack[top].captured = holds ? narrowThen(a) : narrowElse(a)
        let pb = conditionFraction(b)
        restoreRanges(to: height)
        popGuard()
        return first * pb
    }

    /// The fraction of the iterations reaching this point where `e` holds.
    mutating func conditionFraction(_ e: Expr) -> Double {
        switch e {
        case .int(let v, _):
            return v != 0 ? 1 : 0
        case .unary(.not, let a):
            return 1 - conditionFraction(a)
        case .binary(.and, let a, let b) where independent(a, b):
            return conditionFraction(a) * conditionFraction(b)
        case .binary(.or, let a, let b) where independent(a, b):
            let (x, y) = (conditionFraction(a), conditionFraction(b))
            return x + y - x * y
        case .binary(.and, let a, let b):
            // All affine: closed form. Otherwise the chain rule, so the
            // non-affine part is counted given the rest.
            if let p = affineFraction(e) { return p }
            return chained(a, b, holds: true)
        case .binary(.or, let a, let b):
            // P(a ∨ b) = P(a) + P(¬a ∧ b).
            return conditionFraction(a) + chained(a, b, holds: false)
        default:
            break
        }
        if let p = affineFraction(e) { return p }
        if let p = enumeratedFraction(e) { return p }
        return estimatedFraction(e)
    }

    /// Whether two conditions read no common loop, directly or through an
    /// enclosing condition the loop ranges do not capture.
    private mutating func independent(_ a: Expr, _ b: Expr) -> Bool {
        let mark = formTop
        defer { formTop = mark }
        let ma = formMask[linearize(a)], mb = formMask[linearize(b)]
        if (ma | mb) & opaqueBit != 0 { return false }
        return entangled(ma & levelBits) & entangled(mb & levelBits) == 0
    }

    /// `mask` widened by the uncaptured enclosing conditions that share loops with it (transitively).
    private func entangled(_ mask: UInt64) -> UInt64 {
        var m = mask
        var changed = true
        while changed {
            changed = false
            for g in guardStack where !g.captured && g.mask & m != 0 && g.mask & ~m != 0 {
                m |= g.mask
                changed = true
            }
        }
        return m
    }

    private func touchesUncaptured(_ mask: UInt64) -> Bool {
        guardStack.contains { !$0.captured && $0.mask & mask != 0 }
    }

    /// A conjunction of affine comparisons (`<`, `<=`, `>`, `>=`, `==`),
    /// counted in closed form; nil if the condition is not one. Enclosing
    /// conditions the loop ranges do not capture but that share loops with
    /// it join as constraints (negated in `else` branches) when they are
    /// affine too: the fraction is count(them ∧ it) / count(them).
    private mutating func affineFraction(_ e: Expr) -> Double? {
        let mark = formTop
        defer { formTop = mark }
        constraintForms.removeAll(keepingCapacity: true)
        constraintBounds.removeAll(keepingCapacity: true)
        var mask: UInt64 = 0
        guard collectConstraints(e) else { return nil }
        for f in constraintForms { mask |= formMask[f] }
        let loops = entangled(mask & levelBits)
        let own = constraintForms.count
        for g in guardStack where !g.captured && g.mask & loops != 0 {
            let before = constraintForms.count
            guard collectConstraints(g.condition) else { return nil }
            if !g.holds {
                // Not (f < b), f integer valued: -f < 1 - b. Only a single comparison negates to one.
                guard constraintForms.count == before + 1 else { return nil }
                scale(constraintForms[before], by: -1)
                constraintBounds[before] = 1 - constraintBounds[before]
            }
        }
        if constraintForms.count == own { return conjunctionFraction(from: 0) }
        guard let reached = conjunctionFraction(from: own), let holds = conjunctionFraction(from: 0) else { return nil }
        return reached > 0 ? min(1, holds / reached) : 0
    }

    /// Each comparison of an `&&` chain as `form < bound`; false if one is not exact and affine.
    private mutating func collectConstraints(_ e: Expr) -> Bool {
        switch e {
        case .binary(.and, let a, let b):
            return collectConstraints(a) && collectConstraints(b)
        case .int(let v, _):
            let f = newForm()  // 0 < 1 holds, 0 < 0 does not
            constraintForms.append(f)
            constraintBounds.append(v != 0 ? 1 : 0)
            return true
        case .binary(let op, let a, let b) where op.isComparison && op != .ne:
            let d = linearize(a)
            accumulate(d, linearize(b), sign: -1)  // d = a - b
            formTop = d + 1
            guard formMask[d] & (opaqueBit | inexactBit) == 0 else { return false }
            switch op {
            case .lt, .le:
                constraintForms.append(d)
                constraintBounds.append(op == .lt ? 0 : 1)
            case .gt, .ge:
                scale(d, by: -1)
                constraintForms.append(d)
                constraintBounds.append(op == .gt ? 0 : 1)
            default:  // .eq: d < 1 and -d < 1
                let n = newForm()
                copyForm(d, to: n)
                scale(n, by: -1)
                constraintForms += [d, n]
                constraintBounds += [1, 1]
            }
            return true
        default:
            return false
        }
    }

    /// The fraction of the enclosing loops' iterations (within their current
    /// ranges) where every `constraintForms[i] < constraintBounds[i]` for
    /// i >= `first`. Constraints on one loop narrow its range; of the loops
    /// the others read, the one with the most iterations is solved for (an
    /// interval) and the rest enumerated; nil past `enumerationLimit`
    /// combinations.
    private mutating func conjunctionFraction(from first: Int) -> Double? {
        let n = constraintForms.count
        for l in 0..<depth {
            localLow[l] = levelLow[l]
            localCount[l] = levelCount[l]
        }
        constraintActive.removeAll(keepingCapacity: true)
        constraintActive.append(contentsOf: repeatElement(false, count: n))
        var involved: UInt64 = 0
        for i in first..<n {
            let base = constraintForms[i] * formWidth
            var only = -1, loops = 0
            for l in 0..<depth where formData[base + l] != 0 {
                involved |= levelBit(l)
                only = l
                loops += 1
            }
            if loops == 0 {
                if formData[base + constSlot] >= constraintBounds[i] { return 0 }
            } else if loops == 1 {
                // c·(low + u) + k < bound for u in 0..<count: a prefix (c > 0) or a suffix (c < 0).
                let c = formData[base + only], low = localLow[only], count = localCount[only]
                let hits = iterationsBelow(c, constraintBounds[i] - formData[base + constSlot] - c * low, count)
                if hits <= 0 { return 0 }
                if c < 0 { localLow[only] = low + count - hits }
                localCount[only] = hits
            } else {
                constraintActive[i] = true
            }
        }
        // The remaining constraints: sums at the first point, the loops they move with.
        constraintSums.removeAll(keepingCapacity: true)
        var moving: UInt64 = 0
        for i in 0..<n {
            var sum = formData[constraintForms[i] * formWidth + constSlot]
            if constraintActive[i] {
                for l in 0..<depth {
                    let c = formData[constraintForms[i] * formWidth + l]
                    if c != 0 {
                        sum += c * localLow[l]
                        if localCount[l] > 1 { moving |= levelBit(l) }
                    }
                }
            }
            constraintSums.append(sum)
        }
        var denominator = 1.0, factor = 1.0
        enumLevels.removeAll(keepingCapacity: true)
        var solved = -1
        for l in 0..<depth where involved & levelBit(l) != 0 {
            denominator *= levelCount[l]
            guard moving & levelBit(l) != 0 else {
                factor *= localCount[l]
                continue
            }
            if solved < 0 || localCount[l] > localCount[solved] {
                if solved >= 0 { enumLevels.append(solved) }
                solved = l
            } else {
                enumLevels.append(l)
            }
        }
        if solved < 0 {
            for i in first..<n where constraintActive[i] && constraintSums[i] >= constraintBounds[i] { return 0 }
            return factor / denominator
        }
        var others = 1.0
        for l in enumLevels { others *= localCount[l] }
        guard others <= Self.enumerationLimit else { return nil }
        let extent = localCount[solved]
        enumCounter.removeAll(keepingCapacity: true)
        enumCounter.append(contentsOf: repeatElement(0, count: enumLevels.count))
        var hits = 0.0
        while true {
            // The solved loop's iterations u (0..<extent) meeting every c·u < bound - sum.
            var low = 0.0, high = extent - 1
            for i in first..<n where constraintActive[i] {
                let c = formData[constraintForms[i] * formWidth + solved]
                let x = constraintBounds[i] - constraintSums[i]
                if c > 0 {
                    high = min(high, (x / c).rounded(.up) - 1)
                } else if c < 0 {
                    low = max(low, (x / c).rounded(.down) + 1)
                } else if x <= 0 {
                    high = -1
                }
            }
            hits += max(0, high - low + 1)
            var j = 0
            while j < enumLevels.count {
                let l = enumLevels[j]
                enumCounter[j] += 1
                let wrap = Double(enumCounter[j]) >= localCount[l]
                for i in first..<n where constraintActive[i] {
                    let c = formData[constraintForms[i] * formWidth + l]
                    constraintSums[i] += wrap ? -c * (localCount[l] - 1) : c
                }
                if !wrap { break }
                enumCounter[j] = 0
                j += 1
            }
            if j == enumLevels.count { break }
        }
        return hits * factor / denominator
    }

    /// The fraction where `d op 0` holds, `d` an affine form (integer valued when exact).
    private mutating func comparisonFraction(_ op: BinaryOp, _ d: Int) -> Double {
        switch op {
        case .lt: return fractionBelow(d, 0)
        case .le: return fractionBelow(d, 1)
        case .eq: return fractionBelow(d, 1) - fractionBelow(d, 0)
        case .ne: return 1 - (fractionBelow(d, 1) - fractionBelow(d, 0))
        case .gt:
            scale(d, by: -1)
            return fractionBelow(d, 0)
        default:  // .ge
            scale(d, by: -1)
            return fractionBelow(d, 1)
        }
    }

    /// The affine estimate: forms taken as exact, `&&`/`||` as independent, the rest 1/2.
    private mutating func estimatedFraction(_ e: Expr) -> Double {
        switch e {
        case .int(let v, _):
            return v != 0 ? 1 : 0
        case .unary(.not, let a):
            return 1 - estimatedFraction(a)
        case .binary(.and, let a, let b):
            return estimatedFraction(a) * estimatedFraction(b)
        case .binary(.or, let a, let b):
            let (x, y) = (estimatedFraction(a), estimatedFraction(b))
            return x + y - x * y
        case .binary(let op, let a, let b) where op.isComparison:
            let mark = formTop
            defer { formTop = mark }
            let d = linearize(a)
            accumulate(d, linearize(b), sign: -1)
            guard formMask[d] & opaqueBit == 0 else { return 0.5 }
            return comparisonFraction(op, d)
        default:
            return 0.5
        }
    }

    /// The fraction of the enclosing loops' iterations (within their current
    /// ranges) where form `f` < `bound`.
    mutating func fractionBelow(_ f: Int, _ bound: Double) -> Double {
        let base = f * formWidth
        var k = formData[base + constSlot]
        // The loops the form moves with; the widest is solved for, the others enumerated.
        enumLevels.removeAll(keepingCapacity: true)
        var solved = -1
        var others = 1.0
        for l in 0..<depth where formData[base + l] != 0 {
            k += formData[base + l] * levelLow[l]
            guard levelCount[l] > 1 else { continue }
            if solved < 0 || levelCount[l] > levelCount[solved] {
                if solved >= 0 { enumLevels.append(solved) }
                solved = l
            } else {
                enumLevels.append(l)
            }
        }
        if solved < 0 { return k < bound ? 1 : 0 }
        var low = k, high = k
        for i in 0...enumLevels.count {
            let l = i < enumLevels.count ? enumLevels[i] : solved
            let v = formData[base + l] * (levelCount[l] - 1)
            if v < 0 { low += v } else { high += v }
        }
        if high < bound { return 1 }
        if low >= bound { return 0 }
        for l in enumLevels { others *= levelCount[l] }
        if others > Self.enumerationLimit {
            return min(1, max(0, (bound - low) / (high - low + 1)))
        }
        let c = formData[base + solved], extent = levelCount[solved]
        enumCounter.removeAll(keepingCapacity: true)
        enumCounter.append(contentsOf: repeatElement(0, count: enumLevels.count))
        var hits = 0.0
        var sum = k
        while true {
            // Iterations of the solved loop with c·u < bound - sum.
            hits += iterationsBelow(c, bound - sum, extent)
            // Next combination of the enumerated loops (mixed radix), updating the sum.
            var i = 0
            while i < enumLevels.count {
                let l = enumLevels[i]
                enumCounter[i] += 1
                sum += formData[base + l]
                if Double(enumCounter[i]) < levelCount[l] { break }
                sum -= formData[base + l] * levelCount[l]
                enumCounter[i] = 0
                i += 1
            }
            if i == enumLevels.count { break }
        }
        return hits / (others * extent)
    }

    /// How many integers u in 0..<n have c·u < x (c ≠ 0).
    @inline(__always)
    func iterationsBelow(_ c: Double, _ x: Double, _ n: Double) -> Double {
        let y = x / c
        return c > 0 ? min(max(y.rounded(.up), 0), n) : n - min(max(y.rounded(.down) + 1, 0), n)
    }

    // MARK: Exact counting by enumeration

    /// The fraction where `e` holds among the points of the loops it reads
    /// that satisfy the enclosing conditions entangled with it. The loops of
    /// those conditions are walked first (outermost first), then the others,
    /// and a subtree is skipped as soon as an enclosing condition fails. Nil
    /// if `e` cannot be compiled or the walk would take more than
    /// `evaluationBudget` evaluations.
    private mutating func enumeratedFraction(_ e: Expr) -> Double? {
        let start = guardCode.count
        defer { guardCode.removeSubrange(start...) }
        var mask: UInt64 = 0
        guard compile(e, &mask) else { return nil }
        let end = guardCode.count
        let loops = entangled(mask & levelBits)
        var guardLoops: UInt64 = 0
        usedGuards.removeAll(keepingCapacity: true)
        for (i, g) in guardStack.enumerated() where !g.captured && g.mask & loops != 0 {
            guard g.compiled else { return nil }
            usedGuards.append(i)
            guardLoops |= g.mask
        }
        // The loops to walk: the guards' first; fixed ones just take their value.
        enumLevels.removeAll(keepingCapacity: true)
        var points = 1.0
        for pass in 0..<2 {
            for l in 0..<depth where loops & levelBit(l) != 0 && (guardLoops & levelBit(l) != 0) == (pass == 0) {
                pointValue[l] = Int64(levelMin[l] + levelLow[l])
                if levelCount[l] > 1 {
                    enumLevels.append(l)
                    points *= levelCount[l]
                } else if levelCount[l] < 1 {
                    return 0
                }
            }
        }
        // Each guard is checked once its last loop has a value; the walk cannot prune before the first check.
        guardPosition.removeAll(keepingCapacity: true)
        var firstCheck = enumLevels.count - 1
        for i in usedGuards {
            var position = -1
            for (p, l) in enumLevels.enumerated() where guardStack[i].mask & levelBit(l) != 0 { position = p }
            guardPosition.append(position)
            firstCheck = min(firstCheck, position)
        }
        var unpruned = 1.0
        for p in 0...max(firstCheck, 0) where p < enumLevels.count { unpruned *= levelCount[enumLevels[p]] }
        guard unpruned <= Self.evaluationBudget else { return nil }
        let codeLength = guardCode.count
        if evalStack.count < codeLength { evalStack.append(contentsOf: repeatElement(0, count: codeLength - evalStack.count)) }

        // The walk, on raw buffers (this is the inner loop of feature extraction when it runs).
        let levels = enumLevels
        let counts = enumLevels.map { Int64(levelCount[$0]) }
        let checks = usedGuards.indices.map { (guardPosition[$0], guardStack[usedGuards[$0]].start, guardStack[usedGuards[$0]].end,
                                               guardStack[usedGuards[$0]].holds) }
        return guardCode.withUnsafeBufferPointer { code in
            evalStack.withUnsafeMutableBufferPointer { stack in
                pointValue.withUnsafeMutableBufferPointer { values -> Double? in
                    func passes(_ p: Int) -> Bool {
                        for (position, from, to, holds) in checks where position == p {
                            if (Self.evaluate(code, from, to, stack, values) != 0) != holds { return false }
                        }
                        return true
                    }
                    if !passes(-1) { return 0 }
                    if levels.isEmpty { return Self.evaluate(code, start, end, stack, values) != 0 ? 1 : 0 }
                    var counter = [Int64](repeating: 0, count: levels.count)
                    var reached = 0.0, holds = 0.0, evaluations = 0.0
                    let last = levels.count - 1
                    var p = 0
                    while p >= 0 {
                        evaluations += 1
                        if evaluations > Self.evaluationBudget { return nil }
                        if passes(p) {
                            if p < last {
                                p += 1  // descend: the next loop starts at its first value
                                continue
                            }
                            reached += 1
                            if Self.evaluate(code, start, end, stack, values) != 0 { holds += 1 }
                        }
                        // Advance position p, backtracking past exhausted loops.
                        while p >= 0 {
                            counter[p] += 1
                            if counter[p] < counts[p] {
                                values[levels[p]] += 1
                                break
                            }
                            counter[p] = 0
                            values[levels[p]] -= counts[p] - 1
                            p -= 1
                        }
                    }
                    return reached > 0 ? holds / reached : 0
                }
            }
        }
    }

    /// Appends the stack code of an integer expression to `guardCode`;
    /// false if it reads memory, floats or a loop with a variable start.
    private mutating func compile(_ e: Expr, _ mask: inout UInt64) -> Bool {
        switch e {
        case .int(let v, _):
            guardCode.append(GuardOp(code: Code.constant, argument: v))
            return true
        case .float, .load, .call:
            return false
        case .variable(let name, _):
            let i = scopeIndex(name)
            guard i >= 0 else { return false }
            let ref = scopeRefs[i]
            if ref < 0 { return compile(scopeValues[i], &mask) }
            let level = Int(ref)
            guard levelMinForm[level] < 0 else { return false }
            guardCode.append(GuardOp(code: Code.loop, argument: Int64(level)))
            mask |= levelBit(level)
            return true
        case .cast(let t, let a):
            return !t.isFloat && compile(a, &mask)
        case .unary(let op, let a):
            guard compile(a, &mask) else { return false }
            guardCode.append(GuardOp(code: op == .neg ? Code.neg : Code.not, argument: 0))
            return true
        case .binary(let op, let a, let b):
            guard compile(a, &mask), compile(b, &mask) else { return false }
            guardCode.append(GuardOp(code: Code.binary(op), argument: 0))
            return true
        case .select(let c, let a, let b):
            guard compile(c, &mask), compile(a, &mask), compile(b, &mask) else { return false }
            guardCode.append(GuardOp(code: Code.select, argument: 0))
            return true
        }
    }

    /// Runs `code[start..<end]` at the loop values in `values` (indexed by level).
    @inline(__always)
    private static func evaluate(_ code: UnsafeBufferPointer<GuardOp>, _ start: Int, _ end: Int,
                                 _ evalStack: UnsafeMutableBufferPointer<Int64>, _ values: UnsafeMutableBufferPointer<Int64>) -> Int64 {
        var sp = 0
        for pc in start..<end {
            let op = code[pc]
            switch op.code {
            case Code.constant:
                evalStack[sp] = op.argument
                sp += 1
            case Code.loop:
                evalStack[sp] = values[Int(op.argument)]
                sp += 1
            case Code.neg:
                evalStack[sp - 1] = 0 &- evalStack[sp - 1]
            case Code.not:
                evalStack[sp - 1] = evalStack[sp - 1] == 0 ? 1 : 0
            case Code.select:
                sp -= 2
                evalStack[sp - 1] = evalStack[sp - 1] != 0 ? evalStack[sp] : evalStack[sp + 1]
            default:
                sp -= 1
                let (a, b) = (evalStack[sp - 1], evalStack[sp])
                let r: Int64
                switch op.code {
                case Code.add: r = a &+ b
                case Code.sub: r = a &- b
                case Code.mul: r = a &* b
                case Code.div, Code.mod:
                    // Floor division, as Hone's integer semantics.
                    guard b != 0, !(a == .min && b == -1) else {
                        r = 0
                        break
                    }
                    var q = a / b
                    if a % b != 0 && ((a < 0) != (b < 0)) { q -= 1 }
                    r = op.code == Code.div ? q : a - q * b
                case Code.min: r = Swift.min(a, b)
                case Code.max: r = Swift.max(a, b)
                case Code.lt: r = a < b ? 1 : 0
                case Code.le: r = a <= b ? 1 : 0
                case Code.gt: r = a > b ? 1 : 0
                case Code.ge: r = a >= b ? 1 : 0
                case Code.eq: r = a == b ? 1 : 0
                case Code.ne: r = a != b ? 1 : 0
                case Code.and: r = a != 0 && b != 0 ? 1 : 0
                default: r = a != 0 || b != 0 ? 1 : 0
                }
                evalStack[sp - 1] = r
            }
        }
        return sp > 0 ? evalStack[0] : 0
    }

    // MARK: Narrowing loop ranges inside a branch

    /// Inside the `then` branch: narrows the loops of single-loop affine
    /// comparisons (through `&&`); true if that expresses the whole condition.
    mutating func narrowThen(_ e: Expr) -> Bool {
        if case .binary(.and, let a, let b) = e {
            let x = narrowThen(a)
            let y = narrowThen(b)
            return x && y
        }
        if case .int(let v, _) = e { return v != 0 }
        guard let (level, low, count) = satisfying(e) else { return false }
        if level >= 0 { narrow(level, low, count) }
        return true
    }

    /// Inside the `else` branch of a single comparison: the rest of the loop's range.
    mutating func narrowElse(_ e: Expr) -> Bool {
        guard let (level, low, count) = satisfying(e) else { return false }
        guard level >= 0 else { return true }
        let (l0, n0) = (levelLow[level], levelCount[level])
        if low == l0 {
            narrow(level, low + count, n0 - count)
        } else if low + count == l0 + n0 {
            narrow(level, l0, n0 - count)
        } else {
            return false
        }
        return true
    }

    private mutating func narrow(_ level: Int, _ low: Double, _ count: Double) {
        narrowed.append((level, levelLow[level], levelCount[level]))
        levelLow[level] = low
        levelCount[level] = max(count, 0)
    }

    /// Undoes the narrowing done since the stack had `height` entries.
    mutating func restoreRanges(to height: Int) {
        while narrowed.count > height {
            let (level, low, count) = narrowed.removeLast()
            levelLow[level] = low
            levelCount[level] = count
        }
    }

    /// For an affine comparison that moves with one loop at most: that loop's
    /// iterations (first, count) within its current range where it holds
    /// (level -1 for a comparison of constants that holds).
    private mutating func satisfying(_ e: Expr) -> (Int, Double, Double)? {
        guard case .binary(let op, let a, let b) = e, op.isComparison, op != .eq, op != .ne else { return nil }
        let mark = formTop
        defer { formTop = mark }
        let d = linearize(a)
        accumulate(d, linearize(b), sign: -1)
        guard formMask[d] & (opaqueBit | inexactBit) == 0 else { return nil }
        var bound = 0.0
        switch op {
        case .le: bound = 1
        case .gt: scale(d, by: -1)
        case .ge:
            scale(d, by: -1)
            bound = 1
        default: break
        }
        let base = d * formWidth
        var level = -1
        for l in 0..<depth where formData[base + l] != 0 {
            if level >= 0 { return nil }
            level = l
        }
        guard level >= 0 else { return formData[base + constSlot] < bound ? (-1, 0, 0) : nil }
        // c·(low + u) + k < bound for u in 0..<count: a prefix (c > 0) or a suffix (c < 0).
        let c = formData[base + level], low = levelLow[level], n = levelCount[level]
        let hits = iterationsBelow(c, bound - formData[base + constSlot] - c * low, n)
        return c > 0 ? (level, low, hits) : (level, low + n - hits, hits)
    }
}
