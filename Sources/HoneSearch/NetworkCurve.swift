import Foundation
import HoneMeasure

/// A network's estimated latency (sum over tasks of count x best median so
/// far) against trials and against seconds, replayed from the records in
/// the order they were written, from the first record after which every
/// task has a time. Works the same on one run's file and on merged ones.
public struct NetworkCurve: Sendable {
    public var title: String
    /// (trial number, seconds since the first record, estimated latency in seconds).
    public var points: [(trial: Int, seconds: Double, latency: Double)] = []

    public init(network: Network, records: [MeasureRecord], target: TargetInfo) {
        title = "\(network.name): estimated latency on \(target.cpu), \(target.threads) thread\(target.threads == 1 ? "" : "s")"
        var index: [String: Int] = [:]
        for (i, t) in network.tasks.enumerated() { index[t.task.identity.key] = i }
        var best = [Double](repeating: .infinity, count: network.tasks.count)
        var trial = 0
        var start: Double?
        let ordered = records.enumerated().sorted { a, b in
            let (ta, tb) = (timestampSeconds(a.element.timestamp), timestampSeconds(b.element.timestamp))
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
        for r in ordered where r.target == target {
            guard let i = index[r.kernel.key] else { continue }
            trial += 1
            let time = timestampSeconds(r.timestamp)
            if start == nil { start = time }
            if let s = r.seconds { best[i] = min(best[i], s) }
            let total = zip(network.tasks, best).reduce(0.0) { $0 + Double($1.0.count) * $1.1 }
            if total.isFinite { points.append((trial, time - start!, total)) }
        }
    }

    public var svg: String {
        let width = 920.0, height = 360.0
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">\(escapeXML(title))</text>\n"
        guard !points.isEmpty else {
            return out + "<text x=\"\(width / 2)\" y=\"180\" text-anchor=\"middle\">no estimate yet: some task has no measured time</text>\n</svg>\n"
        }
        out += panel(x: 70, y: 40, w: 370, h: 270, xLabel: "trials") { Double($0.trial) }
        out += panel(x: 530, y: 40, w: 370, h: 270, xLabel: "seconds") { $0.seconds }
        return out + "</svg>\n"
    }

    private func panel(x: Double, y: Double, w: Double, h: Double, xLabel: String,
                       _ value: ((trial: Int, seconds: Double, latency: Double)) -> Double) -> String {
        let xMax = max(points.map(value).max() ?? 1, 1e-9)
        let yMax = (points.map(\.latency).max() ?? 1) * 1.05
        var out = "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(h)\" fill=\"none\" stroke=\"#888\"/>\n"
        for k in 0...4 {
            let v = yMax * Double(k) / 4
            let py = y + h - h * Double(k) / 4
            out += "<text x=\"\(x - 6)\" y=\"\(py + 4)\" text-anchor=\"end\">\(String(format: "%.3g", v * 1e3))</text>\n"
        }
        out += "<text x=\"\(x + w / 2)\" y=\"\(y + h + 30)\" text-anchor=\"middle\">\(xLabel) (last: \(String(format: "%.4g", xMax)))</text>\n"
        out += "<text x=\"\(x - 50)\" y=\"\(y + h / 2)\" transform=\"rotate(-90 \(x - 50) \(y + h / 2))\" text-anchor=\"middle\">estimated latency (ms)</text>\n"
        let path = points.map { p in
            String(format: "%.1f,%.1f", x + w * value(p) / xMax, y + h - h * p.latency / yMax)
        }.joined(separator: " ")
        return out + "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(path)\"/>\n"
    }
}

/// Seconds since 1970 of a record's timestamp (0 when it does not read).
private func timestampSeconds(_ text: String) -> Double { parseISO8601(text)?.timeIntervalSince1970 ?? 0 }

private func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
