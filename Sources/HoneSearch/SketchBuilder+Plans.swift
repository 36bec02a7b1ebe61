import HoneIR
import HoneSchedule

// The plans of tiled and other stages. Each loop order is built from the
// loops the plan's splits returned, once.
extension SketchBuilder {
    /// A stage with data reuse, tiled in several levels; the tile slots are
    /// per spatial dimension of the tiled stage.
    mutating func tiledPlan(_ name: String, _ mode: SketchRules.TilingMode, _ vector: Int, _ k: Kernel) -> (StagePlan, [TileSlot]) {
        let (outer, inner): (String, String?)
        switch mode {
        case .cacheWrite: (outer, inner) = (name, StageName.local(name))
        case .alone: (outer, inner) = (name, nil)
        case .fused(let consumer): (outer, inner) = (consumer, name)
        }
        let outerStage = k.stage(named: outer)!
        let reducing = k.stage(named: inner ?? outer)!
        let shape = k.tensor(named: outer)!.shape
        let tiles = outerStage.indexVariables.enumerated().map { d, loop in
            addTile(.tile(stage: outer, loop: loop, extent: shape[d], levels: 3, vectorLanes: d == vector))
        }
        let axes = reducing.reduction?.axes ?? []
        let reductionTiles = axes.map { addTile(.tile(stage: reducing.name, loop: $0.name, extent: $0.extent, levels: 1, vectorLanes: false)) }

        var plan = StagePlan(stage: outer)
        let outerLevels: [[String]]
        if let inner {
            outerLevels = registerTiled(outer, inner, vector, tiles, reductionTiles, into: &plan)
            // At the innermost dimension's level-0 loop (a row of register tiles) or level-1 loop (one tile, the default).
            var contents = TileContents(stage: inner, consumer: outer, loops: Array(outerLevels.last!.prefix(2)))
            if case .fused = mode {
                contents.slot = addChoice(.location(stage: inner, options: contents.loops.map { .at(consumer: outer, loop: $0) }))
            }
            plan.tileContents = contents
        } else {
            outerLevels = tiledAlone(outer, vector, tiles, reductionTiles, into: &plan)
        }
        plan.unroll = UnrollPlan(stage: reducing.name, maxStep: addChoice(.unroll(stage: reducing.name)))
        let outerLoops = zip(shape, tiles).map { OuterLoop(extent: $0, tileSlot: $1) }
        plan.parallel = ParallelPlan(stage: outer, outerLoops: outerLevels.map { $0[0] }, depth: addChoice(.parallel(stage: outer, outerLoops: outerLoops)))
        return (plan, tiles)
    }

    /// `outer` tiled in three levels around `inner`, a register tile whose
    /// vector lanes stay contiguous whatever dimension they run along. The
    /// copy out of the tile is vectorized along the output's innermost
    /// dimension (a transpose when the tile's lanes run along another).
    /// Returns the outer stage's loops per dimension.
    private mutating func registerTiled(_ outer: String, _ inner: String, _ vector: Int, _ tiles: [TileSlot], _ reductionTiles: [TileSlot],
                                        into plan: inout StagePlan) -> [[String]] {
        let innerDimensions = shaped.kernel.stage(named: inner)!.indexVariables
        let outerDimensions = shaped.kernel.stage(named: outer)!.indexVariables
        if vector != innerDimensions.count - 1 {
            let order = innerDimensions.indices.filter { $0 != vector }.map { innerDimensions[$0] } + [innerDimensions[vector]]
            record(.storageOrder(stage: inner, order: order), into: &plan)
        }
        let levels = outerDimensions.enumerated().map { d, loop in
            split(outer, loop, [TileFactor(tiles[d], level: 0), .registerTile(tiles[d])], into: &plan)
        }
        let c = outerDimensions.count - 1
        let copy = split(outer, levels[c][2], [TileFactor(tiles[c], level: 2)], into: &plan)
        let tileLoops = levels.map { $0[0] } + levels.map { $0[1] }
        let others = outerDimensions.indices.filter { $0 != c }
        record(.reorder(stage: outer, order: tileLoops + others.map { levels[$0][2] } + copy), into: &plan)

        let innerLevels = innerDimensions.enumerated().map { d, loop in split(inner, loop, [TileFactor(tiles[d], level: 2)], into: &plan) }
        let reductions = reductionAxes(of: inner).enumerated().map { r, axis in split(inner, axis, [TileFactor(reductionTiles[r], level: 0)], into: &plan) }
        let innerOthers = innerDimensions.indices.filter { $0 != vector }
        let innerOutside = reductions.map { $0[0] } + innerLevels.map { $0[0] } + reductions.map { $0[1] } + innerOthers.map { innerLevels[$0][1] }
        record(.reorder(stage: inner, order: innerOutside + [innerLevels[vector][1]]), into: &plan)

        plan.vectorized = [StageLoop(stage: outer, loop: copy[1]), StageLoop(stage: inner, loop: innerLevels[vector][1])]
        plan.attachLoops = [outer: tileLoops, inner: innerOutside]
        return levels
    }

    /// A stage tiled alone (SSRSRS). Returns its loops per dimension.
    private mutating func tiledAlone(_ stage: String, _ vector: Int, _ tiles: [TileSlot], _ reductionTiles: [TileSlot],
                                     into plan: inout StagePlan) -> [[String]] {
        let dimensions = shaped.kernel.stage(named: stage)!.indexVariables
        let levels = dimensions.enumerated().map { d, loop in split(stage, loop, (0..<3).map { TileFactor(tiles[d], level: $0) }, into: &plan) }
        let reductions = reductionAxes(of: stage).enumerated().map { r, axis in split(stage, axis, [TileFactor(reductionTiles[r], level: 0)], into: &plan) }
        let others = dimensions.indices.filter { $0 != vector }
        let outside = levels.map { $0[0] } + levels.map { $0[1] } + reductions.map { $0[0] } + levels.map { $0[2] } + reductions.map { $0[1] }
            + others.map { levels[$0][3] }
        record(.reorder(stage: stage, order: outside + [levels[vector][3]]), into: &plan)
        plan.vectorized = [StageLoop(stage: stage, loop: levels[vector][3])]
        plan.attachLoops = [stage: outside]
        return levels
    }

    /// A stage without reuse: spatial loops split once, parallel on the
    /// outer ones, the innermost vectorized. Reductions are vectorized
    /// through rfactor's lanes, or along their operands' rows, never across them.
    mutating func simplePlan(_ stage: Stage, _ k: Kernel) -> StagePlan {
        let shape = k.tensor(named: stage.name)!.shape
        let vectorizable = stage.reduction == nil || StageName.isRfactor(stage.name) || SketchRules.reducesAlongRows(stage, k)
        let vector: Int? = shape.isEmpty || !vectorizable ? nil : shape.count - 1
        let tiles = stage.indexVariables.enumerated().map { d, loop in
            addTile(.tile(stage: stage.name, loop: loop, extent: shape[d], levels: 1, vectorLanes: d == vector))
        }
        var plan = StagePlan(stage: stage.name)
        let levels = stage.indexVariables.enumerated().map { d, loop in split(stage.name, loop, [TileFactor(tiles[d], level: 0)], into: &plan) }
        let others = stage.indexVariables.indices.filter { $0 != vector }
        let outside = levels.map { $0[0] } + others.map { levels[$0][1] }
        if !levels.isEmpty {
            let reductions = reductionAxes(of: stage.name)
            record(.reorder(stage: stage.name, order: outside + reductions + (vector.map { [levels[$0][1]] } ?? [])), into: &plan)
        }
        plan.attachLoops = [stage.name: outside]
        if !shape.isEmpty {
            let outerLoops = zip(shape, tiles).map { OuterLoop(extent: $0, tileSlot: $1) }
            plan.parallel = ParallelPlan(stage: stage.name, outerLoops: levels.map { $0[0] },
                                         depth: addChoice(.parallel(stage: stage.name, outerLoops: outerLoops)))
        }
        if let vector { plan.vectorized = [StageLoop(stage: stage.name, loop: levels[vector][1])] }
        if stage.reduction != nil { plan.unroll = UnrollPlan(stage: stage.name, maxStep: addChoice(.unroll(stage: stage.name))) }
        return plan
    }

    // MARK: Loop steps that hand back their loops

    private func reductionAxes(of stage: String) -> [String] {
        shaped.kernel.stage(named: stage)!.reduction?.axes.map(\.name) ?? []
    }

    /// Splits with placeholder factors (names do not depend on them) and returns the loops made.
    private mutating func split(_ stage: String, _ loop: String, _ factors: [TileFactor], into plan: inout StagePlan) -> [String] {
        plan.structure.append(.split(stage: stage, loop: loop, factors: factors))
        do {
            return try shaped.split(stage: stage, loop: loop, factors: factors.map { _ in 1 })
        } catch {
            ruleFailure = ruleFailure ?? "split of \(stage).\(loop): \(error)"
            return (0...factors.count).map { LoopName.split(loop, level: $0) }
        }
    }

    private mutating func record(_ step: LoopStep, into plan: inout StagePlan) {
        plan.structure.append(step)
        let applied: Step
        switch step {
        case .storageOrder(let stage, let order): applied = .storageOrder(stage: stage, order: order)
        case .reorder(let stage, let order): applied = .reorder(stage: stage, order: order)
        case .split: preconditionFailure("splits go through split(_:_:_:into:), which returns their loops")
        }
        do {
            try shaped.apply(applied)
        } catch {
            ruleFailure = ruleFailure ?? "\(applied): \(error)"
        }
    }
}
