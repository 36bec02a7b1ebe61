import Foundation
import Testing
import Hone

/// A task whose best latency after r rounds is known: from `start` down to
/// `floor`, closing the gap by a factor e every `tau` rounds.
private struct PlantedTask {
    var weight: Double
    var start: Double
    var floor: Double
    var tau: Double
    var group = "g"
    var flops = 1e6

    func best(afterRounds r: Int) -> Double { floor + (start - floor) * exp(-Double(r) / tau) }
}

/// Runs `rounds` rounds of `scheduler` on the planted tasks; returns the
/// picks and the objective (sum of weight x best) after each round.
private func simulate(_ tasks: [PlantedTask], _ scheduler: inout some TaskScheduler, rounds: Int) -> (picks: [Int], objective: [Double]) {
    var states = tasks.map { TaskState(weight: $0.weight, flops: $0.flops, group: $0.group) }
    var picks: [Int] = [], objective: [Double] = []
    for _ in 0..<rounds {
        guard let i = scheduler.next(states) else { break }
        picks.append(i)
        states[i].history.append(tasks[i].best(afterRounds: states[i].rounds + 1))
        objective.append(zip(tasks, states).reduce(0.0) { total, pair in
            total + pair.0.weight * (pair.1.best.isFinite ? pair.1.best : pair.0.start)
        })
    }
    return (picks, objective)
}

/// Two tasks with much to gain among four that are already near their best.
private let network: [PlantedTask] = [
    PlantedTask(weight: 2, start: 8e-3, floor: 1e-3, tau: 6),
    PlantedTask(weight: 1, start: 0.5e-3, floor: 0.45e-3, tau: 3),
    PlantedTask(weight: 4, start: 3e-3, floor: 0.5e-3, tau: 8),
    PlantedTask(weight: 1, start: 0.2e-3, floor: 0.19e-3, tau: 2),
    PlantedTask(weight: 1, start: 0.3e-3, floor: 0.29e-3, tau: 2),
    PlantedTask(weight: 3, start: 0.1e-3, floor: 0.09e-3, tau: 4),
]

@Suite struct TaskSchedulerTests {
    @Test func roundRobinTakesTurns() {
        var scheduler = RoundRobinTaskScheduler()
        let (picks, _) = simulate(network, &scheduler, rounds: 13)
        #expect(picks == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0])
    }

    @Test func gradientWarmsUpInTurnThenIsDeterministicPerSeed() {
        var a = GradientTaskScheduler(seed: 7), b = GradientTaskScheduler(seed: 7)
        let first = simulate(network, &a, rounds: 80).picks
        #expect(Array(first.prefix(network.count)) == Array(network.indices))
        #expect(simulate(network, &b, rounds: 80).picks == first)
        var c = GradientTaskScheduler(seed: 8)
        c.epsilon = 0.5
        var d = GradientTaskScheduler(seed: 8)
        d.epsilon = 0.5
        #expect(simulate(network, &c, rounds: 80).picks == simulate(network, &d, rounds: 80).picks)
    }

    @Test func neverStarvesATask() {
        for seed in UInt64(1)...5 {
            var scheduler = GradientTaskScheduler(seed: seed)
            scheduler.epsilon = 0
            let (picks, _) = simulate(network, &scheduler, rounds: 120)
            for i in network.indices {
                #expect(picks.filter { $0 == i }.count >= 3, "seed \(seed): task \(i) got \(picks.filter { $0 == i }.count) of 120 rounds")
            }
        }
    }

    @Test func givesMoreRoundsToTheLargerExpectedGain() {
        // Three operators (no similar tasks): one with 9 ms to gain, two with 0.1 ms or less.
        let tasks = [
            PlantedTask(weight: 1, start: 1e-3, floor: 0.95e-3, tau: 4, group: "a"),
            PlantedTask(weight: 1, start: 10e-3, floor: 1e-3, tau: 6, group: "b"),
            PlantedTask(weight: 1, start: 2e-3, floor: 1.9e-3, tau: 4, group: "c"),
        ]
        var scheduler = GradientTaskScheduler(seed: 1)
        let (picks, _) = simulate(tasks, &scheduler, rounds: 30)
        let counts = tasks.indices.map { i in picks.filter { $0 == i }.count }
        #expect(counts[1] > max(counts[0], counts[2]), "\(counts)")
        // Weight counts too: the same curves, the first task running 20 times per inference.
        var weighted = tasks
        weighted[0].weight = 40
        weighted[0].start = 2e-3
        weighted[0].floor = 0.5e-3
        var again = GradientTaskScheduler(seed: 1)
        let picks2 = simulate(weighted, &again, rounds: 30).picks
        #expect(picks2.filter { $0 == 0 }.count > picks2.filter { $0 == 1 }.count, "\(tasks.indices.map { i in picks2.filter { $0 == i }.count })")
    }

    @Test func similarTasksRaiseTheExpectedGain() {
        // Two tasks of one operator: the slow one is 10x below its twin's throughput.
        let tasks = [
            TaskState(weight: 1, flops: 1e6, group: "conv", history: [1e-3, 1e-3, 1e-3, 1e-3, 1e-3]),
            TaskState(weight: 1, flops: 1e6, group: "conv", history: [1e-4, 1e-4, 1e-4, 1e-4, 1e-4]),
            TaskState(weight: 1, flops: 1e6, group: "gemm", history: [1e-3, 1e-3, 1e-3, 1e-3, 1e-3]),
        ]
        let scheduler = GradientTaskScheduler(seed: 1)
        #expect(scheduler.gradient(of: 0, in: tasks) < scheduler.gradient(of: 2, in: tasks))
    }

    @Test func gradientReachesRoundRobinsFinalLatencyInFewerRounds() {
        let budget = 60
        var roundRobin = RoundRobinTaskScheduler()
        let target = simulate(network, &roundRobin, rounds: budget).objective.last!
        for seed in UInt64(1)...5 {
            var gradient = GradientTaskScheduler(seed: seed)
            let objective = simulate(network, &gradient, rounds: budget).objective
            let reached = objective.firstIndex { $0 <= target }.map { $0 + 1 }
            #expect(reached.map { $0 <= budget * 6 / 10 } ?? false, "seed \(seed): reached round-robin's \(target) after \(reached.map(String.init) ?? "never") of \(budget) rounds")
        }
    }

    @Test func exhaustedTasksAreNotPicked() {
        var states = network.map { TaskState(weight: $0.weight, flops: $0.flops, group: $0.group, history: [$0.start]) }
        for i in states.indices where i != 3 { states[i].isExhausted = true }
        var gradient = GradientTaskScheduler(seed: 1)
        var roundRobin = RoundRobinTaskScheduler()
        #expect(gradient.next(states) == 3)
        #expect(roundRobin.next(states) == 3)
        states[3].isExhausted = true
        #expect(gradient.next(states) == nil)
        #expect(roundRobin.next(states) == nil)
    }
}
