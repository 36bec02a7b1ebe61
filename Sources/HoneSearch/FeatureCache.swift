import Dispatch
import Foundation
import HoneCostModel
import HoneIR
import HoneSchedule

/// Lowers schedules and extracts their cost-model features, on all cores,
/// remembering each schedule's rows (a population revisits many schedules).
/// A schedule that does not lower, or whose loop nest would compile too
/// slowly (`maxCodeSize`, see `estimatedCodeSize`), has no features.
final class FeatureCache {
    let kernel: Kernel
    let maxCodeSize: Int
    private var rows: [Schedule: [[Float]]] = [:]
    private var rejected: [Schedule: String] = [:]
    /// Entries kept before the cache starts over.
    var limit = 50_000

    init(kernel: Kernel, maxCodeSize: Int) {
        self.kernel = kernel
        self.maxCodeSize = maxCodeSize
    }

    /// Why a schedule has no features, if it has been tried and has none.
    func rejection(of schedule: Schedule) -> String? { rejected[schedule] }

    /// One entry per schedule: its rows, or nil.
    func features(_ schedules: [Schedule]) -> [[[Float]]?] {
        var missing: [Schedule] = []
        var seen = Set<Schedule>()
        for s in schedules where rows[s] == nil && rejected[s] == nil && seen.insert(s).inserted { missing.append(s) }
        if !missing.isEmpty {
            if rows.count + rejected.count + missing.count > limit { rows = [:]; rejected = [:] }
            for (schedule, outcome) in zip(missing, extract(missing)) {
                switch outcome {
                case .success(let r): rows[schedule] = r
                case .failure(let reason): rejected[schedule] = reason.message
                }
            }
        }
        return schedules.map { rows[$0] }
    }

    private struct Rejection: Error { var message: String }

    private func extract(_ schedules: [Schedule]) -> [Result<[[Float]], Rejection>] {
        let kernel = self.kernel, maxCodeSize = self.maxCodeSize
        let chunks = min(schedules.count, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        let results = ResultSlots<Result<[[Float]], Rejection>>(count: schedules.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var extractor = FeatureExtractor()
            for i in stride(from: chunk, to: schedules.count, by: chunks) {
                do {
                    let nest = try lower(kernel, schedule: schedules[i])
                    let size = estimatedCodeSize(nest.body)
                    if size > maxCodeSize {
                        results[i] = .failure(Rejection(message: "estimated code size \(size) over the budget of \(maxCodeSize)"))
                    } else {
                        results[i] = .success(extractor.extract(nest))
                    }
                } catch {
                    results[i] = .failure(Rejection(message: "\(error)"))
                }
            }
        }
        return results.values
    }
}

/// Slots that parallel tasks fill, each task its own indices.
final class ResultSlots<T>: @unchecked Sendable {
    private var storage: [T?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    subscript(index: Int) -> T? {
        get { storage.withUnsafeBufferPointer { $0[index] } }
        set { storage.withUnsafeMutableBufferPointer { $0[index] = newValue } }
    }
    var values: [T] { storage.map { $0! } }
}
