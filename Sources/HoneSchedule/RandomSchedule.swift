import HoneIR

/// Random valid schedules for a kernel, deterministic for a seed.
///
/// Each schedule is built step by step on a `ScheduledKernel`: a candidate
/// step is applied to a copy of the state and kept only if it is valid, so
/// every schedule returned applies without error. The steps come in phases
/// that respect what the steps require of each other:
///
/// 1. kernel-level steps, in a random order: `pack` and `deinterleave` of
///    an input or intermediate, `rfactor` and `cache_write` of reduction stages,
///    `compute_inline` of elementwise intermediates;
/// 2. loop structure per stage: single- and multi-level `split`s with factors
///    that divide the extent, do not divide it, or exceed it; `reorder` by a
///    random permutation; `fuse` of adjacent loops of the same kind;
/// 3. compute locations: `compute_at` a random loop of a stage's only
///    consumer (almost always for `cache_write`'s `.local` stages),
///    `compute_root`;
/// 4. annotations: `parallel` (a spatial loop at any depth), `vectorize`
///    (a spatial loop of at most `maxVectorLanes` iterations), `unroll`,
///    `unroll_max_step`, and `storage_order` of intermediate stages (a
///    random permutation, or the dimension of a vectorized loop moved last).
///
/// Phase 3 also runs before phase 2 (a `compute_at` followed by a split of
/// the consumer's loop exercises retargeting), after the annotations, or
/// even first of all (kernel-level steps then replace stages that already
/// have a compute location). Vector and unroll extents are checked against the
/// stage's full loops, which bound the loops of any region the stage is
/// computed over, so the schedules also pass lowering's extent checks (and
/// no stage is computed inside its consumer's vectorized loop). Budgets keep
/// every schedule quick to compile and run: splits may not multiply a
/// stage's iterations by more than `maxIterationBlowup`, and unroll steps,
/// then parallel steps, are dropped (last first) until the lowered nest fits
/// `maxCodeSize` (`estimatedCodeSize`) and `maxParallelRegions`
/// (`parallelRegionsEntered`).
///
/// It covers the whole step language, in orders and combinations no
/// sketch makes: the differential tests use it as a fuzzer of lowering and
/// codegen, `hone measure --random` and bench-measure to exercise
/// measurement. The search does not use it: it samples the decisions of
/// its sketches (`SearchSpace.sample` in HoneSearch), a much smaller space
/// of schedules worth measuring.
public struct RandomScheduleGenerator: Sendable {
    /// How often each kind of step is tried. Probabilities are per candidate
    /// (per stage, or per schedule for `pack`).
    public struct Options: Hashable, Sendable {
        public var pack = 0.15
        public var deinterleave = 0.1
        public var rfactor = 0.15
        public var cacheWrite = 0.25
        public var computeInline = 0.3
        /// Splits tried per stage: uniform in `0 ... maxSplitsPerStage`.
        public var maxSplitsPerStage = 3
        /// The chance a split has two or three factors rather than one.
        public var multiLevelSplit = 0.35
        public var reorder = 0.4
        public var fuse = 0.25
        public var computeAt = 0.5
        /// For `cache_write`'s `.local` stages.
        public var computeAtLocal = 0.85
        public var computeRoot = 0.1
        public var parallel = 0.3
        public var vectorize = 0.5
        public var unroll = 0.25
        public var unrollMaxStep = 0.2
        /// For each intermediate stage with two or more dimensions.
        public var storageOrder = 0.25
        /// The largest vectorized extent tried (lowering accepts up to 64).
        public var maxVectorLanes = 64
        /// The largest unrolled extent tried (lowering accepts up to 512).
        public var maxUnrollExtent = 512
        /// Budget for `estimatedCodeSize` of the lowered nest: unroll steps
        /// are dropped, last first, until it fits (keeps compile times bounded).
        public var maxCodeSize = 512
        /// How many more iterations than its points a stage's loops may run
        /// (splits by factors larger than what is left of a loop add empty,
        /// guarded iterations).
        public var maxIterationBlowup = 16.0
        /// Budget for `parallelRegionsEntered` by the lowered nest: parallel
        /// steps are dropped, last first, until it fits (each entry wakes the
        /// thread team).
        public var maxParallelRegions = 256

        public init() {}
    }

    public let kernel: Kernel
    public var options: Options
    private var rng: SplitMix64

    public init(kernel: Kernel, seed: UInt64, options: Options = Options()) {
        self.kernel = kernel
        self.options = options
        rng = SplitMix64(seed: seed)
    }

    /// The next random schedule. Every step is valid for the kernel.
    public mutating func next() -> Schedule {
        var builder = Builder(state: ScheduledKernel(kernel))
        switch rng.next(below: 8) {
        case 0:
            // Kernel-level steps after compute_at: the stages they replace keep their places.
            computeLocations(&builder)
            kernelLevelSteps(&builder)
            loopStructure(&builder)
            annotations(&builder)
        case 1, 2:
            kernelLevelSteps(&builder)
            computeLocations(&builder)
            loopStructure(&builder)
            annotations(&builder)
        case 3, 4:
            kernelLevelSteps(&builder)
            loopStructure(&builder)
            annotations(&builder)
            computeLocations(&builder)
        default:
            kernelLevelSteps(&builder)
            loopStructure(&builder)
            computeLocations(&builder)
            annotations(&builder)
        }
        return withinBudgets(Schedule(builder.steps))
    }

    /// Iterations of the stage's loops per point of its tensor and reduction.
    private func iterationBlowup(_ state: StageState) -> Double {
        let points = state.initialLoops.reduce(1.0) { $0 * Double($1.extent) }
        return state.loops.reduce(1.0) { $0 * Double($1.extent) } / max(points, 1)
    }

    // MARK: Building

    /// The state and the steps that built it.
    private struct Builder {
        var state: ScheduledKernel
        var steps: [Step] = []

        /// Applies `step` if it is valid (and the state after it passes
        /// `accept`); reports whether it was.
        @discardableResult
        mutating func attempt(_ step: Step, accept: (ScheduledKernel) -> Bool = { _ in true }) -> Bool {
            var copy = state
            do {
                try copy.apply(step)
                try copy.checkComputeLocations()
            } catch {
                return false
            }
            guard accept(copy) else { return false }
            state = copy
            steps.append(step)
            return true
        }
    }

    private mutating func chance(_ p: Double) -> Bool {
        p > 0 && Double(rng.next() >> 11) * 0x1p-53 < p
    }

    private mutating func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[rng.next(below: items.count)]
    }

    private mutating func shuffled<T>(_ items: [T]) -> [T] {
        var result = items
        for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, rng.next(below: i + 1)) }
        return result
    }

    /// A split factor: a divisor of the extent, a power of two, any value up
    /// to a little past the extent, or one larger than the extent.
    private mutating func factor(for extent: Int) -> Int {
        let extent = max(extent, 1)
        switch rng.next(below: 10) {
        case 0..<4:
            let divisors = (1...extent).filter { extent % $0 == 0 }
            return pick(divisors.count > 2 ? Array(divisors.dropFirst().dropLast()) : divisors)!
        case 4..<7: return 1 << (1 + rng.next(below: 6))
        case 7..<9: return 1 + rng.next(below: extent + 2)
        default: return extent + 1 + rng.next(below: extent + 3)
        }
    }

    // MARK: Phase 1: kernel-level steps

    private mutating func kernelLevelSteps(_ b: inout Builder) {
        for kind in shuffled(["pack", "deinterleave", "rfactor", "cache_write", "compute_inline"]) {
            switch kind {
            case "pack":
                guard chance(options.pack) else { break }
                let tensors = b.state.kernel.tensors.filter { $0.role != .output && !$0.shape.isEmpty }
                guard let tensor = pick(tensors) else { break }
                let dimension = rng.next(below: tensor.shape.count)
                b.attempt(.pack(tensor: tensor.name, dimension: dimension, block: factor(for: tensor.shape[dimension])))
            case "deinterleave":
                guard chance(options.deinterleave) else { break }
                let tensors = b.state.kernel.tensors.filter { $0.role != .output && ($0.shape.max() ?? 0) >= 2 }
                guard let tensor = pick(tensors) else { break }
                let dimension = pick(tensor.shape.indices.filter { tensor.shape[$0] >= 2 })!
                b.attempt(.deinterleave(tensor: tensor.name, dimension: dimension, stride: 2 + rng.next(below: min(3, tensor.shape[dimension] - 1))))
            case "rfactor":
                for stage in b.state.kernel.stages where stage.reduction != nil && chance(options.rfactor) {
                    guard let axis = pick(stage.reduction!.axes) else { continue }
                    b.attempt(.rfactor(stage: stage.name, loop: axis.name, factor: factor(for: axis.extent)))
                }
            case "cache_write":
                for stage in b.state.kernel.stages where stage.reduction != nil && chance(options.cacheWrite) {
                    b.attempt(.cacheWrite(stage: stage.name))
                }
            default:
                for stage in b.state.kernel.stages
                where stage.reduction == nil && stage.name != b.state.kernel.output.name && chance(options.computeInline) {
                    b.attempt(.computeInline(stage: stage.name))
                }
            }
        }
    }

    // MARK: Phase 2: loop structure

    private mutating func loopStructure(_ b: inout Builder) {
        for stage in shuffled(b.state.kernel.stages.map(\.name)) {
            let splits = rng.next(below: options.maxSplitsPerStage + 1)
            for _ in 0..<splits {
                guard let loop = pick(b.state.states[stage]!.loops.filter { $0.kind == .serial }) else { break }
                let levels = chance(options.multiLevelSplit) ? 2 + rng.next(below: 2) : 1
                var factors: [Int] = []
                var remaining = loop.extent
                for _ in 0..<levels {
                    let f = factor(for: remaining)
                    factors.append(f)
                    remaining = max(1, (remaining + f - 1) / f)
                }
                b.attempt(.split(stage: stage, loop: loop.name, factors: factors.reversed())) {
                    iterationBlowup($0.states[stage]!) <= options.maxIterationBlowup
                }
            }
            if chance(options.reorder) {
                let names = b.state.states[stage]!.loops.map(\.name)
                if names.count > 1 { b.attempt(.reorder(stage: stage, order: shuffled(names))) }
            }
            if chance(options.fuse) {
                let loops = b.state.states[stage]!.loops
                if loops.count > 1 {
                    let first = rng.next(below: loops.count - 1)
                    let count = min(loops.count - first, 2 + rng.next(below: 2))
                    b.attempt(.fuse(stage: stage, loops: loops[first..<(first + count)].map(\.name)))
                }
            }
        }
    }

    // MARK: Phase 3: compute locations

    private mutating func computeLocations(_ b: inout Builder) {
        // Consumers first, so a producer may land inside a consumer that is
        // itself computed inside another stage.
        for stage in b.state.kernel.stages.reversed().map(\.name) where stage != b.state.kernel.output.name {
            let p = StageName.isLocal(stage) ? options.computeAtLocal : options.computeAt
            if let (consumer, loops) = sharedAttachment(of: stage, b.state), chance(p), let loop = pick(loops) {
                b.attempt(.computeAt(stage: stage, consumer: consumer, loop: loop.name))
            }
            if chance(options.computeRoot) { b.attempt(.computeRoot(stage: stage)) }
        }
    }

    /// Where `stage` can be computed: the loops of its only reader, or of
    /// the stage its first reader is computed at, that `checkReaders` accepts.
    private func sharedAttachment(of stage: String, _ state: ScheduledKernel) -> (String, [LoopIterator])? {
        let readers = state.consumers(of: stage)
        guard let first = readers.first else { return nil }
        var candidates = [first]
        if case .at(let outer, _) = state.states[first]!.location { candidates.append(outer) }
        for consumer in candidates {
            let loops = state.states[consumer]!.loops.filter { loop in
                (try? state.checkReaders(of: stage, readers, computedAt: consumer, loop: loop.name)) != nil
            }
            if !loops.isEmpty { return (consumer, loops) }
        }
        return nil
    }

    // MARK: Phase 4: annotations

    private mutating func annotations(_ b: inout Builder) {
        for stage in shuffled(b.state.kernel.stages.map(\.name)) {
            for kind in shuffled(["parallel", "vectorize", "unroll", "unroll_max_step", "storage_order"]) {
                let loops = b.state.states[stage]!.loops
                let serial = loops.filter { $0.kind == .serial }
                switch kind {
                case "parallel":
                    guard chance(options.parallel), let loop = pick(serial.filter { !$0.isReduction }) else { break }
                    b.attempt(.parallel(stage: stage, loop: loop.name))
                case "vectorize":
                    guard chance(options.vectorize) else { break }
                    let candidates = serial.filter { !$0.isReduction && $0.extent <= options.maxVectorLanes }
                    // Usually the innermost spatial loop, as a vectorizer would.
                    let innermost = loops.last { !$0.isReduction }
                    let loop = innermost.flatMap { l in candidates.contains(l) && chance(0.6) ? l : nil } ?? pick(candidates)
                    if let loop { b.attempt(.vectorize(stage: stage, loop: loop.name)) }
                case "unroll":
                    guard chance(options.unroll), let loop = pick(serial.filter { $0.extent <= options.maxUnrollExtent }) else { break }
                    b.attempt(.unroll(stage: stage, loop: loop.name))
                case "unroll_max_step":
                    guard chance(options.unrollMaxStep) else { break }
                    b.attempt(.unrollMaxStep(stage: stage, maxStep: pick([0, 1, 2, 4, 8, 16, 64, 512])!))
                default:
                    guard chance(options.storageOrder), stage != b.state.kernel.output.name,
                          let dimensions = b.state.kernel.stage(named: stage)?.indexVariables, dimensions.count > 1 else { break }
                    b.attempt(.storageOrder(stage: stage, order: storageOrder(dimensions, vectorized: loops.first { $0.kind == .vectorized }?.name)))
                }
            }
        }
    }

    /// A random order of `dimensions`, or (half the time, when a vectorized
    /// loop comes from one of them) that dimension moved innermost, as a
    /// register tile vectorized across channels wants.
    private mutating func storageOrder(_ dimensions: [String], vectorized loop: String?) -> [String] {
        let origin = loop.flatMap { name in dimensions.first { LoopName.isSplit(name, from: $0) } }
        guard let origin, chance(0.5) else { return shuffled(dimensions) }
        return dimensions.filter { $0 != origin } + [origin]
    }

    // MARK: Budgets

    /// Drops unroll steps, last first, until the lowered nest's code fits
    /// `maxCodeSize`, and parallel steps until it enters at most
    /// `maxParallelRegions` parallel regions.
    private func withinBudgets(_ schedule: Schedule) -> Schedule {
        var schedule = schedule
        while let nest = try? lower(kernel, schedule: schedule) {
            let drop: (Step) -> Bool
            if estimatedCodeSize(nest.body) > options.maxCodeSize {
                drop = { $0.kind == "unroll" || $0.kind == "unroll_max_step" }
            } else if parallelRegionsEntered(nest.body) > options.maxParallelRegions {
                drop = { $0.kind == "parallel" }
            } else {
                break
            }
            guard let last = schedule.steps.lastIndex(where: drop) else { break }
            schedule.steps.remove(at: last)
        }
        return schedule
    }
}
