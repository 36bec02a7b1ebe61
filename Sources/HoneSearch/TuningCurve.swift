import Foundation
import HoneMeasure

/// The best speed found against trials and against seconds, per strategy,
/// from a kernel's records (in the order they were written), as SVG.
public struct TuningCurve: Sendable {
    public struct Series: Sendable {
        public var origin: RecordOrigin
        /// Per measured trial: (trial number, seconds since the first trial, best GFLOP/s so far).
        public var points: [(trial: Int, seconds: Double, best: Double)]
    }

    public var title: String
    public var series: [Series]

    /// `flops` per run turns medians into GFLOP/s. Re-measured finalists and
    /// the default schedule are not search trials and are left out.
    public init(title: String, records: [MeasureRecord], flops: Int) {
        self.title = title
        var byOrigin: [RecordOrigin: [MeasureRecord]] = [:]
        var order: [RecordOrigin] = []
        for r in records {
            let origin = r.origin
            guard origin != .final && origin != .default else { continue }
            if byOrigin[origin] == nil { order.append(origin) }
            byOrigin[origin, default: []].append(r)
        }
        series = order.map { origin in
            let list = byOrigin[origin]!
            let start = list.first.flatMap { parseISO8601($0.timestamp)?.timeIntervalSince1970 } ?? 0
            var best = 0.0
            var points: [(Int, Double, Double)] = []
            for (i, r) in list.enumerated() {
                if let s = r.seconds, s > 0 { best = max(best, Double(flops) / s / 1e9) }
                points.append((i + 1, (parseISO8601(r.timestamp)?.timeIntervalSince1970 ?? start) - start, best))
            }
            return Series(origin: origin, points: points)
        }
    }

    public var svg: String {
        let width = 920.0, height = 380.0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        let peak = series.flatMap { $0.points.map(\.best) }.max() ?? 1
        out += panel(x: 60, y: 40, w: 380, h: 280, xLabel: "trials", peak: peak) { Double($0.trial) }
        out += panel(x: 520, y: 40, w: 380, h: 280, xLabel: "seconds", peak: peak) { $0.seconds }
        for (i, s) in series.enumerated() {
            let y = 350.0, x = 60.0 + Double(i) * 200
            out += "<line x1=\"\(x)\" y1=\"\(y - 4)\" x2=\"\(x + 24)\" y2=\"\(y - 4)\" stroke=\"\(color(i))\" stroke-width=\"2.5\"/>"
            out += "<text x=\"\(x + 30)\" y=\"\(y)\">\(escape(s.origin.rawValue))</text>\n"
        }
        return out + "</svg>\n"
    }

    private func panel(x: Double, y: Double, w: Double, h: Double, xLabel: String, peak: Double,
                       _ value: ((trial: Int, seconds: Double, best: Double)) -> Double) -> String {
        let xMax = max(series.flatMap { $0.points.map(value) }.max() ?? 1, 1e-9)
        let yMax = niceCeiling(peak)
        var out = "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(h)\" fill=\"none\" stroke=\"#888\"/>\n"
        for k in 0...4 {
            let v = yMax * Double(k) / 4, py = y + h - h * Double(k) / 4
            out += "<line x1=\"\(x)\" y1=\"\(py)\" x2=\"\(x + w)\" y2=\"\(py)\" stroke=\"#eee\"/>"
            out += "<text x=\"\(x - 6)\" y=\"\(py + 4)\" text-anchor=\"end\">\(format(v))</text>\n"
            let xv = xMax * Double(k) / 4, px = x + w * Double(k) / 4
            out += "<text x=\"\(px)\" y=\"\(y + h + 16)\" text-anchor=\"middle\">\(format(xv))</text>\n"
        }
        out += "<text x=\"\(x + w / 2)\" y=\"\(y + h + 32)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        out += "<text x=\"\(x - 44)\" y=\"\(y + h / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 \(x - 44) \(y + h / 2))\">best GFLOP/s</text>\n"
        for (i, s) in series.enumerated() where !s.points.isEmpty {
            let coordinates = s.points.map { p in
                String(format: "%.1f,%.1f", x + w * value(p) / xMax, y + h - h * p.best / yMax)
            }
            out += "<polyline fill=\"none\" stroke=\"\(color(i))\" stroke-width=\"2\" points=\"\(coordinates.joined(separator: " "))\"/>\n"
        }
        return out
    }

    private func color(_ i: Int) -> String { ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"][i % 4] }
    private func format(_ v: Double) -> String { v >= 100 ? String(Int(v.rounded())) : String(format: "%.3g", v) }
    private func niceCeiling(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(v)))
        return [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= v } ?? v
    }
    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
