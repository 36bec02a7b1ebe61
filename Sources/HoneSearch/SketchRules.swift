import HoneIR
import HoneSchedule

/// The sketches of a kernel, from rules applied to its stages from last to
/// first (Ansor's sketch generation):
///
/// - **Multi-level tiling** for stages with data reuse (a reduction that
///   reads a tensor missing one of its spatial loops: matmul, convolution).
///   Either fused with a single elementwise consumer (the output), which is
///   tiled and computes the stage at a tile loop, or, without such a
///   consumer, with a `cache_write` stage as the register tile, or tiled
///   alone (SSRSRS).
/// - **Vectorized dimension**: the innermost spatial dimension, or any
///   spatial dimension that indexes an operand directly (a convolution's
///   output channels index its weights), with
/// - **Packing** of such an operand along that dimension in blocks of the
///   register tile, so the tile streams it with unit stride (OpenBLAS's
///   packed panels; oneDNN's blocked weights). Packing is optional for the
///   innermost dimension and required for the others, whose register tile
///   is stored with the vector dimension innermost (`storage_order`) and
///   copied out along the output's innermost dimension.
/// - **rfactor** of each reduction axis for reductions without reuse (row
///   maxima and sums, norms), so the partial results are vector lanes (of
///   axes of 16 points or more for a reduction whose lanes can run along
///   its operands' rows instead: a box filter, a pooling window); and,
///   beside multi-level tiling, for reductions with reuse whose innermost
///   spatial dimension has one point (a matrix-vector product: each row a
///   dot product, vectorized along the reduction, the rows in parallel).
/// - Every other stage is tiled once, parallel on its outer loops and
///   vectorized on its innermost spatial loop (a reduction only when that
///   loop runs along its operands' rows); an intermediate stage is
///   inlined, computed at root, or computed at a loop of its only consumer,
///   or of the stage all its readers may be computed at (a decision).
/// - **A fused pipeline**: for a pipeline with a stage of several readers
///   and no other structural choice (Harris's gradients, each read by two
///   box sums), one more sketch with all intermediate stages computed at
///   those loops, per tile of the output (Halide's schedules of image
///   pipelines).
enum SketchRules {
    /// The structural choice for one stage.
    enum Variant: Hashable {
        case multiLevel(stage: String, mode: TilingMode, vector: Int, pack: PackChoice?)
        case rfactor(stage: String, axis: String)
    }

    enum TilingMode: Hashable {
        case cacheWrite
        case alone
        case fused(consumer: String)
    }

    struct PackChoice: Hashable {
        var tensor: String
        var dimension: Int
    }

    static func sketches(for kernel: Kernel) -> Generated {
        var choices: [[Variant?]] = []
        for stage in kernel.stages.reversed() {
            if needsMultiLevelTiling(stage, kernel) {
                var variants: [Variant?] = []
                let modes: [TilingMode] = fusableConsumer(of: stage, kernel).map { [.fused(consumer: $0)] } ?? [.cacheWrite, .alone]
                for mode in modes {
                    for vector in vectorDimensions(stage, kernel) {
                        // Lanes along another dimension than the innermost need a register tile stored with them innermost.
                        if case .alone = mode, vector != stage.indexVariables.count - 1 { continue }
                        // Another dimension than the innermost one is read with unit stride only from a packed operand.
                        let packs = packChoices(stage, kernel, vector: vector)
                        let options: [PackChoice?] = vector == stage.indexVariables.count - 1 ? [nil] + packs : packs
                        for pack in options {
                            variants.append(.multiLevel(stage: stage.name, mode: mode, vector: vector, pack: pack))
                        }
                    }
                }
                if kernel.tensor(named: stage.name)!.shape.last == 1, let reduction = stage.reduction {
                    variants += reduction.axes.filter { $0.extent > 1 }.map { .rfactor(stage: stage.name, axis: $0.name) }
                }
                choices.append(variants)
            } else if let reduction = stage.reduction {
                // Vectorized along its rows, a reduction needs rfactor only for an axis that fills a vector on any CPU.
                let shortest = reducesAlongRows(stage, kernel) ? 16 : 2
                choices.append([nil] + reduction.axes.filter { $0.extent >= shortest }.map { .rfactor(stage: stage.name, axis: $0.name) })
            }
        }
        var combinations: [[Variant]] = [[]]
        for options in choices {
            combinations = combinations.flatMap { partial in options.map { option in option.map { partial + [$0] } ?? partial } }
        }
        var builders = combinations.map { SketchBuilder(kernel: kernel, variants: $0) }
        if combinations.count == 1, hasSharedStage(kernel) {
            // Only for pipelines with no other structural choice: added to
            // softmax's four sketches (rfactor or not, per row reduction),
            // it took their trials (0.8x at 64 trials, 3 seeds, znver3).
            builders.append(SketchBuilder(kernel: kernel, variants: combinations[0], fusesPipeline: true))
        }
        var generated = Generated()
        for builder in builders {
            switch builder.build() {
            case .success(let sketch)?: generated.sketches.append(sketch)
            case .failure(let failure)?: generated.dropped.append(failure)
            case nil: break
            }
        }
        return generated
    }

    /// Whether an intermediate stage has several readers: then a pipeline
    /// computed per tile of its output gets sketches of its own.
    static func hasSharedStage(_ kernel: Kernel) -> Bool {
        kernel.stages.contains { stage in
            stage.name != kernel.output.name && kernel.readers(of: stage.name).count > 1
        }
    }

    /// The sketches of a kernel, and those dropped because a rule made a
    /// step the kernel refuses (a bug in the rules, reported, never silent).
    struct Generated {
        var sketches: [Sketch] = []
        var dropped: [SketchRuleFailure] = []
    }

    // MARK: Analyses of the kernel as written

    /// The spatial index variables (extent > 1) that the load does not use,
    /// or uses only through a remainder by a constant: `(y + P) % S` takes S
    /// values whatever y is, so the operand is reused along y (a transposed
    /// convolution's window taps).
    static func missingSpatial(_ load: [Expr], _ stage: Stage, _ kernel: Kernel) -> [String] {
        let shape = kernel.tensor(named: stage.name)!.shape
        var used = Set<String>()
        for index in load { collectVariables(index, outsideRemainders: &used) }
        return zip(stage.indexVariables, shape).filter { $1 > 1 && !used.contains($0) }.map(\.0)
    }

    private static func collectVariables(_ e: Expr, outsideRemainders used: inout Set<String>) {
        switch e {
        case .int, .float: break
        case .variable(let name, _): used.insert(name)
        case .binary(.mod, _, .int): break
        case .binary(_, let a, let b): [a, b].forEach { collectVariables($0, outsideRemainders: &used) }
        case .unary(_, let a), .cast(_, let a): collectVariables(a, outsideRemainders: &used)
        case .select(let c, let a, let b): [c, a, b].forEach { collectVariables($0, outsideRemainders: &used) }
        case .call(_, let arguments): arguments.forEach { collectVariables($0, outsideRemainders: &used) }
        case .load(_, let indices, _): indices.forEach { collectVariables($0, outsideRemainders: &used) }
        }
    }

    /// Ansor's rule: a reduction that reads a tensor missing one of its spatial loops reuses data.
    static func needsMultiLevelTiling(_ stage: Stage, _ kernel: Kernel) -> Bool {
        guard stage.reduction != nil, !stage.indexVariables.isEmpty else { return false }
        var reuse = false
        stage.value.forEachNode {
            if case .load(_, let indices, _) = $0, !missingSpatial(indices, stage, kernel).isEmpty { reuse = true }
        }
        return reuse
    }

    /// Whether a reduction without reuse can be vectorized along its
    /// innermost spatial loop: every load reads that loop's variable in its
    /// last index only, so the lanes move along the operands' rows (a box
    /// filter's or a pooling window's sum), not across them (a row sum).
    static func reducesAlongRows(_ stage: Stage, _ kernel: Kernel) -> Bool {
        guard stage.reduction != nil, let innermost = stage.indexVariables.last,
              (kernel.tensor(named: stage.name)?.shape.last ?? 0) > 1 else { return false }
        var alongRows = true, used = false
        stage.value.forEachNode {
            guard case .load(_, let indices, _) = $0 else { return }
            for (position, index) in indices.enumerated() where index.mentions(anyOf: [innermost]) {
                if position == indices.count - 1 { used = true } else { alongRows = false }
            }
        }
        return alongRows && used
    }

    /// The output, when it is the stage's only consumer and reads it point for point.
    static func fusableConsumer(of stage: Stage, _ kernel: Kernel) -> String? {
        let readers = kernel.readers(of: stage.name)
        guard readers.count == 1, let consumer = readers.first, consumer.name == kernel.output.name,
              consumer.reduction == nil, consumer.indexVariables.count == stage.indexVariables.count else { return nil }
        let point = consumer.indexVariables.map(Expr.indexVar)
        var pointwise = true
        consumer.value.forEachNode {
            if case .load(stage.name, let indices, _) = $0, indices != point { pointwise = false }
        }
        return pointwise ? consumer.name : nil
    }

    /// Loads of input tensors as (tensor, indices).
    static func inputLoads(_ stage: Stage, _ kernel: Kernel) -> [(String, [Expr])] {
        var loads: [(String, [Expr])] = []
        stage.value.forEachNode {
            if case .load(let name, let indices, _) = $0, kernel.tensor(named: name)?.role == .input { loads.append((name, indices)) }
        }
        return loads
    }

    /// The innermost spatial dimension, and any other that indexes an input directly.
    static func vectorDimensions(_ stage: Stage, _ kernel: Kernel) -> [Int] {
        let last = stage.indexVariables.count - 1
        var dimensions = [last]
        let shape = kernel.tensor(named: stage.name)!.shape
        for d in 0..<last where shape[d] >= 8 {
            if inputLoads(stage, kernel).contains(where: { _, indices in indices.contains(.indexVar(stage.indexVariables[d])) }) {
                dimensions.append(d)
            }
        }
        return dimensions
    }

    /// Inputs indexed by the vectorized dimension's variable alone in one
    /// dimension, and missing another spatial loop (so the tile streams them).
    static func packChoices(_ stage: Stage, _ kernel: Kernel, vector: Int) -> [PackChoice] {
        let variable = Expr.indexVar(stage.indexVariables[vector])
        var choices: [PackChoice] = []
        for (tensor, indices) in inputLoads(stage, kernel) where !missingSpatial(indices, stage, kernel).isEmpty {
            guard let dimension = indices.firstIndex(of: variable) else { continue }
            let choice = PackChoice(tensor: tensor, dimension: dimension)
            if !choices.contains(choice) { choices.append(choice) }
        }
        // A tensor read twice in different ways cannot be packed for both.
        return choices.filter { choice in inputLoads(stage, kernel).filter { $0.0 == choice.tensor }.allSatisfy { $0.1.firstIndex(of: variable) == choice.dimension } }
    }
}

/// A sketch whose rule made a loop step the kernel refused.
public struct SketchRuleFailure: Error, Sendable, CustomStringConvertible {
    public var sketch: String
    public var reason: String

    public var description: String { "sketch '\(sketch)' dropped: a rule made an invalid step (\(reason))" }
}
