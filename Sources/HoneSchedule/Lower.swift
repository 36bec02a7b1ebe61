import HoneIR

/// Lowers a kernel under a schedule to a loop nest.
///
/// Each stage computed at root becomes its own loop nests, in stage order;
/// each stage computed at a loop of its consumer is computed inside that
/// loop, into a buffer holding only the region the rest of that iteration
/// reads (bounds inference, `Bounds.swift`). A reduction stage lowers to two
/// nests, as Halide's pure and update definitions do: one writing the
/// identity over its spatial loops, one accumulating over all its loops.
///
/// Splits whose factors do not divide the extent ("tails") are guarded: the
/// condition `i < extent` wraps the body right inside the innermost loop it
/// depends on, so LLVM sees it once per iteration of that loop; inside a
/// vectorized loop it becomes a lane mask. No split needs a perfect factor.
public func lower(_ kernel: Kernel, schedule: Schedule = .default) throws(ScheduleError) -> LoopNest {
    try lower(ScheduledKernel(kernel, schedule: schedule))
}

public func lower(_ scheduled: ScheduledKernel) throws(ScheduleError) -> LoopNest {
    try lower(scheduled, counting: .fast)
}

/// `lower(scheduled)` with the `if`s counted by `counting` (the tests compare the methods).
func lower(_ scheduled: ScheduledKernel, counting: PointCounter.Method) throws(ScheduleError) -> LoopNest {
    try scheduled.checkComputeLocations()
    let kernel = scheduled.kernel
    var lowering = Lowering(scheduled: scheduled, counting: counting)
    var body: [Stmt] = []
    for stage in kernel.stages where scheduled.states[stage.name]!.location == .root {
        body.append(try lowering.lowerStage(stage.name, region: nil))
    }
    var nest = Stmt.sequence(body)
    for tensor in kernel.tensors.reversed() where tensor.role == .intermediate && scheduled.states[tensor.name]?.location == .root {
        nest = .allocate(Buffer(name: tensor.name, type: tensor.type, shape: tensor.shape, memory: .heap), nest)
    }
    let arguments = kernel.arguments.map { Buffer(name: $0.name, type: $0.type, shape: $0.shape) }
    let simplified = simplify(reorderStorage(nest, orders: scheduled.storageOrders))
    return LoopNest(name: kernel.name, arguments: arguments, body: lowering.hasRegionGuards ? addMissingTestCounts(simplified, counting: counting) : simplified)
}

/// The part of a stage's tensor that one iteration of its consumer's loop needs.
struct Region {
    /// Names of the variables bound to the first point of the region, per dimension.
    var minNames: [String]
    /// The first point, per dimension, in the consumer's loop variables.
    var minValues: [Expr]
    var extents: [Int]
    /// Per dimension: whether the region may reach outside the tensor, so
    /// points must be checked against its bounds.
    var mayExceed: [Bool]

    var mins: [Expr] { minNames.map(Expr.indexVar) }
}

/// Allocations up to this size live on the stack (per thread in parallel loops).
let stackLimitBytes = 64 * 1024

struct Lowering {
    let scheduled: ScheduledKernel
    var kernel: Kernel { scheduled.kernel }
    /// Stages computed at each (consumer, loop), in stage order.
    let attachments: [String: [String: [String]]]
    /// Each stage's position in the kernel: readers come after what they read.
    let stageOrder: [String: Int]
    /// The region of every stage computed at a loop, once its consumer's
    /// lowering has inferred it: each reader reads it through its origin.
    var producerRegions: [String: Region] = [:]
    /// Whether some region's points are tested against its tensor's bounds:
    /// tests the stage's own nest cannot count (`addMissingTestCounts`).
    var hasRegionGuards = false
    let counting: PointCounter.Method

    init(scheduled: ScheduledKernel, counting: PointCounter.Method) {
        self.scheduled = scheduled
        self.counting = counting
        var attachments: [String: [String: [String]]] = [:]
        for stage in scheduled.kernel.stages {
            if case .at(let consumer, let loop) = scheduled.states[stage.name]!.location {
                attachments[consumer, default: [:]][loop, default: []].append(stage.name)
            }
        }
        self.attachments = attachments
        stageOrder = Dictionary(uniqueKeysWithValues: scheduled.kernel.stages.enumerated().map { ($1.name, $0) })
    }

    mutating func lowerStage(_ name: String, region: Region?) throws(ScheduleError) -> Stmt {
        let stage = kernel.stage(named: name)!
        let tensor = kernel.tensor(named: name)!
        let state = scheduled.states[name]!
        let layout = state.layout(extents: region?.extents ?? tensor.shape)
        try checkAnnotations(name, layout)
        let loops = unrolledInnermost(layout.loops, maxStep: state.unrollMaxStep)
        // Loop variables are qualified by their stage (`padded.h`) except the
        // output's, so nests computed inside another stage's loops never shadow it.
        let variable = name == kernel.output.name ? { (loop: String) in loop } : { (loop: String) in "\(name).\(loop)" }
        let loopNames = Set(layout.loops.map(\.name))
        let qualify = { (e: Expr) in substitute(e) { loopNames.contains($0) ? .indexVar(variable($0)) : nil } }

        // Each index variable in the buffer's coordinates and in the tensor's.
        let local = stage.indexVariables.map { qualify(layout.expression(for: $0)) }
        let global = region.map { r in zip(r.mins, local).map { Expr.binary(.add, $0, $1) } } ?? local
        var point: [String: Expr] = Dictionary(uniqueKeysWithValues: zip(stage.indexVariables, global))
        for axis in stage.reduction?.axes ?? [] { point[axis.name] = qualify(layout.expression(for: axis.name)) }
        var value = substitute(stage.value) { point[$0] }

        var guards: [Guard] = zip(layout.guards, layout.currentGuards()).map { raw, current in
            // `v < extent` from a split of v: loops from its outer part pick the tile.
            guard case .binary(.lt, .variable(let split, _), _) = raw else { return Guard(condition: qualify(current)) { _ in false } }
            let outer = LoopName.split(split, level: 0)
            let tilePicking = Set(layout.loops.map(\.name).filter { loop in
                LoopName.parts(ofFused: loop).contains { LoopName.isSplit($0, from: outer) }
            }.map(variable))
            return Guard(condition: qualify(current)) { !tilePicking.contains($0) }
        }
        if let region {
            for d in global.indices where region.mayExceed[d] {
                hasRegionGuards = true
                let inside = Expr.binary(.and, .binary(.ge, global[d], .index(0)), .binary(.lt, global[d], .index(tensor.shape[d])))
                // Not in register tiles (`.local`): their edge tiles are small, and the
                // extra copy cost gemm's 64-trial searches 10% (6 seeds, 128^3).
                guards.append(Guard(condition: inside, isInternal: { _ in true }, retestsPerVector: !StageName.isLocal(name)))
            }
        }

        // Producers computed inside this stage's loops: their regions, read through offsets.
        let producers = try attachedRegions(name, layout, value: value, variable: variable)
        if !producerRegions.isEmpty {
            value = substituteLoads(value) { tensorName, indices in
                guard let region = producerRegions[tensorName] else { return nil }
                return .load(tensorName, zip(indices, region.mins).map { .binary(.sub, $0, $1) }, kernel.tensor(named: tensorName)!.type)
            }
        }
        var lowered: [String: Stmt] = [:]  // producer nests, built once per attachment loop
        for (loop, list) in producers {
            var statements: [Stmt] = []
            for (producer, producerRegion) in list { statements.append(try lowerStage(producer, region: producerRegion)) }
            lowered[loop] = .sequence(statements)
        }

        let storeIndex = region == nil ? global : local
        var openers: [String: (Stmt) -> Stmt] = [:]
        for (loop, list) in producers {
            let computed = lowered[loop]!
            let decls = Dictionary(uniqueKeysWithValues: list.map { ($0.name, kernel.tensor(named: $0.name)!) })
            openers[loop] = { inner in
                var scope = Stmt.sequence([computed, inner])
                for (producer, region) in list.reversed() {
                    let decl = decls[producer]!
                    let buffer = Buffer(name: producer, type: decl.type, shape: region.extents,
                                        memory: region.extents.reduce(decl.type.byteSize, *) <= stackLimitBytes ? .stack : .heap)
                    scope = .allocate(buffer, scope)
                    for (name, value) in zip(region.minNames, region.minValues).reversed() {
                        scope = .letStmt(name, value, scope)
                    }
                }
                return scope
            }
        }
        if let reduction = stage.reduction {
            let spatial = loops.filter { !$0.isReduction }
            let spatialNames = Set(spatial.map { variable($0.name) })
            let initGuards = guards.filter { variables(in: $0.condition).isSubset(of: spatialNames) }
            let initialize = Stmt.store(name, storeIndex, identity(of: reduction.op, tensor.type))
            let current = Expr.load(name, storeIndex, tensor.type)
            let update = Stmt.store(name, storeIndex, combine(reduction.op, current, value, tensor.type))
            return .sequence([
                NestBuilder(loops: spatial, variable: variable, body: initialize, guards: initGuards, counting: counting).build(),
                NestBuilder(loops: loops, variable: variable, body: update, guards: guards, openers: openers, counting: counting).build(),
            ])
        }
        return NestBuilder(loops: loops, variable: variable, body: .store(name, storeIndex, value), guards: guards, openers: openers,
                           counting: counting).build()
    }

    func tensor(_ name: String) -> TensorDecl { kernel.tensor(named: name)! }

    /// The regions of the stages computed at `stage`'s loops, by loop, in
    /// stage order; each is recorded in `producerRegions` for its readers.
    /// Readers come first: a producer read by stages computed beside it
    /// (`checkReaders`) covers what their regions read, each reader's
    /// points ranging over its region's box (not its loops, whose split
    /// tails overshoot it) and its reduction axes over their extents.
    mutating func attachedRegions(_ stage: String, _ layout: LoopLayout, value: Expr, variable: (String) -> String)
        throws(ScheduleError) -> [String: [(name: String, region: Region)]] {
        guard let byLoop = attachments[stage] else { return [:] }
        var placed: [(name: String, loop: String, position: Int)] = []
        for (loop, names) in byLoop {
            guard let position = layout.position(of: loop) else {
                throw ScheduleError(.computeLocationMissing, "\(names.joined(separator: ", ")) is computed at loop \(loop) of \(stage), which no longer exists")
            }
            placed += names.map { ($0, loop, position) }
        }
        placed.sort { stageOrder[$0.name]! > stageOrder[$1.name]! }
        let iterators = layout.loops.map { LoopIterator(name: variable($0.name), extent: $0.extent, isReduction: $0.isReduction) }
        var result: [String: [(name: String, region: Region)]] = [:]
        for (index, producer) in placed.enumerated() {
            var reads = [value], inner = Array(iterators[(producer.position + 1)...])
            for reader in placed[..<index] {
                let readerStage = kernel.stage(named: reader.name)!
                guard !loads(of: producer.name, in: readerStage.value).isEmpty else { continue }
                let region = producerRegions[reader.name]!
                var point: [String: Expr] = [:]
                for (d, indexVariable) in readerStage.indexVariables.enumerated() {
                    let box = LoopIterator(name: "\(reader.name).box.\(d)", extent: region.extents[d], isReduction: false)
                    point[indexVariable] = .binary(.add, region.minValues[d], .indexVar(box.name))
                    inner.append(box)
                }
                for axis in readerStage.reduction?.axes ?? [] {
                    let all = LoopIterator(name: "\(reader.name).box.\(axis.name)", extent: axis.extent, isReduction: true)
                    point[axis.name] = .indexVar(all.name)
                    inner.append(all)
                }
                reads.append(substitute(readerStage.value) { point[$0] })
            }
            let region = inferRegion(of: producer.name, readBy: reads, innerLoops: inner, outerLoops: Array(iterators[...producer.position]))
            producerRegions[producer.name] = region
            result[producer.loop, default: []].insert((producer.name, region), at: 0)
        }
        return result
    }
}
