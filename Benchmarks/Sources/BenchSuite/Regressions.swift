import Foundation

/// A Hone contender of a row that got slower than in the previous run on
/// the same CPU.
public struct Regression: Sendable {
    public var row: String
    public var contender: String
    public var before: Double
    public var now: Double
    /// Either run's round spread was above `spreadLimit`: may be noise.
    public var unsteady: Bool

    public var text: String {
        String(format: "%@ %@: %.4g ms -> %.4g ms (%.2fx slower)%@", row, contender, before * 1e3, now * 1e3, now / before,
               unsteady ? ", unsteady rounds" : "")
    }
}

/// A run's medians and spreads per row and contender, from its rounds.jsonl.
public struct PreviousRun: Sendable {
    public var name: String
    public var medians: [String: [String: (median: Double, spread: Double)]]
}

/// The latest run directory in `results` before `current` whose name ends
/// with the CPU's slug (run directories are named DATE-CPU and sort by
/// date) and that has a rounds.jsonl.
public func previousRun(in results: URL, cpuSlug: String, before current: String) -> PreviousRun? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: results.path) else { return nil }
    let candidates = names.filter { $0.hasSuffix("-\(cpuSlug)") && $0 < current && ($0.first?.isNumber ?? false) }.sorted()
    for name in candidates.reversed() {
        guard let text = try? String(contentsOfFile: results.appendingPathComponent("\(name)/rounds.jsonl").path, encoding: .utf8) else { continue }
        var samples: [String: [String: [Double]]] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let row = object["row"] as? String, let contender = object["contender"] as? String,
                  let seconds = object["seconds"] as? Double else { continue }
            samples[row, default: [:]][contender, default: []].append(seconds)
        }
        guard !samples.isEmpty else { continue }
        var medians: [String: [String: (median: Double, spread: Double)]] = [:]
        for (row, contenders) in samples {
            for (contender, values) in contenders {
                guard let m = median(values), m > 0 else { continue }
                medians[row, default: [:]][contender] = (m, (values.max()! - values.min()!) / m)
            }
        }
        return PreviousRun(name: name, medians: medians)
    }
    return nil
}

/// Hone's contenders (default, hand, tuned, ceiling) more than `threshold` slower
/// than in `previous`, slowest first.
public func compare(_ results: [RowResult], with previous: [String: [String: (median: Double, spread: Double)]], threshold: Double = 0.10) -> [Regression] {
    var regressions: [Regression] = []
    for result in results {
        for (name, role) in result.contenders where role.isHone {
            guard let now = result.timings.medians[name], let before = previous[result.row.id]?[name], now > before.median * (1 + threshold) else { continue }
            let unsteady = before.spread > spreadLimit || (result.timings.spreads[name] ?? 0) > spreadLimit
            regressions.append(Regression(row: result.row.id, contender: name, before: before.median, now: now, unsteady: unsteady))
        }
    }
    return regressions.sorted { $0.now / $0.before > $1.now / $1.before }
}
