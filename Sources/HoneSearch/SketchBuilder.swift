import HoneIR
import HoneSchedule

/// Turns one combination of structural choices into a sketch: applies the
/// kernel-level steps to learn the stages they create, then gives every
/// stage its plan, its decisions and its compute-location options.
struct SketchBuilder {
    let kernel: Kernel
    let variants: [SketchRules.Variant]
    private var sketch = Sketch(name: "", decisions: [])
    /// The kernel after cache_write, rfactor and pack.
    private var staged: ScheduledKernel

    init(kernel: Kernel, variants: [SketchRules.Variant]) {
        self.kernel = kernel
        self.variants = variants
        staged = ScheduledKernel(kernel)
    }

    func build() -> Sketch? {
        var builder = self
        return builder.make()
    }

    private mutating func make() -> Sketch? {
        // Kernel-level steps, with placeholder factors: names do not depend on them.
        var structural: [Step] = []
        for variant in variants {
            switch variant {
            case .multiLevel(let stage, .cacheWrite, _, _): structural.append(.cacheWrite(stage: stage))
            case .rfactor(let stage, let axis): structural.append(.rfactor(stage: stage, loop: axis, factor: 2))
            default: break
            }
        }
        for case .multiLevel(_, _, _, let pack?) in variants { structural.append(.pack(tensor: pack.tensor, dimension: pack.dimension, block: 1)) }
        guard let after = try? ScheduledKernel(kernel, schedule: Schedule(structural)) else { return nil }
        staged = after
        let k = after.kernel

        var covered = Set<String>()
        var names: [String] = []
        var packSlots: [(SketchRules.PackChoice, Int)] = []
        for variant in variants {
            switch variant {
            case .multiLevel(let stage, let mode, let vector, let pack):
                let plan = tiledPlan(stage, mode, vector, k)
                sketch.tiled.append(plan)
                covered.insert(plan.outer)
                if let inner = plan.inner { covered.insert(inner) }
                if let pack { packSlots.append((pack, plan.tileSlots[vector])) }
                let modeName: String
                switch mode {
                case .cacheWrite: modeName = "cache_write"
                case .alone: modeName = "tiled"
                case .fused(let consumer): modeName = "fused into \(consumer)"
                }
                names.append("\(stage): \(modeName), vector \(k.stage(named: plan.outer)!.indexVariables[vector])"
                             + (pack.map { ", pack \($0.tensor)[\($0.dimension)]" } ?? ""))
                if case .cacheWrite = mode { sketch.kernelSteps.append(.cacheWrite(stage)) }
            case .rfactor(let stage, let axis):
                let extent = kernel.stage(named: stage)!.reduction!.axes.first { $0.name == axis }!.extent
                sketch.kernelSteps.append(.rfactor(stage: stage, loop: axis, slot: add(.rfactor(stage: stage, loop: axis, extent: extent))))
                names.append("\(stage): rfactor \(axis)")
            }
        }
        for (pack, slot) in packSlots {
            sketch.kernelSteps.append(.pack(tensor: pack.tensor, dimension: pack.dimension, tileSlot: slot))
            sketch.packedStages.append(pack.tensor + ".packed")
            covered.insert(pack.tensor + ".packed")
        }
        for stage in k.stages where !covered.contains(stage.name) { sketch.simple.append(simplePlan(stage, k)) }
        for stage in k.stages where placementCandidate(stage, k, covered: covered) {
            var options: [Placement] = stage.reduction == nil && !stage.name.hasSuffix(".rf") ? [.inline, .root] : [.root]
            let readers = after.consumers(of: stage.name)
            if readers.count == 1 { options += attachLoops(of: readers[0]).map { .at(consumer: readers[0], loop: $0) } }
            guard options.count > 1 else { continue }
            sketch.placements.append(PlacementPlan(stage: stage.name, slot: add(.location(stage: stage.name, options: options))))
        }
        sketch.name = names.isEmpty ? "tiled stages" : names.joined(separator: "; ")
        return sketch
    }

    private func placementCandidate(_ stage: Stage, _ k: Kernel, covered: Set<String>) -> Bool {
        stage.name != k.output.name && !stage.name.hasSuffix(".packed") && !sketch.tiled.contains { $0.inner == stage.name || $0.outer == stage.name }
    }

    private mutating func add(_ decision: DecisionKind) -> Int {
        sketch.decisions.append(decision)
        return sketch.decisions.count - 1
    }

    private mutating func tiledPlan(_ name: String, _ mode: SketchRules.TilingMode, _ vector: Int, _ k: Kernel) -> TiledPlan {
        let (outer, inner): (String, String?)
        switch mode {
        case .cacheWrite: (outer, inner) = (name, name + ".local")
        case .alone: (outer, inner) = (name, nil)
        case .fused(let consumer): (outer, inner) = (consumer, name)
        }
        let outerStage = k.stage(named: outer)!
        let reducing = k.stage(named: inner ?? outer)!
        let shape = k.tensor(named: outer)!.shape
        let tileSlots = outerStage.indexVariables.enumerated().map { d, loop in
            add(.tile(stage: outer, loop: loop, extent: shape[d], levels: 3, vectorLanes: d == vector))
        }
        let axes = reducing.reduction?.axes ?? []
        let reductionSlots = axes.map { add(.tile(stage: reducing.name, loop: $0.name, extent: $0.extent, levels: 1, vectorLanes: false)) }
        var locationSlot: Int?
        if case .fused = mode, let inner {
            let lastLoop = outerStage.indexVariables.last!
            locationSlot = add(.location(stage: inner, options: [.at(consumer: outer, loop: LoopNames.level(lastLoop, 0)),
                                                                   .at(consumer: outer, loop: LoopNames.level(lastLoop, 1))]))
        }
        let unrollSlot = add(.unroll(stage: reducing.name))
        let outerLoops = zip(shape, tileSlots).map { OuterLoop(extent: $0, tileSlot: $1) }
        let parallelSlot = add(.parallel(stage: outer, outerLoops: outerLoops))
        return TiledPlan(outer: outer, inner: inner, outerLoops: outerStage.indexVariables,
                         innerLoops: inner.map { k.stage(named: $0)!.indexVariables } ?? outerStage.indexVariables,
                         reductions: axes.map(\.name), vectorDimension: vector, tileSlots: tileSlots,
                         reductionSlots: reductionSlots, locationSlot: locationSlot, unrollSlot: unrollSlot, parallelSlot: parallelSlot)
    }

    private mutating func simplePlan(_ stage: Stage, _ k: Kernel) -> SimplePlan {
        let shape = k.tensor(named: stage.name)!.shape
        // Reductions are vectorized through rfactor's lanes, not across rows.
        let vector: Int? = shape.isEmpty || (stage.reduction != nil && !stage.name.hasSuffix(".rf")) ? nil : shape.count - 1
        let tileSlots = stage.indexVariables.enumerated().map { d, loop in
            add(.tile(stage: stage.name, loop: loop, extent: shape[d], levels: 1, vectorLanes: d == vector))
        }
        let outerLoops = zip(shape, tileSlots).map { OuterLoop(extent: $0, tileSlot: $1) }
        let parallelSlot = shape.isEmpty ? nil : add(.parallel(stage: stage.name, outerLoops: outerLoops))
        let unrollSlot = stage.reduction == nil ? nil : add(.unroll(stage: stage.name))
        return SimplePlan(stage: stage.name, spatial: stage.indexVariables, reductions: stage.reduction?.axes.map(\.name) ?? [],
                          vectorDimension: vector, tileSlots: tileSlots, parallelSlot: parallelSlot, unrollSlot: unrollSlot)
    }

    /// The loops of `stage` a producer may be computed at: outside its vectorized loop.
    private func attachLoops(of stage: String) -> [String] {
        let level = LoopNames.level
        if let plan = sketch.tiled.first(where: { $0.outer == stage }) {
            if plan.inner != nil { return plan.outerLoops.map { level($0, 0) } + plan.outerLoops.map { level($0, 1) } }
            let others = plan.outerLoops.indices.filter { $0 != plan.vectorDimension }.map { plan.outerLoops[$0] }
            return plan.outerLoops.map { level($0, 0) } + plan.outerLoops.map { level($0, 1) } + plan.reductions.map { level($0, 0) }
                + plan.outerLoops.map { level($0, 2) } + plan.reductions.map { level($0, 1) } + others.map { level($0, 3) }
        }
        if let plan = sketch.tiled.first(where: { $0.inner == stage }) {
            let others = plan.innerLoops.indices.filter { $0 != plan.vectorDimension }.map { plan.innerLoops[$0] }
            return plan.reductions.map { level($0, 0) } + plan.innerLoops.map { level($0, 0) } + plan.reductions.map { level($0, 1) }
                + others.map { level($0, 1) }
        }
        if let plan = sketch.simple.first(where: { $0.stage == stage }) {
            let others = plan.spatial.indices.filter { $0 != plan.vectorDimension }.map { plan.spatial[$0] }
            return plan.spatial.map { level($0, 0) } + others.map { level($0, 1) }
        }
        return []
    }
}
