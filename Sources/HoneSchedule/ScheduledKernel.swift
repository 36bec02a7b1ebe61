import HoneIR

/// A kernel with a schedule applied: the stages after the kernel-level steps
/// (inline, cache_write, rfactor, pack) and the loop state of each stage.
/// `lower(_:)` turns it into a loop nest.
public struct ScheduledKernel: Hashable, Sendable {
    public internal(set) var kernel: Kernel
    public internal(set) var states: [String: StageState]

    /// The default schedule of `kernel`.
    public init(_ kernel: Kernel) {
        self.kernel = kernel
        states = [:]
        for stage in kernel.stages { states[stage.name] = StageState(stage: stage, shape: kernel.tensor(named: stage.name)!.shape) }
    }

    /// Applies every step of `schedule` in order; the first invalid one throws.
    public init(_ kernel: Kernel, schedule: Schedule) throws(ScheduleError) {
        self.init(kernel)
        for (index, step) in schedule.steps.enumerated() {
            do {
                try apply(step)
            } catch {
                var located = error
                (located.step, located.stepIndex) = (step, index)
                throw located
            }
        }
    }

    public func state(of stage: String) -> StageState? { states[stage] }

    /// The stages whose values read `tensor`.
    public func consumers(of tensor: String) -> [String] {
        kernel.readers(of: tensor).map(\.name)
    }

    /// Applies one step to the state the steps before it left.
    public mutating func apply(_ step: Step) throws(ScheduleError) {
        switch step {
        case .split(let stage, let loop, let factors): try split(stage, loop, factors)
        case .reorder(let stage, let order): try reorder(stage, order)
        case .fuse(let stage, let loops): try fuse(stage, loops)
        case .vectorize(let stage, let loop): try annotate(stage, loop, .vectorized)
        case .unroll(let stage, let loop): try annotate(stage, loop, .unrolled)
        case .parallel(let stage, let loop): try annotate(stage, loop, .parallel)
        case .unrollMaxStep(let stage, let maxStep):
            _ = try stageState(stage)
            guard maxStep >= 0 else { throw ScheduleError(.outOfRange, "max_step must be at least 0, got \(maxStep)") }
            states[stage]!.unrollMaxStep = maxStep
        case .computeAt(let stage, let consumer, let loop): try computeAt(stage, consumer, loop)
        case .computeRoot(let stage):
            _ = try stageState(stage)
            states[stage]!.location = .root
        case .computeInline(let stage): try computeInline(stage)
        case .cacheWrite(let stage): try cacheWrite(stage)
        case .rfactor(let stage, let loop, let factor): try rfactor(stage, loop, factor)
        case .pack(let tensor, let dimension, let block): try pack(tensor, dimension, block)
        case .deinterleave(let tensor, let dimension, let stride): try deinterleave(tensor, dimension, stride)
        case .storageOrder(let stage, let order): try storageOrder(stage, order)
        }
    }

    func stageState(_ name: String) throws(ScheduleError) -> StageState {
        guard let state = states[name] else {
            let known = kernel.stages.map(\.name).joined(separator: ", ")
            throw ScheduleError(.unknownStage, "no stage named \(name) (stages: \(known))")
        }
        return state
    }

    func loopIndex(_ state: StageState, _ stage: String, _ loop: String) throws(ScheduleError) -> Int {
        guard let index = state.position(of: loop) else {
            throw ScheduleError(.unknownLoop, "stage \(stage) has no loop \(loop) (loops: \(state.loops.map(\.name).joined(separator: ", ")))")
        }
        return index
    }

    // MARK: Loop steps

    private mutating func split(_ stage: String, _ loop: String, _ factors: [Int]) throws(ScheduleError) {
        let state = try stageState(stage)
        let old = state.loops[try loopIndex(state, stage, loop)]
        guard !factors.isEmpty else { throw ScheduleError(.outOfRange, "needs at least one factor") }
        guard factors.allSatisfy({ $0 >= 1 }) else { throw ScheduleError(.outOfRange, "factors must be positive, got \(factors)") }
        guard old.kind == .serial else { throw ScheduleError(.alreadyAnnotated, "loop \(loop) is already \(old.kind.rawValue); split before annotating") }
        states[stage]!.record(.split(loop, factors))
        retarget(stage, from: loop, to: LoopName.split(loop, level: factors.count))
    }

    private mutating func reorder(_ stage: String, _ order: [String]) throws(ScheduleError) {
        let state = try stageState(stage)
        let current = state.loops.map(\.name)
        guard Set(order) == Set(current), order.count == current.count else {
            throw ScheduleError(.invalidOrder, "order must name every loop of \(stage) once: \(current.joined(separator: ", ")); got \(order.joined(separator: ", "))")
        }
        states[stage]!.record(.reorder(order))
    }

    private mutating func fuse(_ stage: String, _ loops: [String]) throws(ScheduleError) {
        let state = try stageState(stage)
        guard loops.count >= 2 else { throw ScheduleError(.invalidOrder, "needs at least two loops") }
        let first = try loopIndex(state, stage, loops[0])
        for (offset, name) in loops.enumerated() {
            let index = try loopIndex(state, stage, name)
            guard index == first + offset else { throw ScheduleError(.invalidOrder, "loops \(loops.joined(separator: ", ")) are not adjacent in that order") }
        }
        let fused = Array(state.loops[first..<(first + loops.count)])
        guard Set(fused.map(\.isReduction)).count == 1 else { throw ScheduleError(.reductionLoop, "cannot fuse a reduction loop with a spatial loop") }
        if let annotated = fused.first(where: { $0.kind != .serial }) {
            throw ScheduleError(.alreadyAnnotated, "loop \(annotated.name) is already \(annotated.kind.rawValue); fuse before annotating")
        }
        states[stage]!.record(.fuse(loops))
        let name = LoopName.fused(loops)
        for loop in loops { retarget(stage, from: loop, to: name) }
    }

    private mutating func annotate(_ stage: String, _ loop: String, _ kind: LoopKind) throws(ScheduleError) {
        let state = try stageState(stage)
        let target = state.loops[try loopIndex(state, stage, loop)]
        guard target.kind == .serial else { throw ScheduleError(.alreadyAnnotated, "loop \(loop) is already \(target.kind.rawValue)") }
        switch kind {
        case .vectorized:
            guard !target.isReduction else { throw ScheduleError(.reductionLoop, "loop \(loop) is a reduction loop") }
            if let other = state.loops.first(where: { $0.kind == .vectorized }) {
                throw ScheduleError(.alreadyAnnotated, "stage \(stage) already vectorizes loop \(other.name)")
            }
        case .unrolled:
            break  // Extent limits are checked when lowering, where regions fix the extents.
        case .parallel:
            guard !target.isReduction else { throw ScheduleError(.reductionLoop, "loop \(loop) is a reduction loop; its iterations update the same values (use rfactor)") }
        case .serial: break
        }
        states[stage]!.record(.annotate(loop, kind))
    }

    /// Stages computed at `loop` of `stage` follow it when it is split or fused.
    private mutating func retarget(_ stage: String, from loop: String, to newLoop: String) {
        for (name, state) in states {
            if case .at(stage, loop) = state.location { states[name]!.location = .at(consumer: stage, loop: newLoop) }
        }
    }

    private mutating func storageOrder(_ stage: String, _ order: [String]) throws(ScheduleError) {
        _ = try stageState(stage)
        guard stage != kernel.output.name else { throw ScheduleError(.outputStage, "\(stage) is the kernel's output; its layout is the caller's") }
        let dimensions = kernel.stage(named: stage)!.indexVariables
        guard order.count == dimensions.count, Set(order) == Set(dimensions) else {
            throw ScheduleError(.invalidOrder, "order must name every dimension of \(stage) once: \(dimensions.joined(separator: ", ")); got \(order.joined(separator: ", "))")
        }
        let permutation = order.map { dimensions.firstIndex(of: $0)! }
        states[stage]!.storageOrder = permutation == Array(dimensions.indices) ? nil : permutation
    }

    /// The storage order of every stage that has one, by name.
    var storageOrders: [String: [Int]] {
        states.compactMapValues(\.storageOrder)
    }

    // MARK: Compute locations

    /// Checks what only the whole schedule settles (lowering calls it): a
    /// stage computed at a loop of its consumer must sit outside the
    /// consumer's vectorized loop, whose body runs once for all lanes while
    /// each lane would need its own region of the stage.
    public func checkComputeLocations() throws(ScheduleError) {
        var readers: [String: [String]]?  // built at the first stage computed at a loop (lowering runs this on every schedule)
        for stage in kernel.stages {
            guard case .at(let consumer, let loop) = states[stage.name]?.location, let consumerState = states[consumer] else { continue }
            guard let position = consumerState.position(of: loop) else {
                throw ScheduleError(.computeLocationMissing, "compute_at: \(stage.name) is computed at loop \(loop) of \(consumer), which no longer exists")
            }
            if readers == nil { readers = kernel.readersByTensor }
            try checkReaders(of: stage.name, readers![stage.name] ?? [], computedAt: consumer, loop: loop)
            if let vectorized = consumerState.loops[...position].first(where: { $0.kind == .vectorized }) {
                let place = vectorized.name == loop ? "at \(consumer)'s vectorized loop \(loop)" : "at loop \(loop) of \(consumer), inside its vectorized loop \(vectorized.name)"
                throw ScheduleError(.insideVectorizedLoop, "compute_at: \(stage.name) is computed \(place); each vector lane would need its own \(stage.name) "
                                    + "(compute it outside \(vectorized.name), or vectorize a loop inside \(loop))")
            }
        }
    }

    /// A stage computed at `loop` of `consumer` must be read only there: by
    /// `consumer` itself, or by stages computed at `loop` or inside it
    /// (Halide's compute_at of a Func with several consumers: Harris's
    /// gradients, read by two box sums each, computed per strip of the
    /// response beside them). One region then serves every reader.
    func checkReaders(of stage: String, _ readers: [String], computedAt consumer: String, loop: String) throws(ScheduleError) {
        guard readers.contains(consumer) || readers.contains(where: { reader in
            if case .at(consumer, _) = states[reader]?.location { true } else { false }
        }) else {
            throw ScheduleError(.invalidConsumer, "\(consumer) does not consume \(stage)")
        }
        let position = states[consumer]!.position(of: loop) ?? 0  // a missing loop is reported by the caller
        for reader in readers where reader != consumer {
            guard case .at(consumer, let readerLoop) = states[reader]?.location else {
                throw ScheduleError(.invalidConsumer, "\(stage) is also read by \(reader), which is not computed inside \(consumer); "
                                    + "a stage with several readers is computed at a loop of a stage that computes the others at that loop or inside it")
            }
            guard let readerPosition = states[consumer]!.position(of: readerLoop), readerPosition >= position else {
                throw ScheduleError(.invalidConsumer, "\(stage) is also read by \(reader), which is computed at loop \(readerLoop) of \(consumer), outside \(loop); "
                                    + "compute \(stage) at \(readerLoop) or outside it")
            }
        }
    }

    private mutating func computeAt(_ stage: String, _ consumer: String, _ loop: String) throws(ScheduleError) {
        _ = try stageState(stage)
        let consumerState = try stageState(consumer)
        guard stage != kernel.output.name else { throw ScheduleError(.outputStage, "\(stage) is the kernel's output; it is computed at root") }
        guard stage != consumer else { throw ScheduleError(.invalidConsumer, "a stage cannot be computed inside itself") }
        try checkReaders(of: stage, consumers(of: stage), computedAt: consumer, loop: loop)
        _ = try loopIndex(consumerState, consumer, loop)
        // No cycles: the consumer must not itself be computed inside the stage.
        var at = consumer
        while case .at(let outer, _) = states[at]!.location {
            guard outer != stage else { throw ScheduleError(.invalidConsumer, "\(consumer) is computed inside \(stage)") }
            at = outer
        }
        states[stage]!.location = .at(consumer: consumer, loop: loop)
    }

    /// A stage computed at one of `stage`'s loops, if any.
    func stageComputed(inside stage: String) -> String? {
        kernel.stages.map(\.name).first { if case .at(stage, _) = states[$0]?.location { true } else { false } }
    }

    private mutating func computeInline(_ stage: String) throws(ScheduleError) {
        _ = try stageState(stage)
        guard stage != kernel.output.name else { throw ScheduleError(.outputStage, "\(stage) is the kernel's output; it cannot be inlined") }
        let definition = kernel.stage(named: stage)!
        guard definition.reduction == nil else { throw ScheduleError(.notElementwise, "\(stage) is a reduction; only elementwise stages can be inlined") }
        if let attached = stageComputed(inside: stage) {
            throw ScheduleError(.wrongOrder, "\(attached) is computed inside \(stage); move it first")
        }
        kernel.stages = kernel.stages.filter { $0.name != stage }.map { consumer in
            var consumer = consumer
            consumer.value = substituteLoads(consumer.value) { name, indices in
                guard name == stage else { return nil }
                let point = Dictionary(uniqueKeysWithValues: zip(definition.indexVariables, indices))
                return substitute(definition.value) { point[$0] }
            }
            return consumer
        }
        kernel.tensors.removeAll { $0.name == stage }
        states[stage] = nil
    }
}
