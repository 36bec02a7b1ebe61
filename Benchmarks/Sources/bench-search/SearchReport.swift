import BenchSuite
import Foundation
import Hone

/// summary.md and one SVG per row: best-so-far against trials and against
/// seconds (median of the seeds, with their spread), trials to 90% and 95%
/// of the best known, the area under the normalized curve, and the model's
/// ranking of each batch before it was measured.
func writeReport(_ runs: [SearchRun], rows: [SuiteRow], target: TargetInfo, arguments: Arguments, folder: String) throws {
    var md = """
        # Search benchmark on \(target.cpu), \(target.threads) threads

        Each strategy tuned each row from scratch, \(arguments.trials) trials, seeds 1...\(arguments.seeds); \
        the best known is the best of all runs of the row. Medians over seeds; [min, max] in brackets.
        Command: `bench-search --rows \(arguments.rows.joined(separator: ",")) --strategies \(arguments.strategies.joined(separator: ",")) \
        --seeds \(arguments.seeds) --trials \(arguments.trials)`

        | row | strategy | best@64 | best@200 | final best | trials to 90% | trials to 95% | area | trials/s | search share |
        |---|---|---|---|---|---|---|---|---|---|

        """
    var ranking = """

        ## The model's ranking of each batch before measuring it (evolutionary)

        Mean over batches that start after at least the given number of trials, then median over seeds.

        | row | batches after | Spearman | pairwise accuracy | top-8 recall |
        |---|---|---|---|---|

        """
    let strategies = arguments.strategies
    var geometric: [String: [Double]] = [:]
    for row in rows {
        let rowRuns = runs.filter { $0.row == row.id }
        guard !rowRuns.isEmpty else { continue }
        let bestKnown = rowRuns.compactMap { $0.bestCurve.last }.max() ?? 0
        for strategy in strategies {
            let list = rowRuns.filter { $0.strategy == strategy }
            guard !list.isEmpty else { continue }
            func at(_ n: Int) -> [Double] { list.compactMap { $0.bestCurve.isEmpty ? nil : $0.bestCurve[min(n, $0.bestCurve.count) - 1] } }
            func reach(_ f: Double) -> [Double] { list.map { Double($0.trialsToReach(f, of: bestKnown) ?? Int.max) } }
            let finals = list.compactMap { $0.bestCurve.last }
            geometric[strategy, default: []].append(contentsOf: at(64).map { $0 / max(bestKnown, 1e-12) })
            let rate = list.map { Double($0.trials.count) / max($0.wallSeconds, 1e-9) }
            let share = list.map { $0.searchSeconds / max($0.wallSeconds, 1e-9) }
            md += "| \(row.id) | \(strategy) | \(spread(at(64), "%.1f")) | \(spread(at(200), "%.1f")) | \(spread(finals, "%.1f")) | "
                + "\(spread(reach(0.9), "%.0f", infinite: "-")) | \(spread(reach(0.95), "%.0f", infinite: "-")) | "
                + "\(spread(list.map { $0.normalizedArea(of: bestKnown) }, "%.2f")) | \(spread(rate, "%.2f")) | \(spread(share, "%.2f")) |\n"
        }
        for after in [0, 64, 200] {
            let perSeed = rowRuns.filter { $0.strategy == "evolutionary" }.map { run -> (Double?, Double?, Double?) in
                let batches = run.batchRankings.filter { $0.afterTrials >= after }
                func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
                return (mean(batches.compactMap(\.spearman)), mean(batches.compactMap(\.pairwiseAccuracy)), mean(batches.compactMap(\.topRecall)))
            }
            guard perSeed.contains(where: { $0.0 != nil }) else { continue }
            ranking += "| \(row.id) | \(after) | \(spread(perSeed.compactMap(\.0), "%.2f")) | \(spread(perSeed.compactMap(\.1), "%.2f")) | "
                + "\(spread(perSeed.compactMap(\.2), "%.2f")) |\n"
        }
        try curveSVG(rowRuns, title: "\(row.id) \(row.kernel) \(row.setArgument) on \(target.cpu)", strategies: strategies)
            .write(toFile: "\(folder)/\(row.id).svg", atomically: true, encoding: .utf8)
    }
    md += "\nGeometric mean over rows and seeds of best@64 / best known: "
        + strategies.map { s in "\(s) \(geometric[s].map { String(format: "%.3f", geometricMean($0)) } ?? "-")" }.joined(separator: ", ") + "\n"
    try (md + ranking).write(toFile: "\(folder)/summary.md", atomically: true, encoding: .utf8)
}

private func geometricMean(_ v: [Double]) -> Double {
    let logs = v.filter { $0 > 0 }.map { log($0) }
    return logs.isEmpty ? 0 : exp(logs.reduce(0, +) / Double(logs.count))
}

/// "median [min, max]", or just the value when there is one.
private func spread(_ values: [Double], _ format: String, infinite: String = "inf") -> String {
    func f(_ v: Double) -> String { v >= Double(Int.max) / 2 ? infinite : String(format: format, v) }
    guard let m = median(values) else { return "-" }
    return values.count == 1 ? f(m) : "\(f(m)) [\(f(values.min()!)), \(f(values.max()!))]"
}

/// Two panels, best GFLOP/s against trials and against seconds, one colour per strategy: the median line and the seeds' band.
private func curveSVG(_ runs: [SearchRun], title: String, strategies: [String]) -> String {
    let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    let (width, height, panel) = (1000.0, 420.0, 440.0)
    let top = runs.compactMap { $0.bestCurve.max() }.max() ?? 1
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"20\" y=\"20\" font-size=\"14\">\(escape(title))</text>\n"
    for (p, axis) in ["trials", "seconds"].enumerated() {
        let x0 = 60 + Double(p) * (panel + 60), y0 = 360.0, h = 300.0
        let maxX = runs.map { axis == "trials" ? Double($0.trials.count) : ($0.trials.last?.elapsed ?? 0) }.max() ?? 1
        svg += "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0 + panel)\" y2=\"\(y0)\" stroke=\"black\"/><line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0)\" y2=\"\(y0 - h)\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(x0 + panel / 2 - 20)\" y=\"\(y0 + 30)\">\(axis)</text><text x=\"\(x0 - 50)\" y=\"\(y0 - h - 8)\">GFLOP/s (max \(String(format: "%.1f", top)))</text>\n"
        svg += "<text x=\"\(x0 + panel - 40)\" y=\"\(y0 + 15)\">\(String(format: "%.0f", maxX))</text>\n"
        for (i, strategy) in strategies.enumerated() {
            let list = runs.filter { $0.strategy == strategy }
            guard !list.isEmpty else { continue }
            let colour = colours[i % colours.count]
            // Sample every run's best-so-far at 100 points of the axis.
            var medianPoints: [String] = [], low: [String] = [], high: [String] = []
            for k in 0...100 {
                let x = maxX * Double(k) / 100
                let values = list.map { run -> Double in
                    let curve = run.bestCurve
                    let index = axis == "trials" ? Int(x) - 1 : (run.trials.lastIndex { $0.elapsed <= x } ?? -1)
                    return index < 0 || curve.isEmpty ? 0 : curve[min(index, curve.count - 1)]
                }
                let px = x0 + panel * Double(k) / 100
                func py(_ v: Double) -> String { String(format: "%.1f", y0 - h * v / max(top, 1e-12)) }
                medianPoints.append("\(String(format: "%.1f", px)),\(py(median(values) ?? 0))")
                low.append("\(String(format: "%.1f", px)),\(py(values.min() ?? 0))")
                high.append("\(String(format: "%.1f", px)),\(py(values.max() ?? 0))")
            }
            svg += "<polygon points=\"\((high + low.reversed()).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
            svg += "<polyline points=\"\(medianPoints.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            if p == 0 { svg += "<text x=\"\(x0 + 10)\" y=\"\(y0 - h + 16 * Double(i + 1))\" fill=\"\(colour)\">\(escape(strategy)) (\(list.count) seeds)</text>\n" }
        }
    }
    return svg + "</svg>\n"
}

private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
