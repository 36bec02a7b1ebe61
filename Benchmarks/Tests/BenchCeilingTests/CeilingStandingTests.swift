import BenchCeiling
import Foundation
import Testing

@Test func ratiosAreSpeedRatiosAgainstTheStoredCeiling() throws {
    let standing = CeilingStanding(stored: 2e-3, hand: 3e-3, tuned: 4e-3, bestLibrary: 1e-3)
    #expect(standing.seconds == 2e-3)
    #expect(standing.beatenBy.isEmpty)
    #expect(try #require(standing.overLibrary) == 0.5)
    #expect(try #require(standing.tunedOverCeiling) == 0.5)
}

@Test func aRunThatBeatsTheCeilingSaysSoAndNeverReportsAboveOne() throws {
    let standing = CeilingStanding(stored: 2e-3, hand: 1.8e-3, tuned: 1.5e-3, bestLibrary: 3e-3)
    #expect(standing.beatenBy.map(\.name) == ["tuned", "hand"])
    #expect(standing.seconds == 1.5e-3)
    #expect(try #require(standing.tunedOverCeiling) == 1)
    #expect(try #require(standing.overLibrary) == 2)

    let byHand = CeilingStanding(stored: 2e-3, hand: 1e-3, tuned: 4e-3, bestLibrary: nil)
    #expect(byHand.beatenBy.map(\.name) == ["hand"])
    #expect(try #require(byHand.tunedOverCeiling) == 0.25)
    #expect(byHand.overLibrary == nil)
}

@Test func withoutAStoredCeilingThereAreNoRatios() {
    let standing = CeilingStanding(stored: nil, hand: 1e-3, tuned: 2e-3, bestLibrary: 1e-3)
    #expect(standing.seconds == nil && standing.overLibrary == nil && standing.tunedOverCeiling == nil)
    #expect(standing.beatenBy.isEmpty)
}

@Test func theSummaryAveragesOnlyTheRowsThatHaveEachRatio() throws {
    let summary = CeilingSummary([
        ("A", CeilingStanding(stored: 1e-3, hand: nil, tuned: 2e-3, bestLibrary: 2e-3)),   // 2.0 and 0.5
        ("B", CeilingStanding(stored: 4e-3, hand: nil, tuned: nil, bestLibrary: 2e-3)),   // 0.5, not tuned
        ("C", CeilingStanding(stored: 1e-3, hand: nil, tuned: 1e-3, bestLibrary: nil)),   // no library, 1.0
        ("D", CeilingStanding(stored: nil, hand: 1e-3, tuned: 1e-3, bestLibrary: 1e-3)),  // no ceiling
        ("E", CeilingStanding(stored: 1e-3, hand: nil, tuned: 0.5e-3, bestLibrary: 0.8e-3)), // beaten: 1.6 and 1.0
    ])
    #expect(summary.overLibraryRows == 3)
    #expect(abs(try #require(summary.overLibraryMean) - pow(2 * 0.5 * 1.6, 1.0 / 3)) < 1e-12)
    #expect(summary.tunedOverCeilingRows == 3)
    #expect(abs(try #require(summary.tunedOverCeilingMean) - pow(0.5, 1.0 / 3)) < 1e-12)
    #expect(summary.belowLibrary.map(\.row) == ["B"])
    #expect(summary.beaten.map(\.row) == ["E"] && summary.beaten[0].by == ["tuned"])
    #expect(summary.withoutCeiling == ["D"])
}

@Test func theShortfallListIsLowestFirstAndStrictlyBelowTheThreshold() {
    let summary = CeilingSummary([
        ("at", CeilingStanding(stored: 1, hand: nil, tuned: nil, bestLibrary: 0.9)),
        ("low", CeilingStanding(stored: 4e-3, hand: nil, tuned: nil, bestLibrary: 1e-3)),
        ("lower", CeilingStanding(stored: 10e-3, hand: nil, tuned: nil, bestLibrary: 1e-3)),
    ])
    #expect(summary.belowLibrary.map(\.row) == ["lower", "low"])
    #expect(summary.overLibraryMean != nil && summary.tunedOverCeilingMean == nil)
}

@Test func geometricMeanSkipsWhatIsNotAPositiveNumber() throws {
    #expect(geometricMean([]) == nil)
    #expect(geometricMean([0, -1, .nan, .infinity]) == nil)
    #expect(abs(try #require(geometricMean([4, 1, 0, .nan])) - 2) < 1e-12)
}

@Test func provenanceRoundTripsAndRefusesAnotherFormat() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ceiling-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let provenance = CeilingProvenance(row: "GMM-2", kernel: "gemm", parameters: "M=512,N=32,K=512", kernelHash: "abc", cpu: "znver1",
                                       cpuModel: "AMD EPYC", threads: 2, source: .longRun, alsoFrom: [.suiteTuned], seconds: 1e-4, spread: 0.03,
                                       rounds: 5, candidates: ["long run = suite's tuned schedule": 1e-4, "hand schedule": 2e-4],
                                       longRunTrials: 100, date: "2026-12-07T03:30:00Z", hone: "0.1 (git abc)", load: "1.0 1.0 1.0")
    let path = directory.appendingPathComponent("GMM-2.provenance.json").path
    try provenance.json().write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try CeilingProvenance.load(path: path) == provenance)

    try provenance.json().replacingOccurrences(of: "\"format\" : 1", with: "\"format\" : 99").write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CeilingFileError.self) { try CeilingProvenance.load(path: path) }
    try "{}".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: CeilingFileError.self) { try CeilingProvenance.load(path: path) }
    #expect(throws: CeilingFileError.self) { try CeilingProvenance.load(path: directory.appendingPathComponent("none.json").path) }
}
