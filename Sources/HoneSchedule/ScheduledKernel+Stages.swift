import HoneIR

// Steps that add stages: cache_write, rfactor, pack, deinterleave.
extension ScheduledKernel {
    /// `C = reduce(...)` becomes `C.local = reduce(...)` and `C = C.local`.
    mutating func cacheWrite(_ stage: String) throws(ScheduleError) {
        let state = try stageState(stage)
        guard state.isUntransformed else { throw ScheduleError(.alreadyTransformed, "\(stage)'s loops are already transformed; put cache_write before its other steps") }
        let definition = kernel.stage(named: stage)!
        let local = StageName.local(stage)
        guard kernel.tensor(named: local) == nil else { throw ScheduleError(.alreadyApplied, "\(stage) already has a cache stage \(local)") }
        guard definition.reduction != nil else { throw ScheduleError(.notAReduction, "\(stage) has no reduction to accumulate") }
        if let attached = stageComputed(inside: stage) {
            throw ScheduleError(.wrongOrder, "\(attached) is computed inside \(stage), which will no longer read it; put cache_write before that compute_at")
        }
        let tensor = kernel.tensor(named: stage)!
        var copy = definition
        copy.name = local
        let point = definition.indexVariables.map(Expr.indexVar)
        let reader = Stage(name: stage, indexVariables: definition.indexVariables, value: .load(local, point, tensor.type))
        insert(copy, TensorDecl(name: local, role: .intermediate, type: tensor.type, shape: tensor.shape), before: stage, replacing: reader)
    }

    /// `C[i] = sum(k < K) f(k)` becomes `C.rf[i, k.1] = sum(k.0) f(k.0 * F + k.1)` and
    /// `C[i] = sum(k.1 < F) C.rf[i, k.1]`.
    mutating func rfactor(_ stage: String, _ loop: String, _ factor: Int) throws(ScheduleError) {
        let state = try stageState(stage)
        guard state.isUntransformed else { throw ScheduleError(.alreadyTransformed, "\(stage)'s loops are already transformed; put rfactor before its other steps") }
        let definition = kernel.stage(named: stage)!
        guard let reduction = definition.reduction, let axis = reduction.axes.first(where: { $0.name == loop }) else {
            throw ScheduleError(.notAReduction, "\(loop) is not a reduction axis of \(stage)")
        }
        guard factor >= 1 else { throw ScheduleError(.outOfRange, "factor must be positive, got \(factor)") }
        if let attached = stageComputed(inside: stage) {
            throw ScheduleError(.wrongOrder, "\(attached) is computed inside \(stage), which will no longer read it; put rfactor before that compute_at")
        }
        let tensor = kernel.tensor(named: stage)!
        let partial = StageName.rfactor(stage)
        guard kernel.tensor(named: partial) == nil else { throw ScheduleError(.alreadyApplied, "\(stage) already has an rfactor stage") }
        let (outer, inner) = (LoopName.split(loop, level: 0), LoopName.split(loop, level: 1))
        let outerExtent = (axis.extent + factor - 1) / factor
        let recombined = Expr.binary(.add, .binary(.mul, .indexVar(outer), .index(factor)), .indexVar(inner))
        var value = substitute(definition.value) { $0 == loop ? recombined : nil }
        if axis.extent % factor != 0 {
            // Points past the axis's end contribute the reduction's identity;
            // clamping keeps their (unused) loads in bounds.
            let clamped = Expr.binary(.min, recombined, .index(axis.extent - 1))
            let safe = substitute(definition.value) { $0 == loop ? clamped : nil }
            value = .select(.binary(.lt, recombined, .index(axis.extent)), safe, identity(of: reduction.op, value.type))
        }
        let axes = reduction.axes.map { $0.name == loop ? ReductionAxis(name: outer, extent: outerExtent) : $0 }
        let rf = Stage(name: partial, indexVariables: definition.indexVariables + [inner],
                       reduction: Reduction(op: reduction.op, axes: axes), value: value)
        let final = Stage(name: stage, indexVariables: definition.indexVariables,
                          reduction: Reduction(op: reduction.op, axes: [ReductionAxis(name: inner, extent: factor)]),
                          value: .load(partial, (definition.indexVariables + [inner]).map(Expr.indexVar), tensor.type))
        insert(rf, TensorDecl(name: partial, role: .intermediate, type: tensor.type, shape: tensor.shape + [factor]),
               before: stage, replacing: final)
    }

    /// Adds `T.packed[d / b, others..., d % b] = T[...]` and makes every reader use it.
    mutating func pack(_ tensorName: String, _ dimension: Int, _ block: Int) throws(ScheduleError) {
        let packed = StageName.packed(tensorName)
        let tensor = try relaidOutTensor(tensorName, dimension, step: "pack", done: "packed", copy: packed)
        guard block >= 1 else { throw ScheduleError(.outOfRange, "block must be positive, got \(block)") }
        let extent = tensor.shape[dimension]
        let blocks = (extent + block - 1) / block
        var shape = tensor.shape
        shape.remove(at: dimension)
        shape = [blocks] + shape + [block]
        // The packed stage's variables: the block, the other dimensions, the lane.
        let others = tensor.shape.indices.filter { $0 != dimension }.map { "d\($0)" }
        let (blockVar, laneVar) = (LoopName.packBlock, LoopName.packLane)
        let original = Expr.binary(.add, .binary(.mul, .indexVar(blockVar), .index(block)), .indexVar(laneVar))
        var indices = others.map(Expr.indexVar)
        indices.insert(original, at: dimension)
        let value = copiedRead(tensor, indices, along: dimension, dividing: extent % block == 0)
        let stage = Stage(name: packed, indexVariables: [blockVar] + others + [laneVar], value: value)
        insertCopy(stage, TensorDecl(name: packed, role: .intermediate, type: tensor.type, shape: shape), of: tensorName) { indices in
            var rest = indices
            let d = rest.remove(at: dimension)
            return [.binary(.div, d, .index(block))] + rest + [.binary(.mod, d, .index(block))]
        }
    }

    /// Adds `T.phases[p, ..., i, ...] = T[..., i·S + p, ...]` (dimension d
    /// split into its S phases) and makes every reader use it: a read
    /// `T[..., e, ...]` becomes `T.phases[e % S, ..., e / S, ...]`.
    mutating func deinterleave(_ tensorName: String, _ dimension: Int, _ stride: Int) throws(ScheduleError) {
        let phases = StageName.phases(tensorName)
        let tensor = try relaidOutTensor(tensorName, dimension, step: "deinterleave", done: "deinterleaved", copy: phases)
        let extent = tensor.shape[dimension]
        guard stride >= 2 && stride <= extent else {
            throw ScheduleError(.outOfRange, "stride must be between 2 and \(tensorName)'s extent \(extent) along dimension \(dimension), got \(stride)")
        }
        let variables = tensor.shape.indices.map { "d\($0)" }
        let original = Expr.binary(.add, .binary(.mul, .indexVar(variables[dimension]), .index(stride)), .indexVar(LoopName.phase))
        var indices = variables.map(Expr.indexVar)
        indices[dimension] = original
        let value = copiedRead(tensor, indices, along: dimension, dividing: extent % stride == 0)
        var shape = tensor.shape
        shape[dimension] = (extent + stride - 1) / stride
        let stage = Stage(name: phases, indexVariables: [LoopName.phase] + variables, value: value)
        insertCopy(stage, TensorDecl(name: phases, role: .intermediate, type: tensor.type, shape: [stride] + shape), of: tensorName) { indices in
            var rest = indices
            let d = rest[dimension]
            rest[dimension] = .binary(.div, d, .index(stride))
            return [.binary(.mod, d, .index(stride))] + rest
        }
    }

    /// `tensor` at `indices`. When the copy's blocks or phases do not divide
    /// the extent of `dimension`, that index runs past the end: zero there,
    /// with the (unused) load clamped in bounds.
    private func copiedRead(_ tensor: TensorDecl, _ indices: [Expr], along dimension: Int, dividing: Bool) -> Expr {
        guard !dividing else { return .load(tensor.name, indices, tensor.type) }
        let extent = tensor.shape[dimension], original = indices[dimension]
        var clamped = indices
        clamped[dimension] = .binary(.min, original, .index(extent - 1))
        let zero: Expr = tensor.type.isFloat ? .float(0, tensor.type) : .int(0, tensor.type)
        return .select(.binary(.lt, original, .index(extent)), .load(tensor.name, clamped, tensor.type), zero)
    }

    /// The tensor a re-layout step (pack, deinterleave) copies, once checked.
    private func relaidOutTensor(_ tensorName: String, _ dimension: Int, step: String, done: String, copy: String) throws(ScheduleError) -> TensorDecl {
        guard let tensor = kernel.tensor(named: tensorName) else {
            throw ScheduleError(.unknownTensor, "no tensor named \(tensorName) (tensors: \(kernel.tensors.map(\.name).joined(separator: ", ")))")
        }
        guard tensor.role != .output else { throw ScheduleError(.outputStage, "\(tensorName) is the output; only inputs and intermediate stages can be \(done)") }
        guard dimension >= 0 && dimension < tensor.shape.count else {
            throw ScheduleError(.outOfRange, "\(tensorName) has \(tensor.shape.count) dimensions; there is no dimension \(dimension)")
        }
        if case .at(let consumer, _) = states[tensorName]?.location {
            throw ScheduleError(.wrongOrder, "\(tensorName) is computed inside \(consumer), which will read \(copy) instead; put \(step) before that compute_at")
        }
        guard kernel.tensor(named: copy) == nil else { throw ScheduleError(.alreadyApplied, "\(tensorName) is already \(done)") }
        return tensor
    }

    /// Inserts `stage`, a copy of `tensorName` in another layout, right after
    /// the tensor's own stage (or first, for an input), and makes every
    /// reader load from it at the indices `relaid` maps their indices to.
    private mutating func insertCopy(_ stage: Stage, _ decl: TensorDecl, of tensorName: String, relaid: ([Expr]) -> [Expr]) {
        kernel.stages = kernel.stages.map { reader in
            var reader = reader
            reader.value = substituteLoads(reader.value) { name, indices in
                name == tensorName ? .load(stage.name, relaid(indices), decl.type) : nil
            }
            return reader
        }
        let position = kernel.stages.firstIndex { $0.name == tensorName }.map { $0 + 1 } ?? 0
        kernel.stages.insert(stage, at: position)
        kernel.tensors.append(decl)
        states[stage.name] = StageState(stage: stage, shape: decl.shape)
    }

    /// Inserts `stage` (a new intermediate) before `existing`, whose definition
    /// becomes `replacement`; the new stage starts with the default schedule.
    private mutating func insert(_ stage: Stage, _ decl: TensorDecl, before existing: String, replacing replacement: Stage) {
        let index = kernel.stages.firstIndex { $0.name == existing }!
        kernel.stages[index] = replacement
        kernel.stages.insert(stage, at: index)
        kernel.tensors.append(decl)
        states[stage.name] = StageState(stage: stage, shape: decl.shape)
        let location = states[existing]!.location  // the stage keeps its place among its consumer's loops
        states[existing] = StageState(stage: replacement, shape: kernel.tensor(named: existing)!.shape)
        states[existing]!.location = location
    }
}
