import HoneSchedule

/// Builds the steps of one candidate: the sketch's steps with the factors
/// and choices of its decisions. It runs for every candidate a search
/// scores, so it only reads names the sketch stored.
struct SketchReplay {
    let sketch: Sketch
    let decisions: [[Int]]
    private var steps: [Step] = []

    init(sketch: Sketch, decisions: [[Int]]) {
        self.sketch = sketch
        self.decisions = decisions
    }

    mutating func makeSteps() -> [Step] {
        let inlined = Set(sketch.placements.map(\.stage).filter(placementIsInline))
        for step in sketch.kernelSteps {
            switch step {
            case .cacheWrite(let stage): steps.append(.cacheWrite(stage: stage))
            case .rfactor(let stage, let loop, let slot): steps.append(.rfactor(stage: stage, loop: loop, factor: decisions[choice: slot]))
            case .pack(let pack): steps.append(.pack(tensor: pack.tensor, dimension: pack.dimension, block: decisions[product: pack.block]))
            }
        }
        for stage in sketch.placements.map(\.stage) where inlined.contains(stage) { steps.append(.computeInline(stage: stage)) }

        for plan in sketch.plans where !inlined.contains(plan.stage) { structure(plan) }
        for plan in sketch.plans {
            guard let contents = plan.tileContents else { continue }
            let loop = contents.slot.map { contents.loops[decisions[choice: $0]] } ?? contents.loops.last!
            steps.append(.computeAt(stage: contents.stage, consumer: contents.consumer, loop: loop))
        }
        // Consumers before producers, so a producer can sit inside a consumer that is itself computed inside another stage.
        for plan in sketch.placements.reversed() {
            if case .at(let consumer, let loop) = placement(of: plan.stage) {
                steps.append(.computeAt(stage: plan.stage, consumer: consumer, loop: loop))
            }
        }

        for plan in sketch.plans where !inlined.contains(plan.stage) { annotations(plan) }
        for case .pack(let pack) in sketch.kernelSteps { packedAnnotations(pack) }
        return steps
    }

    // MARK: Placements

    private func placement(of stage: String) -> Placement {
        guard let plan = sketch.placements.first(where: { $0.stage == stage }),
              case .location(_, let options) = sketch.decisions[plan.slot.index] else { return .root }
        let chosen = options[decisions[choice: plan.slot]]
        guard case .at(let consumer, _) = chosen else { return chosen }
        // A consumer that is itself inlined has no loops to compute in.
        if placementIsInline(consumer) { return .root }
        // Readers other than the consumer must be computed at its loop or
        // inside it; otherwise the stage is computed at root, or, in a fused
        // pipeline, moves out to the outermost reader's loop. (Moving out in
        // every sketch made softmax's 64-trial bests 1.3x slower, 3 seeds.)
        var position = options.firstIndex(of: chosen)!
        for reader in readers(of: stage) where reader != consumer {
            guard case .at(consumer, let readerLoop) = placement(of: reader),
                  let readerPosition = options.firstIndex(of: .at(consumer: consumer, loop: readerLoop)),
                  readerPosition >= position || sketch.fusesPipeline else { return .root }
            position = min(position, readerPosition)
        }
        return options[position]
    }

    /// The stages that read `stage` once the inlined ones are substituted.
    private func readers(of stage: String) -> [String] {
        (sketch.readers[stage] ?? []).flatMap { placementIsInline($0) ? readers(of: $0) : [$0] }
    }

    private func placementIsInline(_ stage: String) -> Bool {
        guard let plan = sketch.placements.first(where: { $0.stage == stage }),
              case .location(_, let options) = sketch.decisions[plan.slot.index] else { return false }
        return options[decisions[choice: plan.slot]] == .inline
    }

    // MARK: Plans

    private mutating func structure(_ plan: StagePlan) {
        for step in plan.structure {
            switch step {
            case .storageOrder(let stage, let order): steps.append(.storageOrder(stage: stage, order: order))
            case .split(let stage, let loop, let factors): steps.append(.split(stage: stage, loop: loop, factors: factors.map { decisions[product: $0] }))
            case .reorder(let stage, let order): steps.append(.reorder(stage: stage, order: order))
            }
        }
    }

    private mutating func annotations(_ plan: StagePlan) {
        if let parallel = plan.parallel, placement(of: plan.stage) == .root {
            let depth = decisions[choice: parallel.depth]
            if depth > 0 {
                let fused = Array(parallel.outerLoops.prefix(depth))
                if fused.count > 1 { steps.append(.fuse(stage: parallel.stage, loops: fused)) }
                steps.append(.parallel(stage: parallel.stage, loop: LoopName.fused(fused)))
            }
        }
        for vector in plan.vectorized { steps.append(.vectorize(stage: vector.stage, loop: vector.loop)) }
        if let unroll = plan.unroll {
            let maxStep = DecisionKind.unrollSteps[decisions[choice: unroll.maxStep]]
            if maxStep > 0 { steps.append(.unrollMaxStep(stage: unroll.stage, maxStep: maxStep)) }
        }
    }

    private mutating func packedAnnotations(_ pack: PackPlan) {
        steps.append(.parallel(stage: pack.stage, loop: LoopName.packBlock))
        let block = decisions[product: pack.block]
        if block <= 64, block > 1 { steps.append(.vectorize(stage: pack.stage, loop: LoopName.packLane)) }
    }
}
