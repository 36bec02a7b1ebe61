import Foundation

/// The report's picture: one bar per row of tuned / best baseline on a log
/// scale with 1.0 marked (green where Hone is faster) and the row's
/// ceiling / best library as a black tick where it has one, then the tuning
/// curves (best GFLOP/s after each trial) of the rows tuned longest, each
/// with its best baseline as a dashed line.
public func svgReport(_ results: [RowResult], title: String) -> String {
    let bars = results.compactMap { r in r.tunedOverBaseline.map { (r, $0) } }
    let curves = results.filter { ($0.tuning?.trials ?? 0) > 1 }.sorted { ($0.tuning?.trials ?? 0) > ($1.tuning?.trials ?? 0) }.prefix(4)
    let width = 900.0, left = 260.0, plotWidth = width - left - 40, barHeight = 18.0
    let barsTop = 70.0, barsHeight = max(Double(bars.count), 1) * (barHeight + 6)
    let curvesTop = barsTop + barsHeight + 70, curveHeight = 220.0
    let height = curvesTop + (curves.isEmpty ? 40 : curveHeight + 60)
    var svg = """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
    <rect width="100%" height="100%" fill="white"/>
    <text x="20" y="28" font-size="16" font-weight="bold">\(escape(title))</text>
    <text x="20" y="48">Tuned Hone / best baseline (same layout), log scale; right of 1.0 Hone is faster; black tick: the ceiling / best baseline</text>\n
    """
    // Log scale from 1/16 to 16; bars are clamped at the edges (their label
    // then goes inside the bar).
    let lowest = log2(1.0 / 16), highest = log2(16.0)
    func x(_ ratio: Double) -> Double { left + (min(max(log2(ratio), lowest), highest) - lowest) / (highest - lowest) * plotWidth }
    for tick in [0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16] {
        let tx = x(tick)
        svg += "<line x1=\"\(f(tx))\" y1=\"\(f(barsTop - 6))\" x2=\"\(f(tx))\" y2=\"\(f(barsTop + barsHeight))\" stroke=\"\(tick == 1 ? "black" : "#ddd")\" stroke-width=\"\(tick == 1 ? 2 : 1)\"/>\n"
        svg += "<text x=\"\(f(tx))\" y=\"\(f(barsTop + barsHeight + 16))\" text-anchor=\"middle\">\(tick < 1 ? "1/\(Int(1 / tick))" : "\(Int(tick))")</text>\n"
    }
    if bars.isEmpty {
        svg += "<text x=\"\(f(left))\" y=\"\(f(barsTop + 14))\">no row has both a tuned schedule and a baseline</text>\n"
    }
    for (i, (r, ratio)) in bars.enumerated() {
        let y = barsTop + Double(i) * (barHeight + 6)
        let (from, to) = (min(x(1), x(ratio)), max(x(1), x(ratio)))
        let color = ratio >= 1 ? "#2e9e4f" : ratio >= 0.5 ? "#e09b2d" : "#d0453a"
        svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 13))\" text-anchor=\"end\">\(escape("\(r.row.id) \(r.row.kernel)"))</text>\n"
        svg += "<rect x=\"\(f(from))\" y=\"\(f(y))\" width=\"\(f(max(to - from, 1)))\" height=\"\(f(barHeight))\" fill=\"\(color)\"/>\n"
        let clamped = ratio < 1.0 / 16 || ratio > 16
        let labelX = ratio >= 1 ? (clamped ? to - 4 : to + 4) : (clamped ? from + 4 : from - 4)
        let anchor = (ratio >= 1) != clamped ? "start" : "end"
        if let ceiling = r.ceiling.overLibrary {
            svg += "<line x1=\"\(f(x(ceiling)))\" y1=\"\(f(y - 3))\" x2=\"\(f(x(ceiling)))\" y2=\"\(f(y + barHeight + 3))\" stroke=\"black\" stroke-width=\"3\">"
            svg += "<title>ceiling / best baseline \(String(format: "%.2f", ceiling))</title></line>\n"
        }
        svg += "<text x=\"\(f(labelX))\" y=\"\(f(y + 13))\" text-anchor=\"\(anchor)\" fill=\"\(clamped ? "white" : "black")\">\(String(format: "%.2f", ratio))</text>\n"
    }
    if !curves.isEmpty {
        svg += "<text x=\"20\" y=\"\(f(curvesTop - 24))\" font-size=\"14\" font-weight=\"bold\">Tuning curves: best GFLOP/s against trials (dashed: best baseline)</text>\n"
        let panelWidth = (width - 40) / Double(curves.count)
        for (i, r) in curves.enumerated() {
            let curve = r.tuning!.curve
            let x0 = 20 + Double(i) * panelWidth + 40, w = panelWidth - 60, y0 = curvesTop, h = curveHeight
            let baseline = r.bestBaseline.map { Double(r.flops) / $0.seconds / 1e9 }
            let top = max(curve.max() ?? 1, baseline ?? 0, 1e-9) * 1.1
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"none\" stroke=\"#999\"/>\n"
            svg += "<text x=\"\(f(x0 + w / 2))\" y=\"\(f(y0 - 6))\" text-anchor=\"middle\">\(escape("\(r.row.id) \(r.row.kernel)"))</text>\n"
            svg += "<text x=\"\(f(x0 - 4))\" y=\"\(f(y0 + 10))\" text-anchor=\"end\">\(String(format: "%.0f", top))</text>\n"
            svg += "<text x=\"\(f(x0 - 4))\" y=\"\(f(y0 + h))\" text-anchor=\"end\">0</text>\n"
            svg += "<text x=\"\(f(x0 + w))\" y=\"\(f(y0 + h + 16))\" text-anchor=\"end\">\(curve.count) trials</text>\n"
            let points = curve.enumerated().map { j, v in
                "\(f(x0 + Double(j) / Double(max(curve.count - 1, 1)) * w)),\(f(y0 + h - v / top * h))"
            }
            svg += "<polyline fill=\"none\" stroke=\"#2f6fb5\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            if let baseline {
                let by = y0 + h - baseline / top * h
                svg += "<line x1=\"\(f(x0))\" y1=\"\(f(by))\" x2=\"\(f(x0 + w))\" y2=\"\(f(by))\" stroke=\"#d0453a\" stroke-dasharray=\"5,4\"/>\n"
            }
        }
    }
    return svg + "</svg>\n"
}

private func f(_ v: Double) -> String { String(format: "%.1f", v) }

private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
