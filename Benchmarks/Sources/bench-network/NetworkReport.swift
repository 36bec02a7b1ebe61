import BenchSuite
import Foundation
import Hone

/// One task's timings and what the report derives from them.
struct TaskResult {
    var task: NetworkTask
    var contenders: [(name: String, role: Contender.Role)] = []
    var timings = RowTimings(rounds: [], medians: [:], spreads: [:], disturbedRounds: 0, roundCount: 0)
    var problems: [(String, String)] = []
    var verification = ""
    var failure: String?

    init(task: NetworkTask, prepared: PreparedRow, timings: RowTimings) {
        self.task = task
        contenders = prepared.contenders.map { ($0.name, $0.role) }
        self.timings = timings
        problems = prepared.problems
        verification = prepared.verification
    }

    init(task: NetworkTask, failure: String) {
        self.task = task
        self.failure = failure
    }

    var defaultSeconds: Double? { contenders.first { $0.role == .honeDefault }.flatMap { timings.medians[$0.name] } }
    func tunedSeconds(_ scheduler: String) -> Double? { timings.medians["Hone tuned (\(scheduler))"] }
    /// What the scheduler's library runs: its tuned schedule, or the default when it has none.
    func shippedSeconds(_ scheduler: String) -> Double? { tunedSeconds(scheduler) ?? defaultSeconds }

    private func best(_ include: (String, Contender.Role) -> Bool) -> (name: String, seconds: Double)? {
        contenders.filter { include($0.name, $0.role) }.compactMap { c in timings.medians[c.name].map { (c.name, $0) } }.min { $0.1 < $1.1 }
    }
    /// oneDNN in the kernel's layout (NCHW, row-major), its reorders timed.
    var oneDNN: (name: String, seconds: Double)? { best { $0.hasPrefix("oneDNN") && $1 == .baseline } }
    /// oneDNN in whichever layout is faster (its own blocked one without the reorders).
    var oneDNNAnyLayout: (name: String, seconds: Double)? { best { n, r in n.hasPrefix("oneDNN") && (r == .baseline || r == .ownLayout) } }
    /// The fastest library in the kernel's layout (oneDNN or OpenBLAS).
    var bestLibrary: (name: String, seconds: Double)? { best { $1 == .baseline } }

    /// Whether a time this report adds up has a round spread above the limit.
    var isUnsteady: Bool {
        let names = [contenders.first { $0.role == .honeDefault }?.name, oneDNN?.name] + schedulers.map { "Hone tuned (\($0))" }
        return names.compactMap { $0 }.contains { (timings.spreads[$0] ?? 0) > spreadLimit }
    }

    var summaryLine: String {
        func ms(_ s: Double?) -> String { s.map { String(format: "%.4g ms", $0 * 1e3) } ?? "-" }
        return "\(task.label) x\(task.count) \(task.task.identity): default \(ms(defaultSeconds)), tuned "
            + schedulers.map { "\(ms(tunedSeconds($0))) (\($0))" }.joined(separator: ", ") + ", oneDNN \(ms(oneDNN?.seconds))"
            + (oneDNN == nil ? " (no oneDNN baseline)" : "")
    }
}

struct NetworkReportContext {
    var network: Network
    var cpu: String
    var llvmCPU: String
    var threads: Int
    var plan: TimingPlan
    var loadBeforeTuning: String
    var loadBefore: String
    var loadAfter: String
    var othersBefore: Double
    var othersAfter: Double
    var trialsPerTask: Int
    var timeBudget: Double
    var tuningSeconds: Double
    var seconds: Double
    var command: String
    var schedulers: [SchedulerSummary]
    var comparison: SchedulerComparison?
}

/// Sum over tasks of count x time, and the tasks that had no time.
func total(_ tasks: [TaskResult], _ seconds: (TaskResult) -> Double?) -> (seconds: Double, missing: [String]) {
    var sum = 0.0, missing: [String] = []
    for t in tasks {
        if let s = seconds(t) { sum += Double(t.task.count) * s } else { missing.append(t.task.label) }
    }
    return (sum, missing)
}

/// The estimated end-to-end latencies, as lines of (name, seconds, missing tasks).
func totals(_ tasks: [TaskResult]) -> [(String, Double, [String])] {
    var lines: [(String, Double, [String])] = []
    for scheduler in schedulers {
        let t = total(tasks) { $0.shippedSeconds(scheduler) }
        lines.append(("Hone tuned (\(scheduler) scheduler)", t.seconds, t.missing))
    }
    let d = total(tasks) { $0.defaultSeconds }
    lines.append(("Hone default schedules", d.seconds, d.missing))
    let o = total(tasks) { $0.oneDNN?.seconds }
    lines.append(("oneDNN (NCHW)", o.seconds, o.missing))
    let any = total(tasks) { $0.oneDNNAnyLayout?.seconds }
    lines.append(("oneDNN (its own layout where faster, reorders untimed)", any.seconds, any.missing))
    let best = total(tasks) { $0.bestLibrary?.seconds }
    lines.append(("best library per task (NCHW)", best.seconds, best.missing))
    return lines
}

private func ms(_ s: Double?) -> String {
    guard let s else { return "—" }
    return s >= 0.001 ? String(format: "%.3f ms", s * 1e3) : String(format: "%.1f µs", s * 1e6)
}

func totalsText(_ tasks: [TaskResult], _ context: NetworkReportContext) -> String {
    var out = "estimated end-to-end latency of \(context.network.name) (sum over tasks of count x median):\n"
    for (name, seconds, missing) in totals(tasks) {
        out += "  \(name): \(ms(seconds))" + (missing.isEmpty ? "" : " (without \(missing.joined(separator: ", ")): no time)") + "\n"
    }
    if let c = context.comparison {
        out += String(format: "  at %d trials: gradient %@, round-robin %@; the gradient scheduler reached round-robin's latency in %@\n",
                      c.budget, ms(c.gradientLatency), ms(c.roundRobinLatency),
                      c.gradientTrialsToReach.map { String(format: "%d trials (%.0f%%)", $0, 100 * Double($0) / Double(c.budget)) } ?? "no trial of the budget")
    }
    return out
}

func networkReport(_ tasks: [TaskResult], _ context: NetworkReportContext) -> String {
    let net = context.network
    var out = "# \(net.name) end to end: Hone against oneDNN\n\n"
    out += "\(context.cpu) (LLVM target `\(context.llvmCPU)`), \(context.threads) threads. "
    out += "Load averages: \(context.loadBeforeTuning) before tuning, \(context.loadBefore) before timing, \(context.loadAfter) after. "
    out += String(format: "Other processes used %.0f%% of the CPU time before timing and %.0f%% after. ", context.othersBefore * 100, context.othersAfter * 100)
    out += String(format: "Tuning took %.0f s, the whole run %.0f s.", context.tuningSeconds, context.seconds)
    let disturbed = tasks.reduce(0) { $0 + $1.timings.disturbedRounds }, rounds = tasks.reduce(0) { $0 + $1.timings.roundCount }
    out += String(format: " %d of %d rounds were disturbed (others above %.0f%% of the CPU time).", disturbed, rounds, context.plan.disturbedShare * 100)
    if disturbed * 2 > rounds { out += " **The machine was busy: treat these times as noise.**" }
    out += "\n\n"
    if !net.summary.isEmpty { out += net.summary.split(separator: "\n").map { "> " + $0 }.joined(separator: "\n") + "\n\n" }
    out += "Each scheduler tuned the network from its own records file (resumed) up to \(context.trialsPerTask) trials per task on average "
    out += "(\(context.trialsPerTask * net.tasks.count) in all) or \(Int(context.timeBudget)) s. Every contender was then timed alternately, "
    out += "\(context.plan.rounds) rounds, " + (context.plan.isolated ? "each timing in a process of its own" : "all in one process")
    out += String(format: ", each timing at least %.0f ms of calls; the tables give medians. ", context.plan.minimumSeconds * 1e3)
    out += "A task's tuned time is that of the schedule its scheduler's library ships (the default where nothing was measured). "
    out += String(format: "⚠ marks a task where a time added up below has a round spread above %.0f%%.\n\n", spreadLimit * 100)

    out += "## Estimated end-to-end latency\n\nSum over tasks of count × median time.\n\n| what | latency | vs oneDNN (NCHW) |\n|---|---|---|\n"
    let lines = totals(tasks)
    let oneDNN = lines.first { $0.0 == "oneDNN (NCHW)" }
    for (name, seconds, missing) in lines {
        let ratio = oneDNN.map { String(format: "%.2fx", $0.1 / seconds) } ?? "—"
        out += "| \(name) | \(ms(seconds))" + (missing.isEmpty ? "" : " (no time for \(missing.joined(separator: ", ")))") + " | \(ratio) |\n"
    }
    out += "\n\"vs oneDNN\" is oneDNN's latency over the line's (above 1: faster than oneDNN).\n"
    let uncovered = tasks.filter { $0.oneDNN == nil }.map(\.task.label)
    out += uncovered.isEmpty ? "Every task has a oneDNN baseline.\n" : "Tasks without a oneDNN baseline (left out of its sum): \(uncovered.joined(separator: ", ")).\n"

    out += "\n## Tasks\n\n| task | kernel | count | FLOPs | default | "
    out += schedulers.map { "tuned (\($0))" }.joined(separator: " | ") + " | oneDNN (NCHW) | oneDNN own layout | best library | tuned / oneDNN | "
    out += schedulers.map { "trials (\($0))" }.joined(separator: " | ") + " | trials/s (\(schedulers[0])) |\n|" + String(repeating: "---|", count: 10 + 2 * schedulers.count) + "\n"
    for (i, t) in tasks.enumerated() {
        let flops = Double(KernelCost(t.task.kernel).flops)
        let tuned = schedulers.map { ms(t.tunedSeconds($0)) }.joined(separator: " | ")
        let ratio = t.oneDNN.flatMap { o in t.shippedSeconds(schedulers[0]).map { String(format: "%.2f", o.seconds / $0) } } ?? "—"
        let shares = context.schedulers.map { s in
            let n = s.trialsPerTask[i]
            return s.trials > 0 ? String(format: "%d (%.0f%%)", n, 100 * Double(n) / Double(s.trials)) : "0"
        }.joined(separator: " | ")
        let own = t.contenders.contains { $0.role == .ownLayout } ? ms(t.oneDNNAnyLayout?.seconds) : "—"
        out += "| \(t.task.label)\(t.isUnsteady ? " ⚠" : "") | `\(t.task.task.identity)` | \(t.task.count) | \(String(format: "%.1f M", flops / 1e6)) | "
        out += "\(ms(t.defaultSeconds)) | \(tuned) | \(ms(t.oneDNN?.seconds)) | \(own) | "
        let rate = context.schedulers.first?.trialsPerSecond(i).map { String(format: "%.2f", $0) } ?? "—"
        out += "\(t.bestLibrary.map { "\(ms($0.seconds)) (\($0.name))" } ?? "none") | \(ratio) | \(shares) | \(rate) |\n"
    }
    out += "\n\"tuned / oneDNN\" is oneDNN's time over the \(schedulers[0]) scheduler's shipped schedule (above 1: Hone is faster).\n"

    out += "\n## The gradient scheduler against round-robin\n\n"
    for s in context.schedulers {
        out += "- **\(s.scheduler)**: \(s.trials) trials in its records; "
        out += s.finalLatency.map { "estimated latency at the end \(ms($0)) (the search's own medians)" } ?? "no estimate (some task has no time)"
        out += ". Curve: " + curveSummary(s) + "\n"
    }
    if let c = context.comparison {
        out += String(format: "\nAt the same budget of %d trials (the trials both reached): gradient %@, round-robin %@. ", c.budget, ms(c.gradientLatency), ms(c.roundRobinLatency))
        out += c.gradientTrialsToReach.map { String(format: "The gradient scheduler reached round-robin's latency after **%d trials, %.0f%% of them**.", $0, 100 * Double($0) / Double(c.budget)) }
            ?? "The gradient scheduler did not reach round-robin's latency within them."
        out += " Curves: `curve-gradient.svg`, `curve-round-robin.svg` (latency against trials and seconds).\n"
    } else {
        out += "\nNo comparison: a scheduler's records do not yet time every task.\n"
    }

    out += "\n## Spread and checks\n\n"
    for t in tasks {
        if let failure = t.failure { out += "- **\(t.task.label)**: not timed: \(failure)\n"; continue }
        let spreads = t.contenders.compactMap { c in t.timings.spreads[c.name].map { String(format: "%@ %.0f%%", c.name, $0 * 100) } }
        out += "- **\(t.task.label)**: default schedule \(t.verification). Round spread: \(spreads.joined(separator: ", "))."
        if !t.timings.unsteady.isEmpty { out += " **Unsteady: \(t.timings.unsteady.joined(separator: ", ")).**" }
        if t.timings.disturbedRounds > 0 { out += " \(t.timings.disturbedRounds) disturbed rounds." }
        for (name, problem) in t.problems { out += " *\(name)*: \(problem)." }
        out += "\n"
    }
    out += "\n## Command\n\n```sh\n\(context.command)\n```\n"
    return out
}

/// The latency at a few trial counts: "64: 12.3 ms, 128: 9.8 ms, ...".
private func curveSummary(_ s: SchedulerSummary) -> String {
    guard let last = s.curve.last?.trial else { return "—" }
    var marks: [Int] = []
    var m = s.curve.first!.trial
    while m < last { marks.append(m); m *= 2 }
    marks.append(last)
    return marks.compactMap { t in s.latency(atTrial: t).map { "\(t): \(ms($0))" } }.joined(separator: ", ")
}

func networkJSON(_ tasks: [TaskResult], _ context: NetworkReportContext) throws -> Data {
    func optional(_ v: Double?) -> Any { v ?? NSNull() }
    let taskObjects: [[String: Any]] = tasks.enumerated().map { i, t in
        var seconds: [String: Any] = ["default": optional(t.defaultSeconds), "onednn": optional(t.oneDNN?.seconds),
                                      "onednn_any_layout": optional(t.oneDNNAnyLayout?.seconds), "best_library": optional(t.bestLibrary?.seconds)]
        for s in schedulers { seconds["tuned_\(s)"] = optional(t.tunedSeconds(s)) }
        return ["label": t.task.label, "kernel": t.task.task.identity.description, "count": t.task.count,
                "flops": KernelCost(t.task.kernel).flops, "seconds": seconds,
                "spreads": Dictionary(uniqueKeysWithValues: t.timings.spreads.map { ($0.key, $0.value) }),
                "unsteady": t.isUnsteady, "failure": t.failure ?? NSNull(),
                "trials": Dictionary(uniqueKeysWithValues: context.schedulers.map { ($0.scheduler, $0.trialsPerTask[i]) }),
                "tuning_seconds": Dictionary(uniqueKeysWithValues: context.schedulers.map { ($0.scheduler, $0.secondsPerTask[i]) })]
    }
    var object: [String: Any] = [
        "network": context.network.name, "cpu": context.cpu, "llvm_cpu": context.llvmCPU, "threads": context.threads,
        "load": ["before_tuning": context.loadBeforeTuning, "before_timing": context.loadBefore, "after": context.loadAfter],
        "rounds": context.plan.rounds, "isolated": context.plan.isolated, "trials_per_task": context.trialsPerTask,
        "tasks": taskObjects,
        "totals": Dictionary(uniqueKeysWithValues: totals(tasks).map { ($0.0, ["seconds": $0.1, "missing": $0.2] as [String: Any]) }),
        "curves": Dictionary(uniqueKeysWithValues: context.schedulers.map { s in (s.scheduler, s.curve.map { [$0.trial, $0.seconds, $0.latency] as [Any] }) }),
    ]
    if let c = context.comparison {
        object["comparison"] = ["budget": c.budget, "gradient": c.gradientLatency, "round_robin": c.roundRobinLatency,
                                "gradient_trials_to_reach_round_robin": c.gradientTrialsToReach ?? NSNull()] as [String: Any]
    }
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
}
