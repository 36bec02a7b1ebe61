import HoneIR
import HoneSchedule

/// Turns one combination of structural choices into a sketch: applies the
/// kernel-level steps to learn the stages they create, then gives every
/// stage its plan, its decisions and its compute-location options.
///
/// Plans are made by applying their loop steps to `shaped` (with
/// placeholder factors: names do not depend on them) and reading back the
/// loops each step creates, as MetaSchedule's rules get loop handles back.
/// Each plan's loop order is derived once, here; replay and the compute
/// locations of producers both read it.
struct SketchBuilder {
    let kernel: Kernel
    let variants: [SketchRules.Variant]
    var sketch = Sketch(name: "", decisions: [])
    /// The kernel after cache_write, rfactor and pack, then the plans' loop steps.
    var shaped: ScheduledKernel
    /// The first loop step of a rule that the kernel refused: a rule's bug,
    /// which drops the sketch and is reported (`SketchRules.Generated`).
    var ruleFailure: String?

    init(kernel: Kernel, variants: [SketchRules.Variant], fusesPipeline: Bool = false) {
        self.kernel = kernel
        self.variants = variants
        sketch.fusesPipeline = fusesPipeline
        shaped = ScheduledKernel(kernel)
    }

    /// The sketch; nil when a kernel-level step does not apply (the variant
    /// is not for this kernel); a failure when a rule made a step the
    /// kernel refuses.
    func build() -> Result<Sketch, SketchRuleFailure>? {
        var builder = self
        guard let sketch = builder.make() else { return nil }
        if let failure = builder.ruleFailure { return .failure(SketchRuleFailure(sketch: sketch.name, reason: failure)) }
        return .success(sketch)
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
        shaped = after
        let k = after.kernel

        var covered = Set<String>()
        var names: [String] = []
        var packs: [(SketchRules.PackChoice, TileSlot)] = []
        for variant in variants {
            switch variant {
            case .multiLevel(let stage, let mode, let vector, let pack):
                let (plan, tiles) = tiledPlan(stage, mode, vector, k)
                sketch.plans.append(plan)
                covered.insert(plan.stage)
                if let inner = plan.tileContents?.stage { covered.insert(inner) }
                if let pack { packs.append((pack, tiles[vector])) }
                let modeName: String
                switch mode {
                case .cacheWrite: modeName = "cache_write"
                case .alone: modeName = "tiled"
                case .fused(let consumer): modeName = "fused into \(consumer)"
                }
                names.append("\(stage): \(modeName), vector \(k.stage(named: plan.stage)!.indexVariables[vector])"
                             + (pack.map { ", pack \($0.tensor)[\($0.dimension)]" } ?? ""))
                if case .cacheWrite = mode { sketch.kernelSteps.append(.cacheWrite(stage)) }
            case .rfactor(let stage, let axis):
                let extent = kernel.stage(named: stage)!.reduction!.axes.first { $0.name == axis }!.extent
                sketch.kernelSteps.append(.rfactor(stage: stage, loop: axis, factor: addChoice(.rfactor(stage: stage, loop: axis, extent: extent))))
                names.append("\(stage): rfactor \(axis)")
            }
        }
        for (pack, slot) in packs {
            let stage = StageName.packed(pack.tensor)
            sketch.kernelSteps.append(.pack(PackPlan(tensor: pack.tensor, dimension: pack.dimension, block: .registerTile(slot), stage: stage)))
            covered.insert(stage)
        }
        for stage in k.stages where !covered.contains(stage.name) { sketch.plans.append(simplePlan(stage, k)) }
        var sharedConsumers: [String: String] = [:]
        for stage in k.stages.reversed() where stage.name != k.output.name {
            sketch.readers[stage.name] = after.consumers(of: stage.name)
            sharedConsumers[stage.name] = sharedConsumer(of: stage.name, sharedConsumers)
        }
        for stage in k.stages where stage.name != k.output.name && !covered.contains(stage.name) {
            var options: [Placement] = stage.reduction == nil && !StageName.isRfactor(stage.name) ? [.inline, .root] : [.root]
            if let consumer = sharedConsumers[stage.name] {
                let locations = attachLoops(of: consumer).map { Placement.at(consumer: consumer, loop: $0) }
                options = sketch.fusesPipeline && !locations.isEmpty ? locations : options + locations
            }
            guard options.count > 1 else { continue }
            sketch.placements.append(PlacementPlan(stage: stage.name, slot: addChoice(.location(stage: stage.name, options: options))))
        }
        if sketch.fusesPipeline { names.append("pipeline fused") }
        sketch.name = names.isEmpty ? "tiled stages" : names.joined(separator: "; ")
        return sketch
    }

    /// The stage at whose loops `stage` may be computed: its only reader, or
    /// the one stage every reader either is or may itself be computed at
    /// (Harris's gray image and gradients, at the response's strips).
    /// `known` holds the answers for the stages after it.
    private func sharedConsumer(of stage: String, _ known: [String: String]) -> String? {
        guard let readers = sketch.readers[stage], let first = readers.first else { return nil }
        guard readers.count > 1 else { return first }
        return [first, known[first]].compactMap { $0 }.first { consumer in
            readers.allSatisfy { $0 == consumer || known[$0] == consumer }
        }
    }

    /// The loops of `stage` a producer may be computed at.
    private func attachLoops(of stage: String) -> [String] {
        sketch.plans.lazy.compactMap { $0.attachLoops[stage] }.first ?? []
    }

    /// Adds a tile decision; its slot is where candidates keep its factors.
    mutating func addTile(_ decision: DecisionKind) -> TileSlot {
        TileSlot(index: add(decision))
    }

    /// Adds a decision holding one integer.
    mutating func addChoice(_ decision: DecisionKind) -> ChoiceSlot {
        ChoiceSlot(index: add(decision))
    }

    private mutating func add(_ decision: DecisionKind) -> Int {
        sketch.decisions.append(decision)
        return sketch.decisions.count - 1
    }
}
