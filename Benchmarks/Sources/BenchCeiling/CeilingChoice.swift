// A row's ceiling is the fastest schedule known for it on one CPU. Making
// or raising one (`bench-ceiling`) times every candidate alternately and
// keeps the fastest, but never replaces the kept ceiling with a schedule
// that was not faster than it in the same sitting, nor on timings too
// spread to tell the two apart, unless it won every round against it.

/// Where a candidate for a row's ceiling comes from.
public enum CeilingSource: String, Codable, Sendable, CaseIterable {
    /// The ceiling already stored under Benchmarks/ceilings/CPU/.
    case kept = "kept ceiling"
    /// Kernels/NAME.schedule.json.
    case hand = "hand schedule"
    /// The schedule `make bench-tune` wrote for the suite.
    case suiteTuned = "suite's tuned schedule"
    /// The best of the ceiling's own long tuning run.
    case longRun = "long run"
}

/// Candidates that are the same schedule, timed once under the first
/// source's name.
public struct CeilingCandidate: Equatable, Sendable {
    public var sources: [CeilingSource]
    /// The schedule's canonical text (pretty, key-sorted JSON).
    public var schedule: String

    public init(sources: [CeilingSource], schedule: String) {
        self.sources = sources
        self.schedule = schedule
    }

    /// The name it is timed and reported under, e.g. "long run = hand schedule".
    public var name: String { sources.map(\.rawValue).joined(separator: " = ") }
}

/// Merges candidates whose schedule texts are identical, in first-seen
/// order: the same schedule is timed once, whatever it is called.
public func mergeIdenticalCandidates(_ candidates: [(CeilingSource, String)]) -> [CeilingCandidate] {
    var merged: [CeilingCandidate] = []
    for (source, schedule) in candidates {
        if let i = merged.firstIndex(where: { $0.schedule == schedule }) {
            merged[i].sources.append(source)
        } else {
            merged.append(CeilingCandidate(sources: [source], schedule: schedule))
        }
    }
    return merged
}

/// What a sitting of `bench-ceiling` does with a row's ceiling file.
public enum CeilingDecision: Equatable, Sendable {
    /// Nothing was timed: the ceiling file stays as it is (or absent).
    case nothingTimed
    /// The kept ceiling was at least as fast as every other candidate.
    case keep(seconds: Double)
    /// `candidate` was faster than the kept ceiling, but its rounds or the
    /// kept one's were too spread (a busy machine) to trust it: kept.
    case keepUnsteady(seconds: Double, candidate: Int, candidateSeconds: Double)
    /// `candidate` (index into the timed list) becomes the ceiling;
    /// `replacing` is the kept ceiling's time, nil when there was none
    /// or it could not be timed (its schedule no longer lowers or computes
    /// a wrong answer).
    case write(candidate: Int, seconds: Double, replacing: Double?)
}

/// The ceiling after a sitting: the fastest timed candidate, unless the
/// kept ceiling (the candidate whose sources include `.kept`) was as fast,
/// or either's rounds were unsteady and the candidate did not win every
/// round against it (`winsEveryRound`). `seconds[i]` is candidate i's
/// median, nil when it could not be timed; `steady[i]` whether its round
/// spread was within the limit (nil: all were); `roundSeconds[i]` its time
/// in each round (nil: rounds unknown). A first ceiling is written however
/// spread its rounds: any ceiling says more than none.
public func chooseCeiling(_ candidates: [CeilingCandidate], seconds: [Double?], steady: [Bool]? = nil,
                          roundSeconds: [[Double?]]? = nil) -> CeilingDecision {
    precondition(candidates.count == seconds.count && (steady?.count ?? seconds.count) == seconds.count,
                 "chooseCeiling: one time and one steadiness per candidate")
    let timed = seconds.indices.compactMap { i in seconds[i].map { (i, $0) } }
    guard let fastest = timed.min(by: { $0.1 < $1.1 }) else { return .nothingTimed }
    guard let keptIndex = candidates.indices.first(where: { candidates[$0].sources.contains(.kept) }), let kept = seconds[keptIndex] else {
        return .write(candidate: fastest.0, seconds: fastest.1, replacing: nil)
    }
    if kept <= fastest.1 { return .keep(seconds: kept) }
    let wonEveryRound = roundSeconds.map { winsEveryRound($0[fastest.0], against: $0[keptIndex]) } ?? false
    if let steady, !(steady[keptIndex] && steady[fastest.0]), !wonEveryRound {
        return .keepUnsteady(seconds: kept, candidate: fastest.0, candidateSeconds: fastest.1)
    }
    return .write(candidate: fastest.0, seconds: fastest.1, replacing: kept)
}

/// Whether a candidate ran faster than another in every round that timed
/// both, over at least `minimumRounds` of them. A round times every
/// candidate in turn, so a busy neighbour slows the two alike within it:
/// winning all of them is evidence however spread the rounds are (a sign
/// test's p is 1/2^rounds: 0.002 for 9). `a[r]`, `b[r]`: round r's
/// seconds, nil where it was not timed.
public func winsEveryRound(_ a: [Double?], against b: [Double?], minimumRounds: Int = 5) -> Bool {
    let paired = zip(a, b).compactMap { x, y in x.flatMap { x in y.map { (x, $0) } } }
    return paired.count >= minimumRounds && paired.allSatisfy { $0.0 < $0.1 }
}
