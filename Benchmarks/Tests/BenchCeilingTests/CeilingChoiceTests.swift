import BenchCeiling
import Testing

private func candidates(_ sources: CeilingSource...) -> [CeilingCandidate] {
    sources.enumerated().map { CeilingCandidate(sources: [$1], schedule: "schedule \($0)") }
}

@Test func theFastestCandidateBecomesTheFirstCeiling() {
    let decision = chooseCeiling(candidates(.hand, .suiteTuned, .longRun), seconds: [3e-3, 2e-3, 2.5e-3])
    #expect(decision == .write(candidate: 1, seconds: 2e-3, replacing: nil))
}

@Test func aFasterCandidateReplacesTheKeptCeiling() {
    let decision = chooseCeiling(candidates(.kept, .hand, .longRun), seconds: [2e-3, 3e-3, 1.5e-3])
    #expect(decision == .write(candidate: 2, seconds: 1.5e-3, replacing: 2e-3))
}

@Test func theKeptCeilingIsNeverReplacedBySomethingSlowerOrEqual() {
    #expect(chooseCeiling(candidates(.kept, .longRun), seconds: [2e-3, 2.1e-3]) == .keep(seconds: 2e-3))
    #expect(chooseCeiling(candidates(.longRun, .kept), seconds: [2e-3, 2e-3]) == .keep(seconds: 2e-3))
    // A candidate that failed cannot win, however the others fared.
    #expect(chooseCeiling(candidates(.kept, .hand), seconds: [2e-3, nil]) == .keep(seconds: 2e-3))
}

@Test func unsteadyRoundsNeverReplaceTheKeptCeilingButMakeTheFirstOne() {
    let three = candidates(.kept, .hand, .longRun)
    let seconds: [Double?] = [2e-3, 3e-3, 1.5e-3]
    #expect(chooseCeiling(three, seconds: seconds, steady: [true, true, false])
        == .keepUnsteady(seconds: 2e-3, candidate: 2, candidateSeconds: 1.5e-3))
    #expect(chooseCeiling(three, seconds: seconds, steady: [false, true, true])
        == .keepUnsteady(seconds: 2e-3, candidate: 2, candidateSeconds: 1.5e-3))
    // Only the two compared count: the hand schedule's spread is irrelevant.
    #expect(chooseCeiling(three, seconds: seconds, steady: [true, false, true]) == .write(candidate: 2, seconds: 1.5e-3, replacing: 2e-3))
    #expect(chooseCeiling(candidates(.hand, .longRun), seconds: [3e-3, 1.5e-3], steady: [false, false])
        == .write(candidate: 1, seconds: 1.5e-3, replacing: nil))
}

@Test func winningEveryRoundReplacesTheKeptCeilingOnUnsteadyRounds() {
    // Spread rounds (up to 3x) where one is always the faster.
    let kept: [Double?] = [12, 9, 20, 11, 14, 10, 30, 12, 9]
    let hand: [Double?] = [6, 5, 7, 10, 6, 6, 8, 5, 8.9]
    let two = candidates(.kept, .hand)
    #expect(chooseCeiling(two, seconds: [12e-3, 6e-3], steady: [false, false], roundSeconds: [kept, hand])
        == .write(candidate: 1, seconds: 6e-3, replacing: 12e-3))
    var onceSlower = hand
    onceSlower[6] = 31
    #expect(chooseCeiling(two, seconds: [12e-3, 6e-3], steady: [false, false], roundSeconds: [kept, onceSlower])
        == .keepUnsteady(seconds: 12e-3, candidate: 1, candidateSeconds: 6e-3))
    #expect(winsEveryRound(hand, against: kept))
    #expect(!winsEveryRound(kept, against: hand))
    // One lost round, too few rounds, or rounds timed for one side only: no.
    var lost = hand
    lost[3] = 11.5
    #expect(!winsEveryRound(lost, against: kept))
    #expect(!winsEveryRound(Array(hand.prefix(4)), against: Array(kept.prefix(4))))
    #expect(!winsEveryRound([6, nil, nil, nil, nil, 6], against: [nil, 9, 9, 9, 9, 9]))
    // Rounds where either failed are skipped, the rest still count.
    #expect(winsEveryRound([6, nil, 6, 6, 6, 6], against: [9, 9, 9, 9, 9, 9]))
}

@Test func aKeptCeilingThatCannotBeTimedIsReplacedAndSaysSo() {
    // Its schedule no longer lowers, say, after the kernel changed.
    let decision = chooseCeiling(candidates(.kept, .hand), seconds: [nil, 4e-3])
    #expect(decision == .write(candidate: 1, seconds: 4e-3, replacing: nil))
}

@Test func nothingTimedLeavesTheCeilingAlone() {
    #expect(chooseCeiling(candidates(.kept, .longRun), seconds: [nil, nil]) == .nothingTimed)
    #expect(chooseCeiling([], seconds: []) == .nothingTimed)
}

@Test func identicalSchedulesAreTimedOnceUnderEveryName() {
    let merged = mergeIdenticalCandidates([(.kept, "A"), (.hand, "B"), (.suiteTuned, "A"), (.longRun, "A")])
    #expect(merged.map(\.sources) == [[.kept, .suiteTuned, .longRun], [.hand]])
    #expect(merged[0].name == "kept ceiling = suite's tuned schedule = long run")
    // The long run's best is the kept ceiling: keeping it is not a replacement.
    #expect(chooseCeiling(merged, seconds: [1e-3, 2e-3]) == .keep(seconds: 1e-3))
}
