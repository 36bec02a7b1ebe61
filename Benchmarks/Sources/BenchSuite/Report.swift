import BenchCeiling
import Foundation
import Hone

/// Everything the report states besides the rows.
public struct ReportContext {
    public var date: String
    public var cpu: String
    public var llvmCPU: String
    public var threads: Int
    public var peaks: MachinePeaks
    public var othersBefore: Double
    public var othersAfter: Double
    public var loadBefore: String
    public var loadAfter: String
    public var plan: TimingPlan
    public var versions: [(String, String)]
    public var commands: [String]
    public var suite: String
    public var seconds: Double
    /// The previous run on the same CPU and the regressions against it.
    public var previousRun: (name: String, regressions: [Regression])?

    public init(date: String, cpu: String, llvmCPU: String, threads: Int, peaks: MachinePeaks, othersBefore: Double, othersAfter: Double,
                loadBefore: String, loadAfter: String, plan: TimingPlan, versions: [(String, String)], commands: [String], suite: String, seconds: Double) {
        self.date = date; self.cpu = cpu; self.llvmCPU = llvmCPU; self.threads = threads; self.peaks = peaks
        self.othersBefore = othersBefore; self.othersAfter = othersAfter; self.loadBefore = loadBefore; self.loadAfter = loadAfter
        self.plan = plan; self.versions = versions; self.commands = commands; self.suite = suite; self.seconds = seconds
    }
}

func ms(_ s: Double?) -> String {
    guard let s else { return "—" }
    return s >= 0.1 ? String(format: "%.0f ms", s * 1e3) : s >= 0.001 ? String(format: "%.2f ms", s * 1e3) : String(format: "%.1f µs", s * 1e6)
}

private func rate(_ flops: Int, _ s: Double?) -> String {
    guard let s, flops > 0 else { return "" }
    return String(format: " (%.1f GFLOP/s)", Double(flops) / s / 1e9)
}

private func flopsText(_ flops: Int) -> String {
    flops >= 1_000_000_000 ? String(format: "%.2f G", Double(flops) / 1e9) : String(format: "%.1f M", Double(flops) / 1e6)
}

/// The report as Markdown.
public func markdownReport(_ results: [RowResult], _ context: ReportContext) -> String {
    var out = "# Hone benchmark suite: \(context.date)\n\n"
    out += "\(context.cpu) (LLVM target `\(context.llvmCPU)`), \(context.threads) threads. "
    out += String(format: "Measured peak: %.1f GFLOP/s (%d-lane FMAs on %d threads), DRAM triad %.1f GB/s.\n\n",
                  context.peaks.flopsPerSecond / 1e9, context.peaks.vectorLanes, context.peaks.threads, context.peaks.bytesPerSecond / 1e9)
    out += String(format: "Machine load: other processes used %.0f%% of the CPU time before the run and %.0f%% after it", context.othersBefore * 100, context.othersAfter * 100)
    out += " (`uptime` load averages: \(context.loadBefore) before, \(context.loadAfter) after). "
    let disturbed = results.reduce(0) { $0 + $1.timings.disturbedRounds }, rounds = results.reduce(0) { $0 + $1.timings.roundCount }
    out += String(format: "%d of %d rounds were disturbed (others above %.0f%% of the CPU time); they are left out of a row's medians "
                  + "when at least half of its rounds were quiet. ", disturbed, rounds, context.plan.disturbedShare * 100)
    if disturbed * 2 > rounds { out += "**The machine was busy: treat these figures as noise.** " }
    out += String(format: "Suite: %@, %d rows, %.0f s.\n\n", context.suite, results.count, context.seconds)
    out += "Every contender is timed alternately with the others, \(context.plan.rounds) rounds, "
    out += context.plan.isolated ? "each timing in a process of its own (after a warm-up of a fifth of the time), " : "all in this one process, "
    out += String(format: "each timing at least %.0f ms of back-to-back calls; the table gives medians. ", context.plan.minimumSeconds * 1e3)
    out += "**Tuned / best** is the best same-layout baseline's time over the tuned schedule's (above 1: Hone is faster); "
    out += String(format: "⚠ unsteady marks a row where either's round spread (max − min over median) is above %.0f%%: its ratio is left out of the geometric means below. ", spreadLimit * 100)
    out += "Baselines take and return the kernel's layout (NCHW, row-major); oneDNN in its own blocked layout is listed apart. "
    out += "**Roofline** is the tuned (else best Hone) schedule's share of the measured peak, or of the DRAM bandwidth for kernels whose "
    out += "arithmetic intensity is below the machine's balance. **FLOPs** are the kernel's own count, except for transposed "
    out += "convolutions (2·C·F·K²·H·W, the work the libraries do).\n\n"

    out += "**Ceiling** is the best schedule known for the row on this CPU, with **ceiling / best library** and **tuned / ceiling** "
    out += "(section Ceilings below).\n\n"

    let cpu = fileNameSlug(context.llvmCPU)
    out += "| row | kernel and shape | FLOPs | default | hand | tuned | best baseline | tuned / best | ceiling | ceiling / best library | tuned / ceiling "
    out += "| oneDNN own layout | roofline | trials | tuning | trials/s |\n"
    out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    for r in results {
        let shape = "`\(r.row.kernel)` \(r.row.setArgument)"
        let tunedText: String
        switch r.tuned {
        case .notTuned: tunedText = "not tuned"
        case .invalid: tunedText = "invalid (see notes)"
        case .tuned:
            let gflops = r.tunedSeconds.map { String(format: "%.1f GFLOP/s", Double(r.flops) / $0 / 1e9) }
            let speedup = r.tunedSeconds.flatMap { t in r.defaultSeconds.map { String(format: "%.1fx default", $0 / t) } }
            tunedText = ms(r.tunedSeconds) + " (" + [gflops, speedup].compactMap { $0 }.joined(separator: ", ") + ")"
        }
        let baseline = r.bestBaseline.map { "\(ms($0.seconds))\(rate(r.flops, $0.seconds)) \($0.name)" } ?? "none"
        let ratio = r.tunedOverBaseline.map { String(format: "**%.2f**", $0) + (r.isUnsteady ? " ⚠ unsteady" : "") } ?? "—"
        let own = r.bestOwnLayout.map { b in ms(b.seconds) + (r.tunedSeconds.map { String(format: " (tuned / it: %.2f)", b.seconds / $0) } ?? "") } ?? "—"
        let honeBest = r.tunedSeconds ?? [r.handSeconds, r.defaultSeconds].compactMap { $0 }.min()
        let roofline = honeBest.map { s in
            let (fraction, kind) = r.rooflineFraction(s, context.peaks)
            return String(format: "%.0f%% of %@", fraction * 100, kind)
        } ?? "—"
        let trials = r.tuning.map { "\($0.trials)" } ?? "—"
        let tuningTime = r.tuning.map { String(format: "%.0f s", $0.seconds) } ?? "—"
        let perSecond = r.tuning?.trialsPerSecond.map { String(format: "%.2f", $0) } ?? "—"
        out += "| \(r.row.id) | \(shape) | \(flopsText(r.flops)) | \(ms(r.defaultSeconds))\(rate(r.flops, r.defaultSeconds)) | \(ms(r.handSeconds)) | "
        let ceiling = ceilingCells(r, cpu: cpu)
        out += "\(tunedText) | \(baseline) | \(ratio) | \(ceiling.time) | \(ceiling.overLibrary) | \(ceiling.tunedOverCeiling) | "
        out += "\(own) | \(roofline) | \(trials) | \(tuningTime) | \(perSecond) |\n"
    }

    out += "\n## Geometric means of tuned / best baseline\n\n| group | rows | geometric mean | lowest |\n|---|---|---|---|\n"
    var groups: [String] = []
    for r in results where !groups.contains(r.row.group) { groups.append(r.row.group) }
    for group in groups {
        let ratios = results.filter { $0.row.group == group && !$0.isUnsteady }.compactMap(\.tunedOverBaseline)
        out += "| \(group) | \(ratios.count) | \(geometricMean(ratios).map { String(format: "%.2f", $0) } ?? "—") | "
        out += "\(ratios.min().map { String(format: "%.2f", $0) } ?? "—") |\n"
    }
    let all = results.filter { !$0.isUnsteady }.compactMap(\.tunedOverBaseline)
    out += "| **all** | \(all.count) | **\(geometricMean(all).map { String(format: "%.2f", $0) } ?? "—")** | \(all.min().map { String(format: "%.2f", $0) } ?? "—") |\n"
    let unsteady = results.filter { $0.isUnsteady && $0.tunedOverBaseline != nil }
    if !unsteady.isEmpty {
        let everything = results.compactMap(\.tunedOverBaseline)
        out += "\nLeft out as unsteady: " + unsteady.map { String(format: "%@ (%.2f)", $0.row.id, $0.tunedOverBaseline!) }.joined(separator: ", ")
        out += geometricMean(everything).map { String(format: "; with them the geometric mean would be %.2f over %d rows.\n", $0, everything.count) } ?? ".\n"
    }
    if all.isEmpty { out += "\nNo row has both a tuned schedule and a baseline yet: run `make bench` (it tunes first).\n" }

    out += ceilingSection(results, cpu: cpu, threads: context.threads)

    out += "\n## Spread and checks\n\n"
    for r in results {
        let spreads = r.contenders.compactMap { c in r.timings.spreads[c.0].map { String(format: "%@ %.0f%%", c.0, $0 * 100) } }
        let medians = r.contenders.compactMap { c in r.timings.medians[c.0].map { String(format: "%@ %.3f ms", c.0, $0 * 1e3) } }
        out += "- **\(r.row.id)**: default schedule \(r.verification). Medians: \(medians.joined(separator: ", ")). Round spread (max − min over median): \(spreads.joined(separator: ", "))."
        if !r.timings.unsteady.isEmpty { out += " **Unsteady (spread above \(Int(spreadLimit * 100))%): \(r.timings.unsteady.joined(separator: ", ")).**" }
        if !r.timings.failures.isEmpty { out += " Failed timings: \(r.timings.failures.joined(separator: "; "))." }
        if r.timings.disturbedRounds > 0 { out += " \(r.timings.disturbedRounds) disturbed rounds." }
        for (name, problem) in r.problems { out += " *\(name)*: \(problem)." }
        if let warnings = r.tuning?.warnings, !warnings.isEmpty { out += " Records: \(warnings.count) lines skipped." }
        out += "\n"
    }

    out += "\n## Regressions\n\n"
    if let previous = context.previousRun {
        out += previous.regressions.isEmpty ? "No Hone schedule is more than 10% slower than in the previous run on this CPU (`\(previous.name)`).\n"
            : "Hone schedules more than 10% slower than in the previous run on this CPU (`\(previous.name)`):\n\n"
        for r in previous.regressions { out += "- \(r.text)\n" }
    } else {
        out += "No earlier run on this CPU in the results folder to compare with.\n"
    }

    out += "\n## Versions\n\n"
    for (name, version) in context.versions { out += "- \(name): \(version)\n" }
    out += "\n## Commands\n\n```sh\n"
    for command in context.commands { out += command + "\n" }
    out += "```\n"
    return out
}
