import Foundation
import HoneCodegen
import HoneCostModel
import HoneIR
import HoneSchedule

/// Lowers schedules and extracts their cost-model features on every core,
/// remembering each schedule's rows (a population revisits many schedules).
/// A schedule that does not lower, or whose loop nest would compile too
/// slowly (`maxCodeSize`, see `estimatedCodeSize`), has no features; it is
/// counted in `rejections`, never dropped unseen.
final class FeatureCache {
    let kernel: Kernel
    let maxCodeSize: Int
    let registers: RegisterFile
    let threads: Int
    private var rows: [Schedule: ProgramFeatures] = [:]
    private var rejected: [Schedule: Rejection] = [:]
    /// Schedules rejected so far, by reason (each once, until the cache starts over).
    private(set) var rejections = RejectionCounts()
    /// Entries kept before the cache starts over.
    var limit = 50_000

    /// `registers` and `threads`: the machine's the candidates run on (the host's registers by default).
    init(kernel: Kernel, maxCodeSize: Int, threads: Int, registers: RegisterFile = HostTarget.host.registers) {
        self.kernel = kernel
        self.maxCodeSize = maxCodeSize
        self.threads = threads
        self.registers = registers
    }

    /// Why a schedule has no features, if it has been tried and has none.
    func rejection(of schedule: Schedule) -> String? { rejected[schedule]?.message }

    /// One entry per schedule: its rows, or nil.
    func features(_ schedules: [Schedule]) -> [ProgramFeatures?] {
        var missing: [Schedule] = []
        var seen = Set<Schedule>()
        for s in schedules where rows[s] == nil && rejected[s] == nil && seen.insert(s).inserted { missing.append(s) }
        if !missing.isEmpty {
            if rows.count + rejected.count + missing.count > limit { rows = [:]; rejected = [:] }
            for (schedule, outcome) in zip(missing, extract(missing)) {
                switch outcome {
                case .success(let r): rows[schedule] = r
                case .failure(let rejection):
                    rejected[schedule] = rejection
                    rejections.count(rejection.reason)
                }
            }
        }
        return schedules.map { rows[$0] }
    }

    private struct Rejection: Error {
        var reason: RejectionReason
        var message: String
    }

    private func extract(_ schedules: [Schedule]) -> [Result<ProgramFeatures, Rejection>] {
        let kernel = self.kernel, maxCodeSize = self.maxCodeSize, registers = self.registers, candidateThreads = self.threads
        let results = ResultSlots<Result<ProgramFeatures, Rejection>>(count: schedules.count)
        let threads = min(schedules.count, ParallelRunner.coreCount)
        // Lowering and feature extraction recurse once per loop and expression level: deep nests need large stacks.
        ParallelRunner(threads: threads, largeStacks: true).run(tasks: threads) { thread in
            var extractor = FeatureExtractor(registers: registers, threads: candidateThreads)
            for i in stride(from: thread, to: schedules.count, by: threads) {
                do throws(ScheduleError) {
                    let nest = try lower(kernel, schedule: schedules[i])
                    let size = estimatedCodeSize(nest.body)
                    if size > maxCodeSize {
                        results[i] = .failure(Rejection(reason: .overCodeSizeBudget, message: "estimated code size \(size) over the budget of \(maxCodeSize)"))
                    } else {
                        results[i] = .success(extractor.extract(nest).map(finite))
                    }
                } catch {
                    results[i] = .failure(Rejection(reason: .doesNotLower(error.kind), message: "\(error)"))
                }
            }
        }
        return results.values
    }
}

/// A row with any non-finite value (a feature the extractor could not
/// compute for an unusual nest) set to 0: one NaN would poison the trees'
/// training and every score after it.
private func finite(_ row: [Float]) -> [Float] {
    row.allSatisfy(\.isFinite) ? row : row.map { $0.isFinite ? $0 : 0 }
}
