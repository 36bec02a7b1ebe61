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
