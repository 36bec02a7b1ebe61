import HoneIR
import HoneSchedule

/// The schedules a search explores for one kernel: its sketches, and how
/// their decisions are sampled and mutated (Ansor's random annotation and
/// evolutionary mutations).
public struct SearchSpace: Sendable {
    public let kernel: Kernel
    public let sketches: [Sketch]
    /// Sketches a rule could not build for this kernel (a bug in the rules).
    public let droppedSketches: [SketchRuleFailure]
    /// f32 lanes of the host's widest vector registers (16 with AVX-512, 8 with AVX2).
    public let vectorLanes: Int
    /// Threads parallel loops run on: parallel loops aim at 16 tasks per thread or more.
    public let threads: Int

    public init(kernel: Kernel, vectorLanes: Int = 8, threads: Int = 1) {
        self.kernel = kernel
        self.vectorLanes = max(1, vectorLanes)
        self.threads = max(1, threads)
        let generated = SketchRules.sketches(for: kernel)
        sketches = generated.sketches
        droppedSketches = generated.dropped
        isSmall = KernelCost(kernel).flops < 1 << 20
    }

    /// Under a million floating-point operations.
    let isSmall: Bool

    /// The steps of a candidate.
    public func schedule(for candidate: Candidate) -> Schedule {
        sketches[candidate.sketch].schedule(candidate.decisions)
    }

    /// Whether a candidate has the shape its sketch expects (for candidates read back from records).
    public func isWellFormed(_ candidate: Candidate) -> Bool {
        guard sketches.indices.contains(candidate.sketch) else { return false }
        let kinds = sketches[candidate.sketch].decisions
        guard kinds.count == candidate.decisions.count else { return false }
        return zip(kinds, candidate.decisions).allSatisfy { kind, value in Self.accepts(kind, value) }
    }

    static func accepts(_ kind: DecisionKind, _ value: [Int]) -> Bool {
        switch kind {
        case .tile(_, _, _, let levels, let vector):
            return value.count == levels && value.allSatisfy { $0 >= 1 } && (!vector || value.last! <= 64)
        case .location(_, let options): return value.count == 1 && options.indices.contains(value[0])
        case .unroll: return value.count == 1 && DecisionKind.unrollSteps.indices.contains(value[0])
        case .parallel(_, let loops): return value.count == 1 && (0...loops.count).contains(value[0])
        case .rfactor(_, _, let extent): return value.count == 1 && value[0] >= 1 && value[0] <= max(extent, 1)
        }
    }

    // MARK: Sampling

    /// A random candidate: a sketch chosen uniformly, then its decisions
    /// (tiles first, since the parallel depth depends on them). This is the
    /// search's only sampler; `RandomScheduleGenerator` (HoneSchedule)
    /// draws from the whole step language instead, to fuzz lowering.
    public func sample(_ rng: inout SplitMix64) -> Candidate {
        sample(sketch: rng.next(below: sketches.count), &rng)
    }

    /// A random candidate of one sketch.
    func sample(sketch index: Int, _ rng: inout SplitMix64) -> Candidate {
        let kinds = sketches[index].decisions
        var decisions = [[Int]](repeating: [], count: kinds.count)
        for (i, kind) in kinds.enumerated() {
            if case .parallel = kind { continue }
            decisions[i] = sampleDecision(kind, &rng)
        }
        for (i, kind) in kinds.enumerated() {
            if case .parallel(_, let loops) = kind { decisions[i] = [parallelDepth(loops, decisions, &rng)] }
        }
        return Candidate(sketch: index, decisions: decisions)
    }

    func sampleDecision(_ kind: DecisionKind, _ rng: inout SplitMix64) -> [Int] {
        switch kind {
        case .tile(_, _, let extent, let levels, let vector):
            var factors = [Int](repeating: 1, count: levels)
            var remaining = extent
            for level in (0..<levels).reversed() {
                let f = factor(remaining, innermost: level == levels - 1, levels: levels, vector: vector, &rng)
                factors[level] = f
                remaining = (remaining + f - 1) / f
            }
            return factors
        case .location(_, let options): return [rng.next(below: options.count)]
        case .unroll: return [rng.next(below: DecisionKind.unrollSteps.count)]
        case .parallel(_, let loops): return [rng.next(below: loops.count + 1)]
        case .rfactor(_, _, let extent):
            let lanes = [vectorLanes, 2 * vectorLanes, 4 * vectorLanes].filter { $0 <= extent }
            let divisors = Self.divisors(extent).filter { $0 > 1 && $0 <= 64 }
            return [pick(lanes.isEmpty ? (divisors.isEmpty ? [extent] : divisors) : lanes + divisors, &rng)]
        }
    }

    /// Ansor's rule: fuse outer loops until there are 16 tasks per thread;
    /// sometimes another depth, so the mutation has somewhere to start.
    func parallelDepth(_ loops: [OuterLoop], _ decisions: [[Int]], _ rng: inout SplitMix64) -> Int {
        if loops.isEmpty { return 0 }
        if rng.next(below: 10) < 2 { return rng.next(below: loops.count + 1) }
        // Waking the thread team costs microseconds: small kernels mostly stay serial.
        if isSmall && rng.next(below: 10) < 8 { return 0 }
        var tasks = 1
        for (i, loop) in loops.enumerated() {
            let tile = decisions[tile: loop.tileSlot].reduce(1, *)
            tasks *= (loop.extent + tile - 1) / max(tile, 1)
            if tasks >= 16 * threads { return i + 1 }
        }
        return loops.count
    }

    /// A tile factor for a loop with `remaining` iterations left: divisors
    /// and powers of two (Hone's splits need not divide); the vector level
    /// prefers multiples of the vector width, up to 64 lanes.
    func factor(_ remaining: Int, innermost: Bool, levels: Int, vector: Bool, _ rng: inout SplitMix64) -> Int {
        let remaining = max(remaining, 1)
        var options = Set(Self.divisors(remaining))
        var p = 2
        while p < remaining { options.insert(p); p *= 2 }
        if innermost && vector {
            let lanes = stride(from: vectorLanes, through: min(64, max(remaining, vectorLanes)), by: vectorLanes)
            let wide = Array(lanes)
            if !wide.isEmpty && rng.next(below: 2) == 0 { return pick(wide, &rng) }
            options = options.filter { $0 <= 64 }
        } else if innermost && levels > 1 {
            options = options.filter { $0 <= 16 }  // register tile rows
        }
        return pick(options.sorted(), &rng)
    }

    static func divisors(_ n: Int) -> [Int] {
        guard n > 0 else { return [1] }
        var small: [Int] = [], large: [Int] = []
        var d = 1
        while d * d <= n {
            if n % d == 0 {
                small.append(d)
                if d != n / d { large.append(n / d) }
            }
            d += 1
        }
        return small + large.reversed()
    }

    func pick(_ options: [Int], _ rng: inout SplitMix64) -> Int { options.isEmpty ? 1 : options[rng.next(below: options.count)] }
}
