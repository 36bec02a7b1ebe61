import HoneIR

// A store's row, as the first pass writes it: every column but the buffer
// slots, which need every store's regions (BufferFeatures.swift).

/// A point of the arithmetic intensity curve: float ops and bytes touched
/// by the loops from the innermost out to some level.
struct CurvePoint {
    var ops: Double
    var bytes: Double
}

extension FeatureExtractor {
    /// Appends the store's row and keeps what the second pass needs.
    mutating func visitStore(_ name: String, _ indices: [Expr], _ value: Expr) {
        let trip = currentTrip
        let row = rows.count
        rows.append(contentsOf: repeatElement(0, count: FeatureSchema.total))
        let firstForm = forms.top
        accesses.removeAll(keepingCapacity: true)

        // Compute: the value, the store's indices, the enclosing guards and lets.
        let written = findBuffer(name)
        var ops = SIMD16<Double>()
        for index in indices { count(index, &ops, collect: false) }
        addAccess(name, indices, isWrite: true)
        let hasWrite = !accesses.isEmpty
        count(value, &ops, collect: true)
        let total = context + ops * trip
        for i in 0..<16 { rows[row + i] = slog(total[i]) }
        let flops = 2 * ops[Op.floatMad] + ops[Op.floatAddSub] + ops[Op.floatMul] + ops[Op.floatDivMod]
            + ops[Op.floatCmp] + ops[Op.floatMath] + ops[Op.floatCast]

        writeAnnotations(row: row, hasWrite: hasWrite)
        writeRegisterTile(row: row, hasWrite: hasWrite, elementBytes: written >= 0 ? buffers[written].elementBytes : 4)
        groupAccesses()
        widenLevels(firstForm: firstForm, flops: flops)

        // Per buffer: bytes, unique bytes, lines, unique lines, stride (reuse in the second pass).
        let firstTraffic = traffic.count
        for g in accessGroups.indices {
            traffic.append(measureGroup(g, firstForm: firstForm, trip: trip))
        }
        writeCurve(row: row, flops: flops)

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
        rows[row + FeatureSchema.outerOffset + 1] = slog(Double(depth))
        rows[row + FeatureSchema.outerOffset + 2] = slog(Double(guardDepth))
        rows[row + FeatureSchema.partitionShareColumn] = Float(partitionShare)
        rows[row + FeatureSchema.parallelImbalanceColumn] = slog(parallelImbalance())

        let firstLoop = storeLoopIDs.count
        for loop in loops { storeLoopIDs.append(loop.id) }
        stores.append(StoreRecord(row: row, loops: firstLoop..<storeLoopIDs.count, traffic: firstTraffic..<traffic.count))
        forms.top = firstForm
    }

    /// Widens the store's index ranges one loop level at a time, from every
    /// loop fixed outwards. At each level it records the elements each group
    /// touches (`touches`, for the second pass) and a point of the curve.
    mutating func widenLevels(firstForm: Int, flops: Double) {
        let count = forms.top - firstForm
        if ranges.count < count {
            ranges.append(contentsOf: repeatElement(IndexRange(low: 0, high: 0), count: count - ranges.count))
        }
        for f in firstForm..<forms.top {
            let c = forms.constant(f)
            ranges[f - firstForm] = IndexRange(low: c, high: c)
        }
        for g in accessGroups.indices { accessGroups[g].touched = touchedElements(g, firstForm: firstForm, sizes: false) }
        let d = depth
        if curve.count < d {
            curve.append(contentsOf: repeatElement(CurvePoint(ops: 0, bytes: 0), count: d - curve.count))
        }
        var opsSoFar = flops
        var level = d - 1
        while level >= 0 {
            let span = loops[level].extent - 1
            if span > 0 {
                for f in firstForm..<forms.top {
                    let v = forms.slope(f, level) * span
                    if v < 0 { ranges[f - firstForm].low += v } else if v > 0 { ranges[f - firstForm].high += v }
                }
            }
            var bytes = 0.0
            for g in accessGroups.indices {
                let b = accessGroups[g].buffer
                let t = touchedElements(g, firstForm: firstForm, sizes: false)
                bytes += t * buffers[b].elementBytes
                touches.append(Touch(loop: loops[level].id, buffer: Int32(b), elements: t,
                                     elementsPerIteration: accessGroups[g].touched, elementBytes: buffers[b].elementBytes))
                accessGroups[g].touched = t
            }
            opsSoFar *= loops[level].extent
            curve[d - 1 - level] = CurvePoint(ops: opsSoFar, bytes: bytes)
            level -= 1
        }
    }

    /// Annotation columns: count, product and length of the vectorized,
    /// unrolled and parallel loops around the store, and where the innermost
    /// of each kind sits.
    mutating func writeAnnotations(row: Int, hasWrite: Bool) {
        // Loops in the written index (per dimension) and in the reads.
        var writeLevels: UInt64 = 0
        var readLevels: UInt64 = 0
        for a in accesses.indices {
            if a == 0 && hasWrite { writeLevels = accesses[a].levels } else { readLevels |= accesses[a].levels }
        }
        let reduction = readLevels & ~writeLevels
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
            rows[base + 3 + position(innermost, hasWrite: hasWrite, reduction: reduction, readLevels: readLevels)] = 1
        }
    }

    /// Ansor's annotation position: 0 none, 1–3 inner/middle/outer spatial,
    /// 4–6 inner/middle/outer reduction, 7 mixed. Loops around the written
    /// buffer's allocation (a stage computed at a consumer's loop) are outer
    /// spatial; of the loops inside it, those only the reads depend on are
    /// reduction loops.
    func position(_ level: Int, hasWrite: Bool, reduction: UInt64, readLevels: UInt64) -> Int {
        guard level >= 0 else { return 0 }
        let bit = levelBit(level)
        var inside = 0
        if hasWrite {
            let write = accesses[0]
            inside = buffers[write.buffer].allocationDepth
            let rank = buffers[write.buffer].rank
            var hits = 0, dimension = -1
            for k in 0..<rank where forms.mask(write.firstForm + k) & bit != 0 {
                hits += 1
                dimension = k
            }
            if hits > 1 { return 7 }
            if hits == 1 { return dimension == rank - 1 ? 1 : dimension == 0 ? 3 : 2 }
        }
        guard readLevels & bit != 0, level >= inside else { return 3 }
        let below = depth >= 61 ? levelBits : (UInt64(1) << UInt64(depth)) - 1
        let levels = reduction & below & ~((UInt64(1) << UInt64(min(inside, 61))) - 1)
        let inner = 63 - levels.leadingZeroBitCount, outer = levels.trailingZeroBitCount
        return level == inner ? 4 : level == outer ? 6 : 5
    }

    /// Ansor's arithmetic intensity curve: float ops per byte touched, as the
    /// loops widen from the innermost outwards, at 10 points along the ops.
    mutating func writeCurve(row: Int, flops: Double) {
        let n = depth
        guard flops > 0, n > 0 else { return }
        let total = curve[n - 1].ops
        var pt = 0
        for i in 0..<FeatureSchema.curvePoints {
            let target = total * Double(i + 1) / Double(FeatureSchema.curvePoints)
            while pt < n - 1 && curve[pt].ops < target * (1 - 1e-9) { pt += 1 }
            var value = curve[pt].ops / curve[pt].bytes
            if pt > 0 {
                let base = curve[pt - 1].ops / curve[pt - 1].bytes
                let run = curve[pt].ops - curve[pt - 1].ops
                if run > 0 { value = base + (value - base) / run * (target - curve[pt - 1].ops) }
            }
            rows[row + FeatureSchema.curveOffset + i] = slog(value)
        }
    }

    /// Time on `threads` threads over the ideal (`par.imbalance`): only the
    /// outermost parallel loop spreads over the threads, each taking one
    /// block of ⌈E/T⌉ of its E iterations.
    func parallelImbalance() -> Double {
        let t = Double(threads)
        guard let outer = loops.first(where: { $0.kind == .parallel }) else { return t }
        return (outer.extent / t).rounded(.up) * t / outer.extent
    }
}
