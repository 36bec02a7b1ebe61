import HoneIR

/// What a task scheduler knows of one task: how much it weighs in the
/// network and how its best latency went, round after round. No timings
/// are taken here; the caller tunes and reports.
public struct TaskState: Hashable, Sendable {
    /// How many times the task runs in one inference (its weight in the objective).
    public var weight: Double
    /// FLOPs of one run.
    public var flops: Double
    /// Tasks of one group are the same operator at other shapes: the best
    /// throughput among them is what this one may hope for.
    public var group: String
    /// The task's best latency in seconds after each round it was given,
    /// oldest first (`.infinity` while nothing has run).
    public var history: [Double]
    /// The task cannot propose a new candidate (its space is spent): never picked again.
    public var isExhausted: Bool

    public init(weight: Double, flops: Double, group: String, history: [Double] = [], isExhausted: Bool = false) {
        self.weight = weight
        self.flops = flops
        self.group = group
        self.history = history
        self.isExhausted = isExhausted
    }

    public var rounds: Int { history.count }
    public var best: Double { history.last ?? .infinity }
}

/// Picks the task that gets the next round of trials. The objective is the
/// network's estimated latency, the sum over tasks of weight x best latency.
public protocol TaskScheduler {
    /// The index of the next task, or nil when every task is exhausted.
    mutating func next(_ tasks: [TaskState]) -> Int?
}

/// Which scheduler, as a command chooses it.
public enum TaskSchedulerKind: String, CaseIterable, Sendable {
    case gradient
    case roundRobin = "round-robin"

    public func make(seed: UInt64) -> any TaskScheduler {
        switch self {
        case .gradient: GradientTaskScheduler(seed: seed)
        case .roundRobin: RoundRobinTaskScheduler()
        }
    }
}

/// Every task in turn: the one with the fewest rounds, the first on a tie.
/// The ablation baseline.
public struct RoundRobinTaskScheduler: TaskScheduler {
    public init() {}

    public mutating func next(_ tasks: [TaskState]) -> Int? {
        tasks.indices.filter { !tasks[$0].isExhausted }.min { tasks[$0].rounds < tasks[$1].rounds }
    }
}

/// Ansor's task scheduler (Zheng et al., OSDI 2020, section 6): after a
/// round-robin warm-up that gives every task one round, the next round goes
/// to the task whose next round is expected to remove the most weighted
/// latency. For task i with best latency g_i after t_i rounds:
///
///     backward  = (g_i(t_i) - g_i(t_i - w)) / w              (0 before w + 1 rounds)
///     forward   = min(g_i - g_i / t_i,  beta * flops_i / best throughput of its group) - g_i
///     gradient  = weight_i * (alpha * backward + (1 - alpha) * forward)
///
/// and the task with the most negative gradient wins. The first forward
/// guess is optimistic (the next round gains what one round gained on
/// average); the second says a task far below the throughput its
/// similar tasks reach has much to gain (used only when the group has
/// another task that ran). With probability `epsilon` a random task is
/// picked instead, so a task misjudged by both guesses is still revisited.
///
/// One addition to Ansor: the similarity guess does not fade with rounds,
/// so a task far below its group's best throughput (a shape that simply
/// runs slower) can look promising forever and starve the others. No task
/// waits more than `patience` x the number of live tasks rounds: the
/// longest-waiting one past that goes next. Deterministic for a seed.
public struct GradientTaskScheduler: TaskScheduler {
    public var alpha = 0.2
    public var beta = 2.0
    public var backwardWindow = 3
    public var epsilon = 0.05
    public var patience = 5
    private var rng: SplitMix64
    private var round = 0
    /// The round each task was last picked (by index; grows as tasks are seen).
    private var lastPicked: [Int] = []

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    public mutating func next(_ tasks: [TaskState]) -> Int? {
        let live = tasks.indices.filter { !tasks[$0].isExhausted }
        guard !live.isEmpty else { return nil }
        if lastPicked.count < tasks.count { lastPicked += Array(repeating: round, count: tasks.count - lastPicked.count) }
        let chosen = choose(live, tasks)
        round += 1
        lastPicked[chosen] = round
        return chosen
    }

    private mutating func choose(_ live: [Int], _ tasks: [TaskState]) -> Int {
        // Warm-up: every task once, in order.
        if let fresh = live.first(where: { tasks[$0].rounds == 0 }) { return fresh }
        // Drawn every time, so the sequence of picks depends only on the seed and the states.
        let draw = Double.random(in: 0..<1, using: &rng)
        let pick = Int.random(in: 0..<live.count, using: &rng)
        let longestWaiting = live.min { lastPicked[$0] < lastPicked[$1] }!
        if round - lastPicked[longestWaiting] >= patience * live.count { return longestWaiting }
        if draw < epsilon { return live[pick] }
        let gradients = live.map { gradient(of: $0, in: tasks) }
        return live[gradients.indices.min { gradients[$0] < gradients[$1] }!]
    }

    /// The expected change of the objective from one more round of task `i` (negative: a gain).
    public func gradient(of i: Int, in tasks: [TaskState]) -> Double {
        let task = tasks[i]
        guard task.best.isFinite else { return -Double.greatestFiniteMagnitude }  // nothing ran yet: try it
        let t = task.rounds
        var backward = 0.0
        if t > backwardWindow {
            let before = task.history[t - 1 - backwardWindow]
            backward = before.isFinite ? (task.best - before) / Double(backwardWindow) : 0
        }
        var guess = task.best - task.best / Double(t)
        let similar = tasks.indices.filter { $0 != i && tasks[$0].group == task.group && tasks[$0].best.isFinite }
        if !similar.isEmpty {
            let throughput = (similar + [i]).map { tasks[$0].flops / tasks[$0].best }.max()!
            guess = min(guess, beta * task.flops / throughput)
        }
        let forward = guess - task.best
        return task.weight * (alpha * backward + (1 - alpha) * forward)
    }
}
