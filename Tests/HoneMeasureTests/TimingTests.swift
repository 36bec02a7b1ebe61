import Testing
@testable import Hone

@Test func timingGrowsBatchesUntilTheyLastMinRepeat() {
    var runs = 0
    let timing = measure(TimingOptions(warmupRuns: 2, repeats: 3, minRepeatSeconds: 0.005)) {
        runs += 1
        var x = 0.0
        for i in 0..<2000 { x += Double(i).squareRoot() }
        precondition(x > 0)
    }
    #expect(timing.samples.count == 3)
    #expect(timing.number > 1)
    #expect(timing.minimum <= timing.median)
    #expect(timing.spread >= 0)
    // Each batch ran `number` times, after the warm-up and the calibration.
    #expect(runs >= 2 + 3 * timing.number)
}

@Test func aRunJustMadeSizesTheFirstBatchInPlaceOfACalibrationRun() {
    var runs = 0
    // The run before took longer than a batch must last: batches of one run, and no run spent calibrating.
    let timing = measure(TimingOptions(warmupRuns: 0, repeats: 3, minRepeatSeconds: 0.01), firstRun: 0.5) { runs += 1 }
    #expect(timing.number == 1)
    #expect(runs == 3)
}

@Test func flushingTheCacheTimesSingleRuns() {
    var runs = 0
    let timing = measure(TimingOptions(warmupRuns: 1, repeats: 4, minRepeatSeconds: 1, flushCache: true)) { runs += 1 }
    #expect(timing.number == 1)
    #expect(runs == 5)
}

@Test(arguments: [(0.0000123, "12.30 us"), (0.0123, "12.300 ms"), (12.3, "12.300 s"), (75, "1m15s"), (3720, "1h02m")])
func durationsReadWellAtEveryScale(seconds: Double, text: String) {
    #expect(formatDuration(seconds) == text)
}
