import Foundation
import Testing
import Hone
import HoneTestSupport

/// The shipped schedule file reads back as itself, and `Schedule.load` reads
/// its steps, whatever characters the kernel and CPU names hold.
@Test func aTunedScheduleFileRoundTripsWithQuotesInItsNames() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let schedule = Schedule([.split(stage: "C", loop: "i", factors: [4]), .vectorize(stage: "C", loop: "j")])
    let kernel = KernelIdentity(name: #"gemm "v2" \ 1"#, hash: "0123456789abcdef",
                                parameters: [Parameter(name: "N", value: 32), Parameter(name: "M", value: 64)])
    let target = TargetInfo(cpu: #"znver"4"#, featuresHash: "feedfacecafebeef", threads: 2)
    let date = Date(timeIntervalSince1970: 1_780_000_000.25)
    let file = TunedScheduleFile(schedule, seconds: 0.00125, kernel: kernel, target: target, date: date)
    let text = try file.json()
    #expect(text.contains(#""generated_by" : "hone tune "#) && text.contains(#""median_s" : 0.00125"#), "\(text)")
    #expect(text.contains(#"\"v2\" \\ 1"#) && text.contains(#""features_hash" : "feedfacecafebeef""#), "\(text)")
    #expect(file.date == "2026-05-28T20:26:40.250Z")
    #expect(parseISO8601(file.date) == date)

    let decoded = try JSONDecoder().decode(TunedScheduleFile.self, from: Data(text.utf8))
    #expect(decoded == file)
    #expect(decoded.kernelName == kernel.name && decoded.target == target && decoded.parameters == ["M": 64, "N": 32])

    let path = directory.appendingPathComponent("tuned.schedule.json").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try Schedule.load(path: path) == schedule)
}

/// Tuned files of earlier versions dated to the second; records to the millisecond.
@Test func datesParseWithAndWithoutMilliseconds() {
    #expect(parseISO8601("2026-11-28T10:49:06Z") == Date(timeIntervalSince1970: 1_795_862_946))
    #expect(parseISO8601("2026-11-28T10:49:06.901Z") == Date(timeIntervalSince1970: 1_795_862_946.901))
    #expect(iso8601(Date(timeIntervalSince1970: 1_795_862_946.901)) == "2026-11-28T10:49:06.901Z")
    for bad in ["", "2026-11-28", "2026-11-28T10:49:06", "2026-11-28T10:49:06.9Z", "2026-11-28T10:49:06Z "] {
        #expect(parseISO8601(bad) == nil, "\(bad)")
    }
}
