import Foundation

/// Shares a batch's trials among sketches by what each has shown (UCB1):
/// a sketch's value is the best throughput measured on it relative to the
/// best of any sketch, plus a bonus that shrinks as it gets trials, so a
/// promising sketch is exploited while a neglected one is tried again, and
/// a sketch never measured comes first. During a warm-up of
/// `warmUpTrials` per sketch, no sketch takes more than half a batch
/// while others have candidates to offer: a sketch's first bests say
/// little of what it can reach. After it, the leader may take the whole
/// batch (capped throughout, the sketches that had long fallen behind
/// kept half of every batch).
struct SketchBandit {
    /// Weight of the exploration bonus against relative throughput (0...1).
    var exploration = 0.5
    var warmUpTrials = 8

    struct Arm {
        var trials = 0
        /// Best measured throughput (1 / seconds), 0 while nothing ran.
        var best = 0.0
    }

    private(set) var arms: [Arm]

    /// The statistics of each of `sketchCount` sketches from the history (candidates the search made; errors count as trials).
    init(sketchCount: Int, history: [MeasuredCandidate]) {
        arms = Array(repeating: Arm(), count: sketchCount)
        for entry in history {
            guard let sketch = entry.candidate?.sketch, arms.indices.contains(sketch) else { continue }
            arms[sketch].trials += 1
            if let s = entry.seconds, s > 0 { arms[sketch].best = max(arms[sketch].best, 1 / s) }
        }
    }

    /// How many of `slots` trials each sketch gets, among `available`
    /// sketches (those with candidates to propose). `preference` breaks
    /// ties (higher first): the model's best score in the sketch.
    func allocate(_ slots: Int, available: [Int], preference: [Int: Float] = [:]) -> [Int: Int] {
        guard !available.isEmpty, slots > 0 else { return [:] }
        let top = arms.map(\.best).max() ?? 0
        let total = Double(arms.reduce(0) { $0 + $1.trials })
        let warmingUp = total < Double(warmUpTrials * arms.count)
        let cap = warmingUp ? max((slots + 1) / 2, (slots + available.count - 1) / available.count) : slots
        var given: [Int: Int] = [:]
        for _ in 0..<slots {
            var choice: Int?
            var choiceValue = -Double.infinity
            for sketch in available where given[sketch, default: 0] < cap {
                let arm = arms[sketch], n = arm.trials + given[sketch, default: 0]
                // Never measured: optimistic, as good as the best.
                let mean = arm.trials == 0 ? 1 : (top > 0 ? arm.best / top : 0)
                let value = n == 0 ? Double.infinity : mean + exploration * (log(total + 1) / Double(n)).squareRoot()
                let better = value > choiceValue
                    || (value == choiceValue && preference[sketch, default: -.infinity] > preference[choice!, default: -.infinity])
                if choice == nil || better { choice = sketch; choiceValue = value }
            }
            guard let chosen = choice else { break }
            given[chosen, default: 0] += 1
        }
        return given
    }
}
