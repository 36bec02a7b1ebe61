import Dispatch
import Foundation
import Testing
import Hone
import HoneTestSupport

private let identity = KernelIdentity(name: "gemm", hash: "0123456789abcdef", parameters: [Parameter(name: "M", value: 64)])
private let target = TargetInfo(cpu: "znver4", featuresHash: "feedfacecafebeef", threads: 2)

/// Distinct records: the schedule and timestamp vary with `i`.
private func record(_ i: Int, seconds: Double? = 1e-3) -> MeasureRecord {
    let schedule = Schedule([.split(stage: "C", loop: "i", factors: [i + 1])])
    var r = MeasureRecord(kernel: identity, target: target, seed: 1, schedule: schedule,
                          timing: seconds.map { Timing(samples: [$0 * Double(i + 1)], number: 1) },
                          error: seconds == nil ? MeasureError(.runtimeCrash, "SIGSEGV") : nil)
    r.timestamp = String(format: "2026-12-06T10:%02d:%02dZ", i / 60, i % 60)
    return r
}

private func write(_ lines: [String], to url: URL) throws {
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
}

@Suite struct RecordsMergeTests {
    @Test func keepsEveryValidLineDropsCopiesAndReportsTornOnes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a.jsonl"), b = directory.appendingPathComponent("b.jsonl")
        let torn = record(3).jsonLine
        try write([record(0).jsonLine, record(1, seconds: nil).jsonLine, "{not json", "", String(torn.prefix(torn.count / 2))], to: a)
        try write([record(1, seconds: nil).jsonLine, "  " + record(2).jsonLine + "  ", ""], to: b)
        let merge = try RecordsMerge.merge(paths: [a.path, b.path])
        #expect(merge.lines == [record(0).jsonLine, record(1, seconds: nil).jsonLine, record(2).jsonLine])
        #expect(merge.duplicates == 1)
        #expect(merge.warnings.count == 2)
        #expect(merge.warnings.contains { $0.hasPrefix("\(a.path):3: skipped") })
        #expect(merge.warnings.contains { $0.hasPrefix("\(a.path):5: skipped: incomplete last line") })
        #expect(merge.inputs.map(\.valid) == [2, 2])
        let out = directory.appendingPathComponent("m.jsonl")
        try merge.write(to: out.path)
        let loaded = try RecordsLog.load(path: out.path)
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.records.map(\.seconds) == [1e-3, nil, 3e-3])
    }

    @Test func isOrderIndependentAndIdempotent() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = (0..<3).map { directory.appendingPathComponent("s\($0).jsonl") }
        // Overlapping shares, each in its own order.
        try write([record(5), record(1), record(3)].map(\.jsonLine), to: files[0])
        try write([record(3), record(2), record(0)].map(\.jsonLine), to: files[1])
        try write([record(4), record(5), record(6, seconds: nil)].map(\.jsonLine), to: files[2])
        let paths = files.map(\.path)
        let merged = try RecordsMerge.merge(paths: paths)
        #expect(merged.lines.count == 7)
        for order in [[2, 1, 0], [1, 0, 2], [0, 2, 1]] {
            #expect(try RecordsMerge.merge(paths: order.map { paths[$0] }).text == merged.text)
        }
        let m = directory.appendingPathComponent("m.jsonl")
        try merged.write(to: m.path)
        #expect(try RecordsMerge.merge(paths: [m.path]).text == merged.text)
        #expect(try RecordsMerge.merge(paths: [m.path] + paths).text == merged.text)
        // The output may be one of the inputs.
        try RecordsMerge.merge(paths: [m.path, paths[0]]).write(to: m.path)
        #expect(try String(contentsOf: m, encoding: .utf8) == merged.text)
    }

    @Test func keepsEveryRecordOfFilesWrittenConcurrently() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = (0..<2).map { directory.appendingPathComponent("w\($0).jsonl").path }
        // Four writers, two to each file, appending batches at the same time.
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            let log = RecordsLog(path: paths[w % 2])
            for batch in 0..<10 {
                _ = try? log.append((0..<3).map { record(w * 100 + batch * 3 + $0) })
            }
        }
        let merge = try RecordsMerge.merge(paths: paths)
        #expect(merge.warnings.isEmpty)
        #expect(merge.lines.count == 120)
        #expect(merge.duplicates == 0)
    }

    @Test func aMissingFileIsAnError() throws {
        #expect(throws: HoneError.self) { try RecordsMerge.merge(paths: ["/nonexistent/records.jsonl"]) }
    }
}
