import HoneIR

/// The feature rows of a lowered loop nest: one row per store statement, in
/// program order, `FeatureSchema.count` columns each (see `FeatureSchema`).
public func extractFeatures(_ nest: LoopNest) -> [[Float]] {
    var extractor = FeatureExtractor()
    return extractor.extract(nest)
}

/// Extracts per-store features, reusing its scratch storage between calls:
/// keep one per thread and call it for every candidate the search scores.
///
/// Two passes over the nest. The first walks the statements once, keeping
/// the enclosing loops, `let`s and allocations on stacks; at each `if` it
/// weights each branch by how often it runs, from the counts lowering
/// recorded (`IfFacts`; a nest built by hand is counted first,
/// `addMissingTestCounts`); at each store it counts operations, turns every index into an affine
/// form over the enclosing loops (`IndexForms.swift`) and, per buffer, the
/// region touched at each loop level, writing all columns but the buffer
/// slots. The second pass, which needs every store's regions, adds the
/// reuse features (`BufferFeatures.swift`) and fills the top-5 buffer slots.
/// Names are resolved by scanning short stacks (loop variables, buffers in
/// scope); nothing is keyed by `String` and, once warm, nothing allocates
/// but the output rows.
/// Cost: O(nodes × loop depth) per store; about 10–30 µs per gemm- or
/// conv2d-sized program (`make bench`, bench-features).
public struct FeatureExtractor: Sendable {
    public init() {}

    /// One array per store statement.
    public mutating func extract(_ nest: LoopNest) -> [[Float]] {
        var flat: [Float] = []
        let n = extract(nest, appendingTo: &flat)
        let width = FeatureSchema.total
        return (0..<n).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }
    }

    /// Appends one row per store statement of `nest` to `output` (row-major,
    /// `FeatureSchema.count` floats per row) and returns how many it appended.
    @discardableResult
    public mutating func extract(_ nest: LoopNest, appendingTo output: inout [Float]) -> Int {
        swap(&rows, &output)
        defer { swap(&rows, &output) }
        let firstRow = rows.count
        let body = hasUncountedTestsBuiltByHand(nest.body) ? addMissingTestCounts(nest.body) : nest.body
        while true {
            reset()
            for argument in nest.arguments { addBuffer(argument, memory: .argument, allocationTrip: 1) }
            visit(body)
            if !tooDeep { break }
            // Deeper than the forms are wide: widen them (kept for later calls) and start again.
            rows.removeSubrange(firstRow...)
            depthCapacity *= 2
        }
        finishBufferFeatures()
        return storeRows.count
    }

    // MARK: Scratch state (internal: the other files of this feature extend it)

    /// The arguments, then the allocations as they are met; an index into
    /// it is a buffer's id for the whole extraction.
    var buffers: [BufferInScope] = []
    /// The buffers' dimensions, each buffer's in a run (`firstDimension`).
    var dimensions: [BufferDimension] = []

    /// The loops around the current point, outermost first: `loops[level]`.
    var loops: [EnclosingLoop] = []
    /// Every loop's extent, by loop id (loops are numbered in program order).
    var loopExtents: [Double] = []
    /// The loop variables and `let`s around the current point, innermost last.
    var scope: [ScopeEntry] = []

    // Index forms (see IndexForms.swift), as wide as the deepest nest seen so far.
    var depthCapacity = 8
    var formWidth = 11
    var tooDeep = false
    var formData: [Double] = []
    var formMask: [UInt64] = []
    var formTop = 0

    /// Operations of the enclosing guards and lets, already weighted.
    var context = SIMD16<Double>()
    var guardDepth = 0
    /// The fraction of the enclosing loops' iterations that reach this point.
    var fraction = 1.0

    // The accesses of the current store (the write first) and their buffers.
    var accessBuffer: [Int] = []
    var accessForm: [Int] = []  // form of the first index; the others follow
    var accessFlags: [UInt8] = []  // 1 write, 2 read
    var accessMask: [UInt64] = []
    var accessGroup: [Int] = []
    var groupBuffer: [Int] = []
    var groupFlags: [UInt8] = []
    var groupAccesses: [Int] = []
    var groupMask: [UInt64] = []
    var groupTouched: [Double] = []
    var rangeLow: [Double] = []  // per access index, relative to the store's first form
    var rangeHigh: [Double] = []
    var dimensionSizes: [Double] = []
    var curveOps: [Double] = []
    var curveBytes: [Double] = []

    // Kept for the second pass.
    var rows: [Float] = []
    var storeRows: [Int] = []
    var storeLoopStart: [Int] = []
    var storeLoops: [Int32] = []
    var storeGroupStart: [Int] = []
    var groupRecords: [GroupRecord] = []
    var touches: [Touch] = []
    var loopTotalBytes: [Double] = []
    var loopIterationBytes: [Double] = []
    var loopBufferStores: [Int32] = []
    var loopBufferMinTouched: [Double] = []
    var slotOrder: [Int] = []

    mutating func reset() {
        formWidth = depthCapacity + 3
        tooDeep = false
        formTop = 0
        context = SIMD16()
        guardDepth = 0
        fraction = 1
        buffers.removeAll(keepingCapacity: true)
        dimensions.removeAll(keepingCapacity: true)
        loops.removeAll(keepingCapacity: true)
        loopExtents.removeAll(keepingCapacity: true)
        scope.removeAll(keepingCapacity: true)
        storeRows.removeAll(keepingCapacity: true)
        storeLoopStart.removeAll(keepingCapacity: true)
        storeLoops.removeAll(keepingCapacity: true)
        storeGroupStart.removeAll(keepingCapacity: true)
        groupRecords.removeAll(keepingCapacity: true)
        touches.removeAll(keepingCapacity: true)
    }

    /// How many loops enclose the current point.
    var depth: Int { loops.count }

    /// How often the current point runs: the enclosing loops' trip product times the guards' fraction.
    var currentTrip: Double { (depth == 0 ? 1 : loops[depth - 1].trip) * fraction }

    // MARK: First pass

    mutating func visit(_ s: Stmt) {
        switch s {
        case .block(let stmts):
            for stmt in stmts { visit(stmt) }
        case .loop(let loop):
            visitLoop(loop)
        case .store(let name, let indices, let value):
            visitStore(name, indices, value)
        case .allocate(let buffer, let body):
            addBuffer(buffer, memory: BufferMemory(buffer.memory), allocationTrip: currentTrip)
            let id = buffers.count - 1
            visit(body)
            buffers[id].isActive = false
        case .letStmt(let name, let value, let body):
            let saved = context
            var ops = SIMD16<Double>()
            count(value, &ops, collect: false)
            context += ops * currentTrip
            let savedTop = formTop
            let f = linearize(value)
            scope.append(ScopeEntry(name: name, binding: .letForm(f)))
            visit(body)
            scope.removeLast()
            formTop = savedTop
            context = saved
        case .ifThenElse(let condition, let then, let otherwise, let facts):
            let saved = context
            var ops = SIMD16<Double>()
            count(condition, &ops, collect: false)
            context += ops * currentTrip
            visitGuarded(then, otherwise, facts)
            context = saved
        }
    }

    /// Visits an `if`'s branches, each weighted by the fraction of the
    /// test's evaluations that take it. A test lowering could not count
    /// (one that reads memory, or would take too long to enumerate) is
    /// taken to hold half the time.
    mutating func visitGuarded(_ then: Stmt, _ otherwise: Stmt?, _ facts: IfFacts) {
        let outer = fraction
        let holds = facts.counts.map { $0.evaluations > 0 ? Double($0.holds) / Double($0.evaluations) : 0 } ?? 0.5
        guardDepth += 1
        fraction = outer * holds
        visit(then)
        if let otherwise {
            fraction = outer * (1 - holds)
            visit(otherwise)
        }
        guardDepth -= 1
        fraction = outer
    }

    /// Whether an `if` made by hand (not by lowering) has no counts yet.
    private func hasUncountedTestsBuiltByHand(_ body: Stmt) -> Bool {
        !body.walk(stmt: { s in
            if case .ifThenElse(_, _, _, let facts) = s, facts.kind == .other, facts.counts == nil { return .stop }
            return .visitChildren
        }, expr: { _ in .skipChildren })
    }

    mutating func visitLoop(_ loop: Loop) {
        let level = depth
        guard level < depthCapacity else {
            tooDeep = true
            return
        }
        let savedTop = formTop
        var extent: Double
        if case .int(let e, _) = loop.extent {
            extent = Double(e)
        } else {
            extent = largestValue(linearize(loop.extent))
            formTop = savedTop
        }
        extent = extent.isFinite ? max(extent, 1) : 1
        let start: LoopStart
        if case .int(let m, _) = loop.min {
            start = .constant(Double(m))
        } else {
            start = .form(linearize(loop.min))  // kept until the loop ends
        }
        let trip = (level == 0 ? 1 : loops[level - 1].trip) * extent
        loops.append(EnclosingLoop(extent: extent, kind: loop.kind, id: Int32(loopExtents.count), start: start, trip: trip))
        loopExtents.append(extent)
        scope.append(ScopeEntry(name: loop.variable, binding: .loop(level: level)))

        visit(loop.body)

        scope.removeLast()
        loops.removeLast()
        formTop = savedTop
    }

    /// The largest value of form `f` over the enclosing loops (for extents that are not constants).
    func largestValue(_ f: Int) -> Double {
        let base = f * formWidth
        var v = formData[base + constSlot]
        for l in 0..<depth { v += max(0, formData[base + l] * (loops[l].extent - 1)) }
        return min(v, formData[base + upperSlot]) + 1
    }

    /// Records an access of the current store; identical accesses to one buffer are merged.
    mutating func addAccess(_ name: String, _ indices: [Expr], isWrite: Bool) {
        let b = findBuffer(name)
        guard b >= 0, indices.count == buffers[b].rank else { return }
        let start = formTop
        var mask: UInt64 = 0
        for index in indices { mask |= formMask[linearize(index)] }
        let n = indices.count * formWidth
        for a in accessBuffer.indices where accessBuffer[a] == b {
            let other = accessForm[a] * formWidth, mine = start * formWidth
            var same = true
            for i in 0..<n where formData[other + i] != formData[mine + i] {
                same = false
                break
            }
            if same {
                accessFlags[a] |= isWrite ? 1 : 2
                formTop = start
                return
            }
        }
        accessBuffer.append(b)
        accessForm.append(start)
        accessFlags.append(isWrite ? 1 : 2)
        accessMask.append(mask & levelBits)
    }

    mutating func visitStore(_ name: String, _ indices: [Expr], _ value: Expr) {
        let d = depth
        let trip = currentTrip
        let row = rows.count
        rows.append(contentsOf: repeatElement(0, count: FeatureSchema.total))
        let mark = formTop
        accessBuffer.removeAll(keepingCapacity: true)
        accessForm.removeAll(keepingCapacity: true)
        accessFlags.removeAll(keepingCapacity: true)
        accessMask.removeAll(keepingCapacity: true)

        // Compute: the value, the store's indices, the enclosing guards and lets.
        let written = findBuffer(name)
        var ops = SIMD16<Double>()
        for index in indices { count(index, &ops, collect: false) }
        addAccess(name, indices, isWrite: true)
        let hasWrite = !accessBuffer.isEmpty
        count(value, &ops, collect: true)
        let total = context + ops * trip
        for i in 0..<16 { rows[row + i] = slog(total[i]) }
        let flops = 2 * ops[Op.floatMad] + ops[Op.floatAddSub] + ops[Op.floatMul] + ops[Op.floatDivMod]
            + ops[Op.floatCmp] + ops[Op.floatMath] + ops[Op.floatCast]

        writeAnnotations(row: row, hasWrite: hasWrite)

        // Group the accesses by buffer.
        groupBuffer.removeAll(keepingCapacity: true)
        groupFlags.removeAll(keepingCapacity: true)
        groupAccesses.removeAll(keepingCapacity: true)
        groupMask.removeAll(keepingCapacity: true)
        groupTouched.removeAll(keepingCapacity: true)
        accessGroup.removeAll(keepingCapacity: true)
        for a in accessBuffer.indices {
            var g = groupBuffer.firstIndex(of: accessBuffer[a]) ?? -1
            if g < 0 {
                g = groupBuffer.count
                groupBuffer.append(accessBuffer[a])
                groupFlags.append(0)
                groupAccesses.append(0)
                groupMask.append(0)
                groupTouched.append(0)
            }
            accessGroup.append(g)
            groupFlags[g] |= accessFlags[a]
            groupAccesses[g] += 1
            groupMask[g] |= accessMask[a]
        }

        // Index ranges with every loop fixed, then widened one level at a time outwards.
        let forms = formTop - mark
        if rangeLow.count < forms {
            rangeLow.append(contentsOf: repeatElement(0, count: forms - rangeLow.count))
            rangeHigh.append(contentsOf: repeatElement(0, count: forms - rangeHigh.count))
        }
        for f in mark..<formTop {
            let c = formData[f * formWidth + constSlot]
            rangeLow[f - mark] = c
            rangeHigh[f - mark] = c
        }
        for g in groupBuffer.indices { groupTouched[g] = touchedElements(g, mark: mark, sizes: false) }
        if curveOps.count < d {
            curveOps.append(contentsOf: repeatElement(0, count: d - curveOps.count))
            curveBytes.append(contentsOf: repeatElement(0, count: d - curveBytes.count))
        }
        var opsSoFar = flops
        var level = d - 1
        while level >= 0 {
            let span = loops[level].extent - 1
            if span > 0 {
                for f in mark..<formTop {
                    let v = formData[f * formWidth + level] * span
                    if v < 0 { rangeLow[f - mark] += v } else if v > 0 { rangeHigh[f - mark] += v }
                }
            }
            var bytes = 0.0
            for g in groupBuffer.indices {
                let b = groupBuffer[g]
                let t = touchedElements(g, mark: mark, sizes: false)
                bytes += t * buffers[b].elementBytes
                touches.append(Touch(loop: loops[level].id, buffer: Int32(b), here: t, inner: groupTouched[g],
                                     elementBytes: buffers[b].elementBytes))
                groupTouched[g] = t
            }
            opsSoFar *= loops[level].extent
            curveOps[d - 1 - level] = opsSoFar
            curveBytes[d - 1 - level] = bytes
            level -= 1
        }

        // Per buffer: bytes, unique bytes, lines, unique lines, stride (reuse in the second pass).
        storeGroupStart.append(groupRecords.count)
        for g in groupBuffer.indices {
            groupRecords.append(accessRecord(g, mark: mark, row: row, trip: trip))
        }
        writeCurve(row: row, flops: flops, levels: d)

        // Allocation, outer scope, stored buffer.
        if written >= 0 {
            let buffer = buffers[written]
            if buffer.memory != .argument {
                let outer = buffer.allocationTrip
                let a = FeatureSchema.allocationOffset
                rows[row + a] = slog(buffer.elements * buffer.elementBytes)
                rows[row + a + 1] = slog(buffer.elements * outer)
                rows[row + a + 2] = slog(outer)
                rows[row + a + 3] = slog(trip / outer)
            }
            rows[row + FeatureSchema.storeMemoryOffset + buffer.memory.rawValue] = 1
        }
        rows[row + FeatureSchema.outerOffset] = slog(trip)
        rows[row + FeatureSchema.outerOffset + 1] = slog(Double(d))
        rows[row + FeatureSchema.outerOffset + 2] = slog(Double(guardDepth))

        storeRows.append(row)
        storeLoopStart.append(storeLoops.count)
        for loop in loops { storeLoops.append(loop.id) }
        formTop = mark
    }

    /// Elements of group `g`'s buffer touched by the current ranges: per
    /// dimension the union over the group's accesses, clamped to the shape.
    /// With `sizes`, the per-dimension sizes are left in `dimensionSizes`.
    mutating func touchedElements(_ g: Int, mark: Int, sizes: Bool) -> Double {
        let b = groupBuffer[g]
        let rank = buffers[b].rank
        let shape = buffers[b].firstDimension
        if sizes {
            dimensionSizes.removeAll(keepingCapacity: true)
        }
        var product = 1.0
        for k in 0..<rank {
            let top = dimensions[shape + k].extent - 1
            var low = Double.infinity, high = -Double.infinity
            for a in accessBuffer.indices where accessGroup[a] == g {
                let f = accessForm[a] + k
                var l: Double, h: Double
                if formMask[f] & opaqueBit != 0 {
                    l = 0
                    h = top
                } else {
                    let raw = rangeLow[f - mark]
                    l = max(max(raw, formData[f * formWidth + lowerSlot]), 0)
                    h = min(min(rangeHigh[f - mark], formData[f * formWidth + upperSlot]), top)
                    if h < l {
                        l = min(max(raw, 0), top)
                        h = l
                    }
                }
                low = min(low, l)
                high = max(high, h)
            }
            let n = max(1, (high.rounded(.down) - low.rounded(.down)) + 1)
            if sizes { dimensionSizes.append(n) }
            product *= n
        }
        return product
    }

    /// Bytes, lines and stride of group `g` (its reuse is filled in later).
    mutating func accessRecord(_ g: Int, mark: Int, row: Int, trip: Double) -> GroupRecord {
        let b = groupBuffer[g]
        let rank = buffers[b].rank
        let elementBytes = buffers[b].elementBytes
        let unique = touchedElements(g, mark: mark, sizes: true)  // every loop varies now
        let line = Double(FeatureSchema.cacheLineBytes)
        // The innermost loop that moves the address, and by how many elements (flattened row-major).
        var stride = 0.0
        var lines = 1.0
        var level = depth - 1
        while level >= 0 {
            let bit = levelBit(level)
            if groupMask[g] & bit != 0 {
                var best = Double.infinity
                for a in accessBuffer.indices where accessGroup[a] == g && accessMask[a] & bit != 0 {
                    var derivative = 0.0
                    for k in 0..<rank {
                        derivative += formData[(accessForm[a] + k) * formWidth + level] * dimensions[buffers[b].firstDimension + k].stride
                    }
                    derivative = abs(derivative)
                    best = min(best, derivative == 0 ? 1 : derivative)
                }
                stride = best
                lines = max(1, loops[level].trip * fraction * min(1, stride * elementBytes / line))
                break
            }
            level -= 1
        }
        // Distinct lines of the whole region: contiguous runs times lines per run.
        var run = 1.0
        var k = rank - 1
        while k >= 0 {
            let size = k < dimensionSizes.count ? dimensionSizes[k] : 1
            run *= size
            if size < dimensions[buffers[b].firstDimension + k].extent { break }
            k -= 1
        }
        let uniqueLines = max(1, (unique / run) * (run * elementBytes / line).rounded(.up))
        return GroupRecord(row: row, buffer: Int32(b), flags: groupFlags[g],
                           bytes: Double(groupAccesses[g]) * trip * elementBytes,
                           uniqueBytes: unique * elementBytes, lines: lines, uniqueLines: uniqueLines,
                           stride: stride, mask: groupMask[g])
    }

    /// Annotation columns: count, product and length of the vectorized,
    /// unrolled and parallel loops around the store, and where the innermost
    /// of each kind sits.
    mutating func writeAnnotations(row: Int, hasWrite: Bool) {
        // Loops in the written index (per dimension) and in the reads.
        var writeMask: UInt64 = 0
        var readMask: UInt64 = 0
        for a in accessBuffer.indices {
            if a == 0 && hasWrite { writeMask = accessMask[a] } else { readMask |= accessMask[a] }
        }
        let reduction = readMask & ~writeMask
        for slot in 0..<3 {
            let kind: LoopKind = slot == 0 ? .vectorized : slot == 1 ? .unrolled : .parallel
            var number = 0.0, product = 1.0, length = 0.0, innermost = -1
            for l in loops.indices where loops[l].kind == kind {
                number += 1
                product *= loops[l].extent
                length = loops[l].extent
                innermost = l
            }
            let base = row + FeatureSchema.annotationOffset + 11 * slot
            rows[base] = slog(number)
            rows[base + 1] = slog(innermost >= 0 ? product : 0)
            rows[base + 2] = slog(length)
            rows[base + 3 + position(innermost, hasWrite: hasWrite, reduction: reduction, readMask: readMask)] = 1
        }
    }

    /// Ansor's annotation position: 0 none, 1–3 inner/middle/outer spatial,
    /// 4–6 inner/middle/outer reduction, 7 mixed. Loops around the written
    /// buffer's allocation (a stage computed at a consumer's loop) are outer
    /// spatial; of the loops inside it, those only the reads depend on are
    /// reduction loops.
    func position(_ level: Int, hasWrite: Bool, reduction: UInt64, readMask: UInt64) -> Int {
        guard level >= 0 else { return 0 }
        let bit = levelBit(level)
        var inside = 0
        if hasWrite {
            inside = buffers[accessBuffer[0]].allocationDepth
            let rank = buffers[accessBuffer[0]].rank
            var hits = 0, dimension = -1
            for k in 0..<rank where formMask[accessForm[0] + k] & bit != 0 {
                hits += 1
                dimension = k
            }
            if hits > 1 { return 7 }
            if hits == 1 { return dimension == rank - 1 ? 1 : dimension == 0 ? 3 : 2 }
        }
        guard readMask & bit != 0, level >= inside else { return 3 }
        let below = depth >= 61 ? levelBits : (UInt64(1) << UInt64(depth)) - 1
        let levels = reduction & below & ~((UInt64(1) << UInt64(min(inside, 61))) - 1)
        let inner = 63 - levels.leadingZeroBitCount, outer = levels.trailingZeroBitCount
        return level == inner ? 4 : level == outer ? 6 : 5
    }

    /// Ansor's arithmetic intensity curve: float ops per byte touched, as the
    /// loops widen from the innermost outwards, at 10 points along the ops.
    mutating func writeCurve(row: Int, flops: Double, levels n: Int) {
        guard flops > 0, n > 0 else { return }
        let total = curveOps[n - 1]
        var pt = 0
        for i in 0..<FeatureSchema.curvePoints {
            let target = total * Double(i + 1) / Double(FeatureSchema.curvePoints)
            while pt < n - 1 && curveOps[pt] < target * (1 - 1e-9) { pt += 1 }
            var value = curveOps[pt] / curveBytes[pt]
            if pt > 0 {
                let base = curveOps[pt - 1] / curveBytes[pt - 1]
                let run = curveOps[pt] - curveOps[pt - 1]
                if run > 0 { value = base + (value - base) / run * (target - curveOps[pt - 1]) }
            }
            rows[row + FeatureSchema.curveOffset + i] = slog(value)
        }
    }
}

/// A store's access to one buffer, as the first pass measured it.
struct GroupRecord {
    var row: Int
    var buffer: Int32
    var flags: UInt8
    var bytes: Double
    var uniqueBytes: Double
    var lines: Double
    var uniqueLines: Double
    var stride: Double
    var mask: UInt64
}

/// Elements of `buffer` one store touches in a whole run of `loop` (`here`)
/// and in one iteration of it (`inner`).
struct Touch {
    var loop: Int32
    var buffer: Int32
    var here: Double
    var inner: Double
    var elementBytes: Double
}
