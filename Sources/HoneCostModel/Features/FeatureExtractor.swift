import HoneIR

/// The feature rows of a lowered loop nest: one row per store statement, in
/// program order, `FeatureSchema.count` columns each (see `FeatureSchema`).
/// `registers` and `threads`: the machine's (the search passes the host's
/// registers, `HostTarget.registers`, and its own thread count).
public func extractFeatures(_ nest: LoopNest, registers: RegisterFile = .avx2, threads: Int = 2) -> [[Float]] {
    var extractor = FeatureExtractor(registers: registers, threads: threads)
    return extractor.extract(nest)
}

/// Extracts per-store features, reusing its scratch storage between calls:
/// keep one per thread and call it for every candidate the search scores.
///
/// Two passes over the nest. The first walks the statements once, keeping
/// the enclosing loops, `let`s and allocations on stacks (`Scope.swift`);
/// at each `if` it weights each branch by how often it runs, from the
/// counts lowering recorded (`IfFacts`; a nest built by hand is counted
/// first, `addMissingTestCounts`); at each store it counts operations,
/// turns every index into an affine form over the enclosing loops
/// (`IndexForms.swift`) and, per buffer, measures the region touched at
/// each loop level (`StoreAccesses.swift`), writing all columns but the
/// buffer slots (`StoreFeatures.swift`; the register tile,
/// `RegisterTile.swift`). The second pass, which needs every store's
/// regions, adds the reuse features and fills the top-5 buffer slots
/// (`BufferFeatures.swift`).
///
/// Its state is a few arrays of small records, each documented where it is
/// declared. Names are resolved by scanning short stacks (loop variables,
/// buffers in scope); nothing is keyed by `String` and, once warm, nothing
/// allocates but the output rows.
/// Cost: O(nodes × loop depth) per store; about 10–30 µs per gemm- or
/// conv2d-sized program (`make bench`, bench-features).
public struct FeatureExtractor: Sendable {
    /// The vector registers the register tile columns compare tiles with.
    public let registers: RegisterFile
    /// The threads parallel loops run on (`par.imbalance`).
    public var threads: Int

    public init(registers: RegisterFile, threads: Int) {
        self.registers = registers
        self.threads = max(threads, 1)
    }

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
        var body = nest.body, counted = false
        while true {
            reset()
            for argument in nest.arguments { addBuffer(argument, memory: .argument, allocationTrip: 1) }
            visit(body)
            if metUncountedTestBuiltByHand && !counted {
                // A nest built by hand: count its tests (rare; lowering counts its own) and start again.
                body = addMissingTestCounts(body)
                counted = true
            } else if tooDeep {
                // Deeper than the forms are wide: widen them (kept for later calls) and start again.
                forms.levelCapacity *= 2
            } else {
                break
            }
            rows.removeSubrange(firstRow...)
        }
        finishBufferFeatures()
        return stores.count
    }

    // MARK: Scratch state (internal: the other files of this feature extend it)

    /// The arguments, then the allocations as they are met; an index into
    /// it is a buffer's id for the whole extraction.
    var buffers: [BufferInScope] = []
    /// The buffers' dimensions, each buffer's in a run (`firstDimension`).
    var dimensions: [BufferDimension] = []

    /// The loops around the current point, outermost first: `loops[level]`.
    var loops: [EnclosingLoop] = []
    /// Every loop of the nest met so far, by id (loops are numbered in program order).
    var nestLoops: [NestLoop] = []
    /// The loop variables and `let`s around the current point, innermost last.
    var scope: [ScopeEntry] = []

    /// The forms of the indices in scope and being analysed (IndexFormStack.swift).
    var forms = IndexFormStack()
    /// Whether a loop nest is deeper than the forms have slopes for.
    var tooDeep = false
    /// Whether the pass met an `if` not made by lowering and without counts.
    var metUncountedTestBuiltByHand = false

    /// Operations of the enclosing guards and lets, already weighted.
    var context = SIMD16<Double>()
    var guardDepth = 0
    /// The fraction of the enclosing loops' iterations that reach this point.
    var fraction = 1.0
    /// The share of a store's executions that its copy at this point runs
    /// (the `partition_share` column): the fraction of the enclosing tile
    /// partitions that lead here.
    var partitionShare = 1.0

    // The current store (StoreAccesses.swift, StoreFeatures.swift).
    /// Its accesses, the write first.
    var accesses: [StoreAccess] = []
    /// Its accesses grouped by buffer, in order of first access.
    var accessGroups: [AccessGroup] = []
    /// The range of each of its index forms, by form minus its first form.
    var ranges: [IndexRange] = []
    /// Per dimension, the extent of the region a group touches (`touchedElements`).
    var dimensionSizes: [Double] = []
    /// The arithmetic intensity curve, from the innermost loop outwards.
    var curve: [CurvePoint] = []

    // Kept for the second pass (BufferFeatures.swift).
    /// The rows: the caller's output array, swapped in while `extract` runs.
    var rows: [Float] = []
    /// Every store met, in program order.
    var stores: [StoreRecord] = []
    /// The ids of each store's loops, outermost first (`StoreRecord.loops`).
    var storeLoopIDs: [Int32] = []
    /// Each store's traffic per buffer (`StoreRecord.traffic`).
    var traffic: [BufferTraffic] = []
    /// For every store, loop around it and buffer it accesses: the elements touched.
    var touches: [Touch] = []
    /// Per loop and buffer, at `loop id * buffers.count + buffer`.
    var loopBufferTouches: [LoopBufferTouches] = []
    /// The current store's traffic (indices into `traffic`), in slot order.
    var slotOrder: [Int] = []

    mutating func reset() {
        forms.reset()
        tooDeep = false
        metUncountedTestBuiltByHand = false
        context = SIMD16()
        guardDepth = 0
        fraction = 1
        partitionShare = 1
        buffers.removeAll(keepingCapacity: true)
        dimensions.removeAll(keepingCapacity: true)
        loops.removeAll(keepingCapacity: true)
        nestLoops.removeAll(keepingCapacity: true)
        scope.removeAll(keepingCapacity: true)
        stores.removeAll(keepingCapacity: true)
        storeLoopIDs.removeAll(keepingCapacity: true)
        traffic.removeAll(keepingCapacity: true)
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
            let savedTop = forms.top
            let f = linearize(value)
            scope.append(ScopeEntry(name: name, binding: .letForm(f)))
            visit(body)
            scope.removeLast()
            forms.top = savedTop
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
    /// A partition's two branches are copies of the same stores, so each
    /// copy's `partitionShare` is its branch's fraction.
    mutating func visitGuarded(_ then: Stmt, _ otherwise: Stmt?, _ facts: IfFacts) {
        let outer = fraction, outerShare = partitionShare
        let holds = facts.counts.map { $0.evaluations > 0 ? Double($0.holds) / Double($0.evaluations) : 0 } ?? 0.5
        if facts.counts == nil && facts.kind == .other { metUncountedTestBuiltByHand = true }
        let copies = facts.kind == .partition && otherwise != nil
        guardDepth += 1
        fraction = outer * holds
        if copies { partitionShare = outerShare * holds }
        visit(then)
        if let otherwise {
            fraction = outer * (1 - holds)
            if copies { partitionShare = outerShare * (1 - holds) }
            visit(otherwise)
        }
        guardDepth -= 1
        fraction = outer
        partitionShare = outerShare
    }

    /// Pushes the loop's level and variable for its body. A loop deeper than
    /// the forms have slopes for is skipped, and `extract` starts over.
    mutating func visitLoop(_ loop: Loop) {
        let level = depth
        guard level < forms.levelCapacity else {
            tooDeep = true
            return
        }
        let savedTop = forms.top
        var extent: Double
        var constant = false
        if case .int(let e, _) = loop.extent {
            extent = Double(e)
            constant = true
        } else {
            let f = linearize(loop.extent)
            extent = largestValue(f)
            forms.top = savedTop
        }
        extent = extent.isFinite ? max(extent, 1) : 1
        let start: LoopStart
        if case .int(let m, _) = loop.min {
            start = .constant(Double(m))
        } else {
            start = .form(linearize(loop.min))  // kept until the loop ends
        }
        let trip = (level == 0 ? 1 : loops[level - 1].trip) * extent
        loops.append(EnclosingLoop(extent: extent, hasConstantExtent: constant, kind: loop.kind, id: Int32(nestLoops.count),
                                   start: start, trip: trip))
        nestLoops.append(NestLoop(extent: extent, bytes: 0, bytesPerIteration: 0))
        scope.append(ScopeEntry(name: loop.variable, binding: .loop(level: level)))

        visit(loop.body)

        scope.removeLast()
        loops.removeLast()
        forms.top = savedTop
    }
}
