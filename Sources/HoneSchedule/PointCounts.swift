import HoneIR

/// Exact point counts of one stage nest under its guards and tile tests,
/// taken while lowering builds the nest (`NestBuilder`), where every
/// condition is still a conjunction of comparisons over the nest's own
/// loops of known extents.
///
/// Each conjunct ("literal") reads a few loops; literals that share loops
/// form a component. A component's loops are enumerated once, recording how
/// many points satisfy each combination of its literals (a histogram over
/// bit masks). The count of any conjunction is then the product over
/// components of the points whose mask has the conjunction's bits, times
/// the extents of the loops no literal reads: a split's guard and tile test
/// read only that variable's parts, so components stay as small as the
/// variable's extent. An `else` branch (a failed tile test, a negated
/// conjunction) is counted by inclusion–exclusion.
///
/// A literal that reads anything but the nest's loops (a region's origin,
/// bound outside the nest) or sits in a component of more than
/// `enumerationLimit` points has no count: the `if`s that test it get none.
/// A fused loop read only as `v / B` and `v % B` counts as its two parts,
/// so a split's guard and tile test are affine in the dimensions they read;
/// components of affine literals are walked only where a literal changes
/// truth inside a block (a split's last tile), and along their last
/// dimension each literal holds on a prefix or a suffix. Other components
/// are enumerated point by point.
struct PointCounter {
    static let enumerationLimit: Int64 = 1 << 16

    /// Per dimension: its extent and the position of its loop. Dimensions
    /// are the loops, outermost first, where a fused loop read only as
    /// `v / B` and `v % B` is two dimensions, its quotient (in the loop's
    /// place) and its remainder (after the loops) (`unfuse`).
    private var extents: [Int64]
    private var levels: [Int]
    private let positions: [String: Int]
    /// Per literal: its compiled form, nil when it cannot be counted.
    private var programs: [Term?] = []
    /// Per literal, when it is `Σ a_l·v_l + k < 0` over the loops: (a per loop, k).
    private var affine: [(coefficients: [Int64], constant: Int64)?] = []
    /// Per literal: loop positions read, as bits.
    private var reads: [UInt64] = []
    /// Per literal: its component and its bit within it (-1: no loops read).
    private var componentOf: [Int] = []
    private var bitOf: [Int] = []
    private var constantTruth: [Bool] = []
    /// Per dimension: the component that reads it (-1: none).
    private var componentOfDimension: [Int] = []
    /// Per literal: the innermost loop position it reads (-1: none).
    private var readLevel: [Int] = []
    private var components: [Component] = []

    private struct Component {
        var loops: [Int]
        var literals: [Int]
        /// Points per mask of satisfied literals; nil past the limit.
        var histogram: Histogram?
        var points: Int64
    }

    /// Points per mask, for the few masks that occur.
    private struct Histogram {
        var masks: [UInt64] = []
        var points: [Int64] = []

        mutating func add(_ mask: UInt64, _ n: Int64) {
            if let i = masks.firstIndex(of: mask) { points[i] += n } else { masks.append(mask); points.append(n) }
        }
    }

    init(loops: [(variable: String, extent: Int)]) {
        self.init(extents: loops.map { Int64($0.extent) },
                  positions: Dictionary(uniqueKeysWithValues: loops.enumerated().map { ($1.variable, $0) }))
    }

    /// Loops by position, outermost first, and each loop variable's position.
    init(extents: [Int64], positions: [String: Int]) {
        self.extents = extents
        self.levels = Array(extents.indices)
        self.positions = positions
    }

    /// Registers the conjuncts of `condition`; returns their indices. Equal
    /// conjuncts registered twice are two literals (with the same counts).
    mutating func register(_ condition: Expr) -> [Int] {
        var indices: [Int] = []
        func add(_ literal: Expr) {
            if case .binary(.and, let a, let b) = literal {
                add(a)
                add(b)
                return
            }
            indices.append(programs.count)
            var mask: UInt64 = 0
            programs.append(Term(literal, positions, &mask))
            reads.append(mask)
        }
        add(condition)
        return indices
    }

    /// Groups the literals into components and enumerates each one.
    mutating func finish() {
        if unfuse() {
            reads = programs.map { program in
                var mask: UInt64 = 0
                program?.forEachLoop { mask |= 1 << UInt64($0) }
                return mask
            }
        }
        readLevel = reads.map { mask in
            var level = -1
            for d in extents.indices where mask & (1 << UInt64(d)) != 0 { level = max(level, levels[d]) }
            return level
        }
        affine = programs.map { $0.flatMap(affineForm) }
        var parent = Array(extents.indices)
        func root(_ l: Int) -> Int { parent[l] == l ? l : root(parent[l]) }
        for mask in reads where mask != 0 {
            let first = mask.trailingZeroBitCount
            for l in extents.indices where mask & (1 << UInt64(l)) != 0 { parent[root(l)] = root(first) }
        }
        var byRoot = [Int](repeating: -1, count: extents.count)
        componentOf = Array(repeating: -1, count: programs.count)
        bitOf = Array(repeating: -1, count: programs.count)
        constantTruth = Array(repeating: true, count: programs.count)
        for i in programs.indices {
            guard let program = programs[i] else { continue }
            guard reads[i] != 0 else {
                var stack: [Int64] = []
                constantTruth[i] = program.evaluate([], &stack) != 0
                continue
            }
            let r = root(reads[i].trailingZeroBitCount)
            let c = byRoot[r] >= 0 ? byRoot[r] : {
                byRoot[r] = components.count
                let loops = extents.indices.filter { root($0) == r }
                components.append(Component(loops: loops, literals: [], histogram: nil, points: 0))
                return components.count - 1
            }()
            componentOf[i] = c
            bitOf[i] = components[c].literals.count
            components[c].literals.append(i)
        }
        componentOfDimension = Array(repeating: -1, count: extents.count)
        for (c, component) in components.enumerated() { for l in component.loops { componentOfDimension[l] = c } }
        for c in components.indices { enumerate(c) }
    }

    /// Splits each dimension that every literal reads as `v / B` or `v % B`
    /// (one B dividing its extent) in two, as the fused loop it comes from:
    /// `v` runs over the pairs (v / B, v % B), so counts are the same, and a
    /// fused loop's guard becomes affine in the parts. Repeats for fusions
    /// of fusions.
    private mutating func unfuse() -> Bool {
        var changed = true, any = false
        while changed {
            changed = false
            // Per dimension: nil unread, 0 read whole (or by differing B), else the B.
            var divisor = [Int64?](repeating: nil, count: extents.count)
            for program in programs { program?.forEachDivision(&divisor) }
            for d in extents.indices {
                guard let b = divisor[d], b > 1, extents[d] % b == 0, extents.count < 64 else { continue }
                let remainder = extents.count
                extents.append(b)
                levels.append(levels[d])
                extents[d] /= b
                programs = programs.map { $0?.unfusing(d, b, remainder) }
                changed = true
                any = true
            }
        }
        return any
    }

    private mutating func enumerate(_ c: Int) {
        let loops = components[c].loops, members = components[c].literals
        let allAffine = members.allSatisfy { affine[$0] != nil }
        // Points walked: all of them, or with affine literals all but the last loop's.
        var points: Int64 = 1
        for l in allAffine ? loops.dropLast() : loops[...] {
            let (p, overflow) = points.multipliedReportingOverflow(by: extents[l])
            guard !overflow, p <= Self.enumerationLimit else { return }
            points = p
        }
        components[c].points = points
        guard members.count <= 64, points > 0 else { return }
        var histogram = Histogram()
        if allAffine {
            enumerateAffine(loops, members, &histogram)
            components[c].histogram = histogram
            return
        }
        let terms = members.map { programs[$0]! }
        var values = [Int64](repeating: 0, count: extents.count)
        var stack: [Int64] = []
        while true {
            var mask: UInt64 = 0
            for (bit, term) in terms.enumerated() where term.evaluate(values, &stack) != 0 { mask |= 1 << UInt64(bit) }
            histogram.add(mask, 1)
            // The next point, innermost loop fastest.
            var k = loops.count - 1
            while k >= 0 {
                values[loops[k]] += 1
                if values[loops[k]] < extents[loops[k]] { break }
                values[loops[k]] = 0
                k -= 1
            }
            if k < 0 { break }
        }
        components[c].histogram = histogram
    }

    /// The histogram of a component of affine literals. Along each loop but
    /// the last, a literal is decided for a whole block of the loops inside
    /// (true or false at every point of it) except for a few values where its
    /// sum crosses zero within the block: runs of decided values count as
    /// one mask each, and only the others are walked. Along the last loop,
    /// each literal holds on a prefix or a suffix, so its points split into a
    /// few runs of one mask each. A split's guard is undecided in its last
    /// tile only, so the walk is a few steps whatever the extents.
    private func enumerateAffine(_ loops: [Int], _ members: [Int], _ histogram: inout Histogram) {
        let forms = members.map { affine[$0]! }
        let depth = loops.count
        // Per depth d and literal: the least and greatest sum of the loops past d,
        // and the points of those loops.
        // (Flat: depth d, literal i at d·width + i.)
        let width = forms.count
        var minRest = [Int64](repeating: 0, count: depth * width)
        var maxRest = minRest
        var inner = [Int64](repeating: 1, count: depth)
        for d in stride(from: depth - 2, through: 0, by: -1) {
            let l = loops[d + 1], n = extents[l]
            inner[d] = inner[d + 1] * n
            for (i, form) in forms.enumerated() {
                let span = form.coefficients[l] * (n - 1)
                minRest[d * width + i] = minRest[(d + 1) * width + i] + min(span, 0)
                maxRest[d * width + i] = maxRest[(d + 1) * width + i] + max(span, 0)
            }
        }
        // Per depth: its segment bounds, 2 + 2 per literal.
        let cutsPerDepth = 2 + 2 * width
        var segments = [Int64](repeating: 0, count: depth * cutsPerDepth)
        var sums = forms.map(\.constant)
        var low = [Int64](repeating: 0, count: forms.count), high = low
        var cuts: [Int64] = []
        /// The first v in 0...n where `s + a·v + r < 0` changes truth (0 or n when it never does).
        func breakpoint(_ s: Int64, _ a: Int64, _ r: Int64, _ n: Int64) -> Int64 {
            if a > 0 { return min(max(Interval.floorDiv(-s - r - 1, a) + 1, 0), n) }
            if a < 0 { return min(max(Interval.floorDiv(s + r, -a) + 1, 0), n) }
            return 0
        }
        func walk(_ d: Int) {
            let l = loops[d], n = extents[l]
            if d == depth - 1 {
                cuts.removeAll(keepingCapacity: true)
                cuts.append(0)
                cuts.append(n)
                for (i, form) in forms.enumerated() {
                    // a·v + s < 0 for v in 0..<n, s the other loops' part.
                    let sum = sums[i], a = form.coefficients[l]
                    if a == 0 {
                        (low[i], high[i]) = sum < 0 ? (0, n) : (0, 0)
                    } else if a > 0 {
                        (low[i], high[i]) = (0, min(max(Interval.floorDiv(-sum + a - 1, a), 0), n))  // v < ceil(-s / a)
                    } else {
                        (low[i], high[i]) = (min(max(Interval.floorDiv(sum, -a) + 1, 0), n), n)  // v > s / -a
                    }
                    cuts.append(low[i])
                    cuts.append(high[i])
                }
                cuts.sort()
                for j in 0..<(cuts.count - 1) where cuts[j] < cuts[j + 1] {
                    var mask: UInt64 = 0
                    for i in forms.indices where low[i] <= cuts[j] && cuts[j] < high[i] { mask |= 1 << UInt64(i) }
                    histogram.add(mask, cuts[j + 1] - cuts[j])
                }
                return
            }
            let base = d * cutsPerDepth
            segments[base] = 0
            segments[base + 1] = n
            for (i, form) in forms.enumerated() {
                let a = form.coefficients[l]
                segments[base + 2 + 2 * i] = breakpoint(sums[i], a, maxRest[d * width + i], n)
                segments[base + 3 + 2 * i] = breakpoint(sums[i], a, minRest[d * width + i], n)
            }
            segments[base..<(base + cutsPerDepth)].sort()
            for j in base..<(base + cutsPerDepth - 1) where segments[j] < segments[j + 1] {
                // Each literal is decided on all of the segment or on none of it.
                let v = segments[j], end = segments[j + 1]
                var mask: UInt64 = 0, decided = true
                for (i, form) in forms.enumerated() {
                    let x = sums[i] + form.coefficients[l] * v
                    if x + maxRest[d * width + i] < 0 { mask |= 1 << UInt64(i) } else if x + minRest[d * width + i] < 0 { decided = false; break }
                }
                if decided {
                    histogram.add(mask, (end - v) * inner[d])
                    continue
                }
                for v in v..<end {
                    for (i, form) in forms.enumerated() { sums[i] += form.coefficients[l] * v }
                    walk(d + 1)
                    for (i, form) in forms.enumerated() { sums[i] -= form.coefficients[l] * v }
                }
            }
        }
        walk(0)
    }

    /// A compiled literal as `Σ a_l·v_l + k < 0` over the loops (a
    /// comparison of affine index expressions), or nil.
    private func affineForm(_ t: Term) -> (coefficients: [Int64], constant: Int64)? {
        let end = t.ops.count - 1
        guard case .binary(let op) = t.ops[end], op == .lt || op == .le || op == .gt || op == .ge else { return nil }
        let (a, b) = t.operands(of: end)
        var coefficients = [Int64](repeating: 0, count: extents.count)
        var constant: Int64 = 0
        // a < b: a - b < 0; a <= b: a - b - 1 < 0; a > b: b - a < 0; a >= b: b - a - 1 < 0.
        let sign: Int64 = op == .lt || op == .le ? 1 : -1
        guard t.addLinear(a, sign, &coefficients, &constant), t.addLinear(b, -sign, &coefficients, &constant) else { return nil }
        if op == .le || op == .ge {
            let (k, overflow) = constant.subtractingReportingOverflow(1)
            guard !overflow else { return nil }
            constant = k
        }
        return (coefficients, constant)
    }

    /// Points of the loops at positions 0...`level` where every literal of
    /// `holding` holds and, for each group of `failing`, not all of the
    /// group's literals do. Nil if a literal cannot be counted.
    func count(holding: [Int], failing: [[Int]], through level: Int) -> Int64? {
        // Inclusion–exclusion over the failed groups: Σ over subsets S of
        // (-1)^|S| · the points where `holding` and every group of S hold.
        var base = [UInt64](repeating: 0, count: components.count)
        guard let possible = require(holding, &base, through: level) else { return nil }
        guard possible else { return 0 }
        var total: Int64 = 0
        var required = base
        for subset in 0..<(1 << failing.count) {
            var holds = true
            for k in 0..<components.count { required[k] = base[k] }
            for (g, group) in failing.enumerated() where subset & (1 << g) != 0 {
                guard let p = require(group, &required, through: level) else { return nil }
                if !p {
                    holds = false
                    break
                }
            }
            guard holds else { continue }
            guard let n = count(required, through: level) else { return nil }
            total += subset.nonzeroBitCount % 2 == 0 ? n : -n
        }
        return total
    }

    /// Adds the literals' bits to `required`; nil if one cannot be counted
    /// at `level`, false if one is constantly false.
    private func require(_ literals: [Int], _ required: inout [UInt64], through level: Int) -> Bool? {
        for i in literals {
            guard programs[i] != nil else { return nil }
            guard readLevel[i] <= level else { return nil }  // reads a loop inside its `if`
            if componentOf[i] < 0 {
                if !constantTruth[i] { return false }
                continue
            }
            required[componentOf[i]] |= 1 << UInt64(bitOf[i])
        }
        return true
    }

    private func count(_ required: [UInt64], through level: Int) -> Int64? {
        // Over the loops through `level`: components read only there, and free loops.
        var total: Int64 = 1
        for (c, component) in components.enumerated() {
            let need = required[c]
            guard need != 0 else { continue }
            guard let histogram = component.histogram else { return nil }
            var points: Int64 = 0
            for (mask, n) in zip(histogram.masks, histogram.points) where mask & need == need { points += n }
            // The component's loops past `level` are free for these literals.
            for l in component.loops where levels[l] > level { points /= extents[l] }
            total = total.multipliedReportingOverflow(by: points).partialValue
        }
        for l in extents.indices where levels[l] <= level && (componentOfDimension[l] < 0 || required[componentOfDimension[l]] == 0) {
            total = total.multipliedReportingOverflow(by: extents[l]).partialValue
        }
        return total
    }
}

/// An integer condition compiled over loop positions (Hone's integer
/// semantics: floor division and remainder), in postfix order: one array,
/// built, scanned and freed at once.
private struct Term {
    enum Op {
        case constant(Int64)
        case loop(Int)
        case unary(UnaryOp)
        case binary(BinaryOp)
        case select
    }

    var ops: [Op] = []

    /// Nil if `e` reads memory, floats or a variable that is not one of the loops.
    init?(_ e: Expr, _ positions: [String: Int], _ reads: inout UInt64) {
        guard append(e, positions, &reads) else { return nil }
    }

    private mutating func append(_ e: Expr, _ positions: [String: Int], _ reads: inout UInt64) -> Bool {
        switch e {
        case .int(let v, _):
            ops.append(.constant(v))
        case .variable(let name, _):
            guard let p = positions[name], p < 64 else { return false }
            reads |= 1 << UInt64(p)
            ops.append(.loop(p))
        case .cast(let t, let a):
            return !t.isFloat && append(a, positions, &reads)
        case .unary(let op, let a):
            guard append(a, positions, &reads) else { return false }
            ops.append(.unary(op))
        case .binary(let op, let a, let b):
            guard append(a, positions, &reads), append(b, positions, &reads) else { return false }
            ops.append(.binary(op))
        case .select(let c, let a, let b):
            guard append(c, positions, &reads), append(a, positions, &reads), append(b, positions, &reads) else { return false }
            ops.append(.select)
        case .float, .load, .call:
            return false
        }
        return true
    }

    /// Calls `body` with each loop read.
    func forEachLoop(_ body: (Int) -> Void) {
        for op in ops { if case .loop(let p) = op { body(p) } }
    }

    /// Whether `ops[i...i+2]` is `p / b` or `p % b`: (p, b).
    private func division(at i: Int) -> (loop: Int, divisor: Int64)? {
        guard i + 2 < ops.count, case .loop(let p) = ops[i], case .constant(let b) = ops[i + 1] else { return nil }
        switch ops[i + 2] {
        case .binary(.div), .binary(.mod): return (p, b)
        default: return nil
        }
    }

    /// Records how each loop is read: `divisor[p]` is B when every read so
    /// far is `p / B` or `p % B`, 0 when some other read is.
    func forEachDivision(_ divisor: inout [Int64?]) {
        for i in ops.indices {
            guard case .loop(let p) = ops[i], p < divisor.count else { continue }
            if let (_, b) = division(at: i) {
                divisor[p] = divisor[p].map { $0 == b ? b : 0 } ?? b
            } else {
                divisor[p] = 0
            }
        }
    }

    /// `p / b` read as loop `p`, `p % b` as loop `remainder`.
    func unfusing(_ p: Int, _ b: Int64, _ remainder: Int) -> Term {
        var result = self
        result.ops.removeAll(keepingCapacity: true)
        var i = 0
        while i < ops.count {
            if let d = division(at: i), d.loop == p, d.divisor == b {
                if case .binary(.mod) = ops[i + 2] { result.ops.append(.loop(remainder)) } else { result.ops.append(.loop(p)) }
                i += 3
            } else {
                result.ops.append(ops[i])
                i += 1
            }
        }
        return result
    }

    /// The start of the subexpression that ends at `end`.
    func start(ofOperandEndingAt end: Int) -> Int {
        var needed = 1, i = end
        while true {
            switch ops[i] {
            case .constant, .loop: needed -= 1
            case .unary: break
            case .binary: needed += 1
            case .select: needed += 2
            }
            if needed == 0 { return i }
            i -= 1
        }
    }

    /// `(left operand's end, right operand's end)` of the binary op at `end`.
    func operands(of end: Int) -> (Int, Int) {
        let right = end - 1
        return (start(ofOperandEndingAt: right) - 1, right)
    }

    /// Adds `scale·` the subexpression ending at `end` when it is affine in
    /// the loops; false otherwise or on overflow.
    func addLinear(_ end: Int, _ scale: Int64, _ coefficients: inout [Int64], _ constant: inout Int64) -> Bool {
        switch ops[end] {
        case .constant(let v):
            let (p, o1) = v.multipliedReportingOverflow(by: scale)
            let (sum, o2) = constant.addingReportingOverflow(p)
            constant = sum
            return !o1 && !o2
        case .loop(let p):
            let (sum, overflow) = coefficients[p].addingReportingOverflow(scale)
            coefficients[p] = sum
            return !overflow
        case .unary(.neg):
            let (negated, overflow) = scale.multipliedReportingOverflow(by: -1)
            return !overflow && addLinear(end - 1, negated, &coefficients, &constant)
        case .binary(.add):
            let (a, b) = operands(of: end)
            return addLinear(a, scale, &coefficients, &constant) && addLinear(b, scale, &coefficients, &constant)
        case .binary(.sub):
            let (a, b) = operands(of: end)
            let (negated, overflow) = scale.multipliedReportingOverflow(by: -1)
            return !overflow && addLinear(a, scale, &coefficients, &constant) && addLinear(b, negated, &coefficients, &constant)
        case .binary(.mul):
            let (a, b) = operands(of: end)
            let factor: Int64, other: Int
            if case .constant(let c) = ops[b] { (factor, other) = (c, a) } else if case .constant(let c) = ops[a] { (factor, other) = (c, b) } else { return false }
            let (product, overflow) = scale.multipliedReportingOverflow(by: factor)
            return !overflow && addLinear(other, product, &coefficients, &constant)
        default:
            return false
        }
    }

    /// The value at `values`; `stack` is scratch space.
    func evaluate(_ values: [Int64], _ stack: inout [Int64]) -> Int64 {
        stack.removeAll(keepingCapacity: true)
        for op in ops {
            switch op {
            case .constant(let v): stack.append(v)
            case .loop(let p): stack.append(values[p])
            case .unary(let op):
                let x = stack.removeLast()
                stack.append(op == .neg ? 0 &- x : (x == 0 ? 1 : 0))
            case .select:
                let b = stack.removeLast(), a = stack.removeLast(), c = stack.removeLast()
                stack.append(c != 0 ? a : b)
            case .binary(let op):
                let y = stack.removeLast(), x = stack.removeLast()
                let r: Int64
                switch op {
                case .add: r = x &+ y
                case .sub: r = x &- y
                case .mul: r = x &* y
                case .div: r = y == 0 ? 0 : Interval.floorDiv(x, y)
                case .mod: r = y == 0 ? 0 : Interval.floorMod(x, y)
                case .min: r = Swift.min(x, y)
                case .max: r = Swift.max(x, y)
                case .eq: r = x == y ? 1 : 0
                case .ne: r = x != y ? 1 : 0
                case .lt: r = x < y ? 1 : 0
                case .le: r = x <= y ? 1 : 0
                case .gt: r = x > y ? 1 : 0
                case .ge: r = x >= y ? 1 : 0
                case .and: r = x != 0 && y != 0 ? 1 : 0
                case .or: r = x != 0 || y != 0 ? 1 : 0
                }
                stack.append(r)
            }
        }
        return stack[stack.count - 1]
    }
}
