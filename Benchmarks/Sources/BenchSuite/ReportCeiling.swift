import BenchCeiling
import Foundation

/// A row's three ceiling cells in the report's table: the ceiling's time,
/// ceiling / best library and tuned / ceiling.
func ceilingCells(_ r: RowResult, cpu: String) -> (time: String, overLibrary: String, tunedOverCeiling: String) {
    let standing = r.ceiling
    let time: String
    switch r.ceilingState {
    case .none: time = "no ceiling on \(cpu)"
    case .invalid: time = "invalid (see notes)"
    case .timed:
        time = ms(standing.stored) + (r.ceilingIsAlso.map { " (the \($0.rawValue) schedule)" } ?? "") + standing.beatenBy.map { String(format: "; **ceiling beaten by %@** (%@)", $0.name, ms($0.seconds)) }.joined()
    }
    let overLibrary = standing.overLibrary.map { String(format: "%.2f", $0) } ?? "—"
    var tunedOverCeiling = standing.tunedOverCeiling.map { String(format: "%.2f", $0) } ?? "—"
    if standing.beatenBy.first?.name == "tuned" { tunedOverCeiling += " (ceiling beaten by tuned)" }
    return (time, overLibrary, tunedOverCeiling)
}

/// The report's section on ceilings: both ratios' geometric means, the
/// rows whose ceiling falls short of the best library, the ceilings this
/// run beat, and how each ceiling was made.
func ceilingSection(_ results: [RowResult], cpu: String, threads: Int) -> String {
    let summary = CeilingSummary(results.map { ($0.row.id, $0.ceiling) })
    func mean(_ value: Double?, _ rows: Int) -> String {
        value.map { String(format: "**%.2f** over %d row%@", $0, rows, rows == 1 ? "" : "s") } ?? "no row has it"
    }
    var out = "\n## Ceilings\n\n"
    out += "A row's **ceiling** is the best schedule known for it on this CPU (`Benchmarks/ceilings/\(cpu)/ROW.schedule.json`, "
    out += "made by `make bench-ceiling`), timed in this run like the others; this run's hand or tuned schedule counts instead where it was faster. "
    out += "**Ceiling / best library** is the best library's time over the ceiling's (what the schedule space can do; below 1 the library is faster); "
    out += "**tuned / ceiling** is the ceiling's time over the tuned schedule's (what the search found of it; 1 at best).\n\n"
    out += "Geometric means: ceiling / best library \(mean(summary.overLibraryMean, summary.overLibraryRows)); "
    out += "tuned / ceiling \(mean(summary.tunedOverCeilingMean, summary.tunedOverCeilingRows)). "
    out += summary.belowLibrary.isEmpty
        ? String(format: "No ceiling is below %.1fx the best library.\n", summary.shortfall)
        : String(format: "Ceilings below %.1fx the best library (the space or the code generator falls short): ", summary.shortfall)
            + summary.belowLibrary.map { String(format: "%@ (%.2f)", $0.row, $0.ratio) }.joined(separator: ", ") + ".\n"
    if !summary.beaten.isEmpty {
        out += "\nCeilings beaten in this run (raise them with `make bench-ceiling BENCH_ONLY="
        out += summary.beaten.map(\.row).joined(separator: ",") + "`): "
        out += summary.beaten.map { "\($0.row) by \($0.by.joined(separator: " and "))" }.joined(separator: ", ") + ".\n"
    }
    if !summary.withoutCeiling.isEmpty {
        out += "\nNo ceiling on \(cpu) (or none that ran): \(summary.withoutCeiling.joined(separator: ", ")).\n"
    }
    let made = results.compactMap { r in r.ceilingProvenance.map { (r, $0) } }
    if !made.isEmpty {
        out += "\n| row | ceiling from | long run trials | made | time then | spread then | threads |\n|---|---|---|---|---|---|---|\n"
        for (r, p) in made {
            let from = ([p.source] + p.alsoFrom).map(\.rawValue).joined(separator: " = ")
            let threadsText = p.threads == threads ? "\(p.threads)" : "\(p.threads) (this run: \(threads))"
            let spread = String(format: "%.0f%%", p.spread * 100) + (p.spread > spreadLimit ? " ⚠ unsteady" : "")
            out += "| \(r.row.id) | \(from) | \(p.longRunTrials) | \(p.date) | \(ms(p.seconds)) | \(spread) | \(threadsText) |\n"
        }
    }
    return out
}
