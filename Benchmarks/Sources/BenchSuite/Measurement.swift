import Dispatch
import Foundation
import Hone

/// One contender's time in one round.
public struct RoundTiming: Sendable {
    public var row: String
    public var round: Int
    public var contender: String
    public var role: String
    /// Seconds per run: the mean over runs filling at least the minimum time.
    public var seconds: Double
    public var runs: Int
    /// The share of the machine's CPU time other processes used during the round.
    public var othersShare: Double
    public var disturbed: Bool

    public var jsonLine: String {
        let escaped = contender.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return String(format: "{\"row\":\"%@\",\"round\":%d,\"contender\":\"%@\",\"role\":\"%@\",\"seconds\":%.9g,\"runs\":%d,\"others_share\":%.4f,\"disturbed\":%@}",
                      row, round, escaped, role, seconds, runs, othersShare, disturbed ? "true" : "false")
    }
}

/// A row's timings: the median over its quiet rounds (all rounds when fewer
/// than half were quiet).
public struct RowTimings: Sendable {
    public var rounds: [RoundTiming]
    /// Contender name to median seconds.
    public var medians: [String: Double]
    /// Contender name to the spread of its rounds ((max - min) / median).
    public var spreads: [String: Double]
    public var disturbedRounds: Int
    public var roundCount: Int
    /// Timings that failed (contender and round), left out of the medians.
    public var failures: [String] = []

    public init(rounds: [RoundTiming], medians: [String: Double], spreads: [String: Double], disturbedRounds: Int, roundCount: Int, failures: [String] = []) {
        self.rounds = rounds
        self.medians = medians
        self.spreads = spreads
        self.disturbedRounds = disturbedRounds
        self.roundCount = roundCount
        self.failures = failures
    }

    /// Contenders whose round spread is above `spreadLimit`: their medians are not to be trusted.
    public var unsteady: [String] { spreads.filter { $0.value > spreadLimit }.map(\.key).sorted() }
}

/// A round spread ((max - min) / median) above this flags a contender's
/// time as unsteady in the reports.
public let spreadLimit = 0.10

public struct TimingPlan: Sendable {
    public var rounds: Int
    /// Each timing repeats the call until this much time has passed.
    public var minimumSeconds: Double
    /// A round during which other processes used more than this share of
    /// the machine's CPU time is disturbed.
    public var disturbedShare: Double
    /// Whether every timing ran in a process of its own (`isolatedTimer`).
    public var isolated: Bool

    public init(rounds: Int = 5, minimumSeconds: Double = 0.05, disturbedShare: Double = 0.1, isolated: Bool = false) {
        self.rounds = rounds
        self.minimumSeconds = minimumSeconds
        self.disturbedShare = disturbedShare
        self.isolated = isolated
    }
}

private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Seconds per call, over as many calls as fill `minimum` seconds.
func timeCalls(_ run: () -> Void, minimum: Double) -> (Double, Int) {
    var runs = 0
    let start = now()
    var elapsed = 0.0
    repeat {
        run()
        runs += 1
        elapsed = now() - start
    } while elapsed < minimum
    return (elapsed / Double(runs), runs)
}

/// Takes one timing of contender `index` of a row with at least `minimum`
/// seconds of calls: seconds per call and the calls, or nil when it failed.
public typealias ContenderTimer = (_ index: Int, _ minimum: Double) -> (seconds: Double, runs: Int)?

/// Times each contender in this process (they were all checked, and so
/// warmed up, by `prepare`).
public func inProcessTimer(_ prepared: PreparedRow) -> ContenderTimer {
    { index, minimum in timeCalls(prepared.contenders[index].run, minimum: minimum) }
}

/// Times the contenders alternately, round after round (the order reversed
/// every other round), so a neighbour's burst slows all of them alike.
/// A timing that fails (an isolated process that died) is left out and
/// named in `failures`.
public func time(_ prepared: PreparedRow, plan: TimingPlan, timer: ContenderTimer? = nil) -> RowTimings {
    let timer = timer ?? inProcessTimer(prepared)
    var rounds: [RoundTiming] = []
    var failures: [String] = []
    var disturbed = 0
    for round in 0..<plan.rounds {
        let order = round % 2 == 0 ? Array(prepared.contenders.indices) : prepared.contenders.indices.reversed()
        let before = CPUSnapshot.now()
        var timings: [RoundTiming] = []
        for i in order {
            let contender = prepared.contenders[i]
            guard let (seconds, runs) = timer(i, plan.minimumSeconds) else {
                failures.append("\(contender.name), round \(round + 1)")
                continue
            }
            timings.append(RoundTiming(row: prepared.row.id, round: round, contender: contender.name, role: contender.role.rawValue,
                                       seconds: seconds, runs: runs, othersShare: 0, disturbed: false))
        }
        let share = CPUSnapshot.now().othersShare(since: before)
        let isDisturbed = share > plan.disturbedShare
        if isDisturbed { disturbed += 1 }
        rounds += timings.map { var t = $0; t.othersShare = share; t.disturbed = isDisturbed; return t }
    }
    let useQuietOnly = disturbed * 2 <= plan.rounds
    var medians: [String: Double] = [:], spreads: [String: Double] = [:]
    for contender in prepared.contenders {
        let samples = rounds.filter { $0.contender == contender.name && (!useQuietOnly || !$0.disturbed) }.map(\.seconds).sorted()
        guard !samples.isEmpty else { continue }
        let median = samples.count % 2 == 1 ? samples[samples.count / 2] : (samples[samples.count / 2 - 1] + samples[samples.count / 2]) / 2
        medians[contender.name] = median
        spreads[contender.name] = (samples.last! - samples.first!) / median
    }
    return RowTimings(rounds: rounds, medians: medians, spreads: spreads, disturbedRounds: disturbed, roundCount: plan.rounds, failures: failures)
}
