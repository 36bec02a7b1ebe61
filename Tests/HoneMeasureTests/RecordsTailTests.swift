import Foundation
import Testing
@testable import HoneMeasure
@testable import Hone
import HoneTestSupport

private let identity = KernelIdentity(name: "gemm", hash: "0123456789abcdef", parameters: [Parameter(name: "M", value: 64)])
private let target = TargetInfo(cpu: "znver4", featuresHash: "feedfacecafebeef", threads: 2)

private func record(_ i: Int) -> MeasureRecord {
    MeasureRecord(kernel: identity, target: target, seed: 1, schedule: Schedule([.split(stage: "C", loop: "i", factors: [i + 1])]),
                  timing: Timing(samples: [Double(i + 1) * 1e-3], number: 1), error: nil)
}

private func splitFactor(_ r: MeasureRecord) throws -> Int? {
    if case let .split(_, _, factors)? = try r.schedule().steps.first { return factors.first }
    return nil
}

@Test func aTailReadsWhatOtherWritersAppendedAndSkipsItsOwnLines() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("shared.jsonl").path
    let mine = RecordsLog(path: path), theirs = RecordsLog(path: path)
    try mine.append([record(0)])
    var tail = RecordsTail(path: path, after: try RecordsLog.load(path: path))
    #expect(try tail.read().records.isEmpty)

    tail.skip(try mine.append([record(1), record(2)]))
    try theirs.append([record(3)])
    tail.skip(try mine.append([record(4)]))
    try theirs.append([record(5), record(6)])
    let new = try tail.read()
    #expect(new.warnings.isEmpty)
    #expect(try new.records.map(splitFactor) == [4, 6, 7])
    #expect(try tail.read().records.isEmpty)
}

@Test func aTailWaitsForALineStillBeingWrittenAndNamesACorruptOne() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("shared.jsonl").path
    try RecordsLog(path: path).append([record(0), record(1)])
    var tail = RecordsTail(path: path, after: try RecordsLog.load(path: path))

    let full = record(2).jsonLine
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("{not json\n".utf8))
    handle.write(Data(full.prefix(full.count / 2).utf8))
    let first = try tail.read()
    #expect(first.records.isEmpty)
    #expect(first.warnings.count == 1)
    #expect(first.warnings.first?.hasPrefix("\(path):3: skipped") == true)

    handle.write(Data((full.dropFirst(full.count / 2) + "\n").utf8))
    try handle.close()
    let second = try tail.read()
    #expect(second.warnings.isEmpty)
    #expect(try second.records.map(splitFactor) == [3])
}
