/// Exact point counts of a chain of loops of known extents under a few
/// conditions over them: how many points satisfy some conditions and fail
/// others. Lowering counts each stage nest's guards and tile tests as it
/// builds the nest (HoneSchedule's `NestBuilder`); `addMissingTestCounts`
/// counts the rest over all the loops around them.
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
/// A literal that reads anything but the loops (a region's origin, bound
/// outside a stage's nest) or sits in a component of more than
/// `enumerationLimit` points has no count: the `if`s that test it get none.
/// A fused loop read only by its parts (`v / B`, `v % B`, `v / B % C`,
/// the divisors each dividing the next and the last dividing its extent)
/// counts as its mixed-radix digits, each part an affine combination of
/// them: a fused loop of 32 read as `v / 16`, `v / 2 % 8` and `v % 2` is
/// three digits of extents 2, 8 and 2, and `v / 2` is `8·(v / 16) + v / 2 % 8`.
/// So a split's guard and tile test, and a region's bounds tests through
/// origins bound from a fused tile loop, are affine in the dimensions they
/// read, and each digit joins only the components of the literals that
/// read it. Components of affine literals are walked only where a literal
/// changes truth inside a block (a split's last tile), and along their last
/// dimension each literal holds on a prefix or a suffix. Other components
/// are enumerated point by point.
///
/// Lowering counts every nest it builds with guards, so the counter keeps
/// its state in a few flat arrays (literals, their programs and affine
/// coefficients, components, histograms) rather than a few per literal.
public struct PointCounter {
    public static let enumerationLimit: Int64 = 1 << 16

    /// How components are counted. Both give the same counts wherever both
    /// give one; `.enumeration` is the reference the tests check the other against.
    public enum Method: Sendable {
        /// Fused loops read as digits, affine components walked by blocks.
        case fast
        /// Every point of every component evaluated, up to `enumerationLimit` · 16 points.
        case enumeration
    }

    private let method: Method

    /// Per dimension: its extent. Dimensions are the loops, outermost
    /// first, where a fused loop read only by its parts is one dimension per
    /// mixed-radix digit, its most significant in the loop's place and the
    /// others after the loops (`unfuse`).
    private var extents: [Int64]
    /// Per dimension: the position of its loop; empty while every dimension
    /// is a loop (before `unfuse` splits one).
    private var levels: [Int] = []
    /// The variable of each loop, by position; a name is looked up by
    /// scanning from the innermost loop (there are a few).
    private let variables: [String]
    private var programs: CompiledLiterals
    private var literals: [Literal] = []
    /// Per literal with an affine form, its coefficient per dimension
    /// (literal i's at i·extents.count).
    private var coefficients: [Int64] = []
    private var components: [Component] = []
    /// Every component's histogram, one after another.
    private var histograms: [(mask: UInt64, points: Int64)] = []

    private struct Literal {
        /// Loop positions read, as bits. For a literal that cannot be
        /// compiled, those read before the part that cannot be.
        var reads: UInt64
        var isCompiled: Bool
        /// The innermost loop position read (-1: none).
        var readLevel = -1
        /// Its component and its bit within it (-1: no loops read).
        var component = -1
        var bit = -1
        /// For a literal that reads no loops: its value.
        var constantTruth = true
        /// Whether it is `Σ a_l·v_l + constant < 0` over the loops (a in `coefficients`).
        var isAffine = false
        var constant: Int64 = 0
    }

    private struct Component {
        /// Its dimensions, as bits (literals read only the first 64).
        var loops: UInt64
        var literalCount = 0
        /// Points per mask of satisfied literals, in `histograms`; nil past the limit.
        var histogram: Range<Int>? = nil
    }

    /// Loops by position, outermost first: their extents and the variables they bind.
    public init(extents: [Int64], variables: [String], method: Method = .fast) {
        self.extents = extents
        self.variables = variables
        self.method = method
        self.programs = CompiledLiterals()
    }

    private func level(_ dimension: Int) -> Int { levels.isEmpty ? dimension : levels[dimension] }

    /// Registers the conjuncts of `condition`; returns their indices. Equal
    /// conjuncts registered twice are two literals (with the same counts).
    public mutating func registerLiterals(_ condition: Expr) -> Range<Int> {
        let first = literals.count
        add(condition)
        return first..<literals.count
    }

    private mutating func add(_ literal: Expr) {
        if case .binary(.and, let a, let b) = literal {
            add(a)
            add(b)
            return
        }
        var mask: UInt64 = 0
        let variables = self.variables
        programs.append(literal, { variables.lastIndex(of: $0) }, &mask)
        literals.append(Literal(reads: mask, isCompiled: programs.isCompiled(literals.count)))
    }

    /// Groups the literals into components and enumerates each one.
    public mutating func finish() {
        if method == .fast, unfuse() {
            for i in literals.indices { literals[i].reads = programs.loopsRead(by: i) }
        }
        let dimensions = extents.count
        coefficients = Array(repeating: 0, count: literals.count * dimensions)
        for i in literals.indices {
            var level = -1, mask = literals[i].reads
            while mask != 0 {
                let d = mask.trailingZeroBitCount
                if d < dimensions { level = max(level, self.level(d)) }
                mask &= mask - 1
            }
            literals[i].readLevel = level
            guard literals[i].isCompiled, method == .fast else { continue }
            let constant = coefficients.withUnsafeMutableBufferPointer { all in
                programs.affineForm(of: i, into: UnsafeMutableBufferPointer(rebasing: all[(i * dimensions)..<((i + 1) * dimensions)]))
            }
            if let constant { (literals[i].isAffine, literals[i].constant) = (true, constant) }
        }
        // Loops that literals read together (compiled or not) are one group.
        var groups: [UInt64] = []
        for literal in literals where literal.reads != 0 {
            var merged = literal.reads, k = 0
            while k < groups.count {
                if groups[k] & merged != 0 {
                    merged |= groups[k]
                    groups.swapAt(k, groups.count - 1)
                    groups.removeLast()
                } else {
                    k += 1
                }
            }
            groups.append(merged)
        }
        // A component per group that a compiled literal reads, in the order of their first literals.
        for i in literals.indices {
            guard literals[i].isCompiled else { continue }
            guard literals[i].reads != 0 else {
                var stack: [Int64] = []
                literals[i].constantTruth = programs.evaluate(i, [], &stack) != 0
                continue
            }
            let group = groups.first { $0 & literals[i].reads != 0 }!
            let c = components.firstIndex { $0.loops == group } ?? {
                components.append(Component(loops: group))
                return components.count - 1
            }()
            literals[i].component = c
            literals[i].bit = components[c].literalCount
            components[c].literalCount += 1
        }
        for c in components.indices { enumerate(c) }
    }

    /// Splits each dimension v that every literal reads by digit reads
    /// (`v / B`, `v % B`, `v / B % C`, as a fused loop's parts are read)
    /// into the mixed-radix digits their cuts make, when the cuts below v's
    /// extent form a chain, each dividing the next and the last dividing the
    /// extent: with cuts 2 and 16 of 32, v % 2, v / 2 % 8 and v / 16. v runs
    /// over the tuples of digits, so counts are the same, and each read is
    /// an affine combination of digits (`v / 2` is v / 2 % 8 + 8·(v / 16)),
    /// so a fused loop's guards and the region origins it binds are affine
    /// in them. The most significant digit takes v's place, the others
    /// follow the loops, all at v's level. Repeats for fusions of fusions.
    private mutating func unfuse() -> Bool {
        var any = false
        var cuts: [(loop: Int, cut: Int64)] = [], chain: [Int64] = [], digits: [Int] = []
        while true {
            var wholeReads: UInt64 = 0
            cuts.removeAll(keepingCapacity: true)
            programs.recordDigitReads(wholeReads: &wholeReads, cuts: &cuts)
            guard !cuts.isEmpty else { return any }
            cuts.sort { $0.loop != $1.loop ? $0.loop < $1.loop : $0.cut < $1.cut }
            var changed = false, next = 0
            while next < cuts.count {
                // The chain of loop d's cuts below its extent, ascending.
                let d = cuts[next].loop, extent = d < extents.count ? extents[d] : 0
                chain.removeAll(keepingCapacity: true)
                while next < cuts.count && cuts[next].loop == d {
                    let cut = cuts[next].cut
                    if cut < extent && chain.last != cut { chain.append(cut) }
                    next += 1
                }
                // Each cut divides the next and the last the extent (cuts past it read as the extent).
                guard d < extents.count, wholeReads & (1 << UInt64(d)) == 0, extents.count + chain.count <= 64,
                      chain.indices.allSatisfy({ k in (k + 1 < chain.count ? chain[k + 1] : extent) % chain[k] == 0 })
                else { continue }
                if levels.isEmpty && !chain.isEmpty { levels = Array(extents.indices) }
                digits.removeAll(keepingCapacity: true)
                for (k, cut) in chain.enumerated() {
                    digits.append(extents.count)
                    extents.append(cut / (k == 0 ? 1 : chain[k - 1]))
                    levels.append(levels[d])
                }
                digits.append(d)
                extents[d] = extent / (chain.last ?? 1)
                programs.unfuse(d, extent: extent, cuts: chain, digits: digits)
                changed = true
                any = true
            }
            guard changed else { return any }
        }
    }

    // MARK: Enumeration

    /// Adds `n` points to the histogram that starts at `start`, the last one.
    private mutating func addPoints(_ mask: UInt64, _ n: Int64, from start: Int) {
        var i = start
        while i < histograms.count && histograms[i].mask != mask { i += 1 }
        if i < histograms.count { histograms[i].points += n } else { histograms.append((mask, n)) }
    }

    private mutating func enumerate(_ c: Int) {
        let loops = components[c].loops
        var members: [Int] = []
        members.reserveCapacity(components[c].literalCount)
        for i in literals.indices where literals[i].component == c { members.append(i) }
        let allAffine = members.allSatisfy { literals[$0].isAffine }
        // Points walked: all of them, or with affine literals all but the last loop's.
        var points: Int64 = 1
        var walked = allAffine ? loops & ~(1 << UInt64(63 - loops.leadingZeroBitCount)) : loops
        while walked != 0 {
            let (p, overflow) = points.multipliedReportingOverflow(by: extents[walked.trailingZeroBitCount])
            guard !overflow, p <= (method == .fast ? Self.enumerationLimit : Self.enumerationLimit * 16) else { return }
            points = p
            walked &= walked - 1
        }
        guard members.count <= 64, points > 0 else { return }
        let start = histograms.count
        if allAffine {
            enumerateAffine(loops, members, from: start)
        } else {
            enumeratePoints(loops, members, from: start)
        }
        components[c].histogram = start..<histograms.count
    }

    /// Evaluates every literal at every point.
    private mutating func enumeratePoints(_ loopMask: UInt64, _ members: [Int], from start: Int) {
        var loops: [Int] = []
        var m = loopMask
        while m != 0 {
            loops.append(m.trailingZeroBitCount)
            m &= m - 1
        }
        var values = [Int64](repeating: 0, count: extents.count)
        var stack: [Int64] = []
        while true {
            var mask: UInt64 = 0
            for (bit, literal) in members.enumerated() where programs.evaluate(literal, values, &stack) != 0 { mask |= 1 << UInt64(bit) }
            addPoints(mask, 1, from: start)
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
    }

    /// The histogram of a component of affine literals. Along each loop but
    /// the last, a literal is decided for a whole block of the loops inside
    /// (true or false at every point of it) except for a few values where its
    /// sum crosses zero within the block: runs of decided values count as
    /// one mask each, and only the others are walked. Along the last loop,
    /// each literal holds on a prefix or a suffix, so its points split into a
    /// few runs of one mask each. A split's guard is undecided in its last
    /// tile only, so the walk is a few steps whatever the extents.
    private mutating func enumerateAffine(_ loopMask: UInt64, _ members: [Int], from start: Int) {
        let depth = loopMask.nonzeroBitCount, width = members.count, dimensions = extents.count
        // Scratch, flat: per depth d and literal i (at d·width + i) the least
        // and greatest sum of the loops past d; per depth the points of those
        // loops, the loop and its segment bounds (2 + 2 per literal); per
        // literal its running sum and, along the last loop, where it holds.
        let cutsPerDepth = 2 + 2 * width
        let size = 2 * depth * width + 2 * depth + depth * cutsPerDepth + 3 * width + cutsPerDepth
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: size) { scratch in
            scratch.initialize(repeating: 0)
            var next = 0
            func region(_ n: Int) -> UnsafeMutableBufferPointer<Int64> {
                defer { next += n }
                return UnsafeMutableBufferPointer(rebasing: scratch[next..<(next + n)])
            }
            let minRest = region(depth * width), maxRest = region(depth * width), inner = region(depth), loops = region(depth)
            let segments = region(depth * cutsPerDepth), sums = region(width), low = region(width), high = region(width)
            var cuts = region(cutsPerDepth)
            var m = loopMask
            for d in 0..<depth {
                loops[d] = Int64(m.trailingZeroBitCount)
                m &= m - 1
            }
            func coefficient(_ i: Int, _ l: Int) -> Int64 { coefficients[members[i] * dimensions + l] }
            inner[depth - 1] = 1
            for d in stride(from: depth - 2, through: 0, by: -1) {
                let l = Int(loops[d + 1]), n = extents[l]
                inner[d] = inner[d + 1] * n
                for i in 0..<width {
                    let span = coefficient(i, l) * (n - 1)
                    minRest[d * width + i] = minRest[(d + 1) * width + i] + min(span, 0)
                    maxRest[d * width + i] = maxRest[(d + 1) * width + i] + max(span, 0)
                }
            }
            for i in 0..<width { sums[i] = literals[members[i]].constant }
            /// The first v in 0...n where `s + a·v + r < 0` changes truth (0 or n when it never does).
            func breakpoint(_ s: Int64, _ a: Int64, _ r: Int64, _ n: Int64) -> Int64 {
                if a > 0 { return min(max(Interval.floorDiv(-s - r - 1, a) + 1, 0), n) }
                if a < 0 { return min(max(Interval.floorDiv(s + r, -a) + 1, 0), n) }
                return 0
            }
            func walk(_ d: Int) {
                let l = Int(loops[d]), n = extents[l]
                if d == depth - 1 {
                    cuts[0] = 0
                    cuts[1] = n
                    for i in 0..<width {
                        // a·v + s < 0 for v in 0..<n, s the other loops' part.
                        let sum = sums[i], a = coefficient(i, l)
                        if a == 0 {
                            (low[i], high[i]) = sum < 0 ? (0, n) : (0, 0)
                        } else if a > 0 {
                            (low[i], high[i]) = (0, min(max(Interval.floorDiv(-sum + a - 1, a), 0), n))  // v < ceil(-s / a)
                        } else {
                            (low[i], high[i]) = (min(max(Interval.floorDiv(sum, -a) + 1, 0), n), n)  // v > s / -a
                        }
                        cuts[2 + 2 * i] = low[i]
                        cuts[3 + 2 * i] = high[i]
                    }
                    cuts.sort()
                    for j in 0..<(cutsPerDepth - 1) where cuts[j] < cuts[j + 1] {
                        var mask: UInt64 = 0
                        for i in 0..<width where low[i] <= cuts[j] && cuts[j] < high[i] { mask |= 1 << UInt64(i) }
                        addPoints(mask, cuts[j + 1] - cuts[j], from: start)
                    }
                    return
                }
                let base = d * cutsPerDepth
                segments[base] = 0
                segments[base + 1] = n
                for i in 0..<width {
                    let a = coefficient(i, l)
                    segments[base + 2 + 2 * i] = breakpoint(sums[i], a, maxRest[d * width + i], n)
                    segments[base + 3 + 2 * i] = breakpoint(sums[i], a, minRest[d * width + i], n)
                }
                var depthSegments = UnsafeMutableBufferPointer(rebasing: segments[base..<(base + cutsPerDepth)])
                depthSegments.sort()
                for j in base..<(base + cutsPerDepth - 1) where segments[j] < segments[j + 1] {
                    // Each literal is decided on all of the segment or on none of it.
                    let v = segments[j], end = segments[j + 1]
                    var mask: UInt64 = 0, decided = true
                    for i in 0..<width {
                        let x = sums[i] + coefficient(i, l) * v
                        if x + maxRest[d * width + i] < 0 { mask |= 1 << UInt64(i) } else if x + minRest[d * width + i] < 0 { decided = false; break }
                    }
                    if decided {
                        addPoints(mask, (end - v) * inner[d], from: start)
                        continue
                    }
                    for v in v..<end {
                        for i in 0..<width { sums[i] += coefficient(i, l) * v }
                        walk(d + 1)
                        for i in 0..<width { sums[i] -= coefficient(i, l) * v }
                    }
                }
            }
            walk(0)
        }
    }

    // MARK: Counting

    /// Points of the loops at positions 0...`level` where every literal of
    /// `holding` holds and, for each group of `failing`, not all of the
    /// group's literals do. Nil if a literal cannot be counted.
    public func count(holding: [Int], failing: [[Int]], through level: Int) -> Int64? {
        count(holding: holding, and: [], failing: failing, through: level)
    }

    /// `count(holding: holding + more, failing:through:)`.
    public func count(holding: [Int], and more: [Int], failing: [[Int]], through level: Int) -> Int64? {
        let n = components.count
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * n + 1) { scratch -> Int64? in
            scratch.initialize(repeating: 0)
            let base = UnsafeMutableBufferPointer(rebasing: scratch[0..<n]), required = UnsafeMutableBufferPointer(rebasing: scratch[n..<(2 * n)])
            guard let possible = require(holding, base, through: level) else { return nil }
            guard possible else { return 0 }
            guard let possibleMore = require(more, base, through: level) else { return nil }
            guard possibleMore else { return 0 }
            // Inclusion–exclusion over the failed groups: Σ over subsets S of
            // (-1)^|S| · the points where `holding` and every group of S hold.
            var total: Int64 = 0
            for subset in 0..<(1 << failing.count) {
                var holds = true
                for k in 0..<n { required[k] = base[k] }
                for (g, group) in failing.enumerated() where subset & (1 << g) != 0 {
                    guard let p = require(group, required, through: level) else { return nil }
                    if !p {
                        holds = false
                        break
                    }
                }
                guard holds else { continue }
                guard let points = count(required, through: level) else { return nil }
                total += subset.nonzeroBitCount % 2 == 0 ? points : -points
            }
            return total
        }
    }

    /// Adds the literals' bits to `required`; nil if one cannot be counted
    /// at `level`, false if one is constantly false.
    private func require(_ indices: [Int], _ required: UnsafeMutableBufferPointer<UInt64>, through level: Int) -> Bool? {
        for i in indices {
            let literal = literals[i]
            guard literal.isCompiled else { return nil }
            guard literal.readLevel <= level else { return nil }  // reads a loop inside its `if`
            if literal.component < 0 {
                if !literal.constantTruth { return false }
                continue
            }
            required[literal.component] |= 1 << UInt64(literal.bit)
        }
        return true
    }

    private func count(_ required: UnsafeMutableBufferPointer<UInt64>, through level: Int) -> Int64? {
        // Over the loops through `level`: components read only there, and free loops.
        var total: Int64 = 1
        var componentLoops: UInt64 = 0
        for (c, component) in components.enumerated() {
            let need = required[c]
            guard need != 0 else { continue }
            guard let histogram = component.histogram else { return nil }
            componentLoops |= component.loops
            var points: Int64 = 0
            for (mask, n) in histograms[histogram] where mask & need == need { points += n }
            // The component's loops past `level` are free for these literals.
            var loops = component.loops
            while loops != 0 {
                let l = loops.trailingZeroBitCount
                if self.level(l) > level { points /= extents[l] }
                loops &= loops - 1
            }
            total = total.multipliedReportingOverflow(by: points).partialValue
        }
        for l in extents.indices where self.level(l) <= level && (l >= 64 || componentLoops & (1 << UInt64(l)) == 0) {
            total = total.multipliedReportingOverflow(by: extents[l]).partialValue
        }
        return total
    }
}
