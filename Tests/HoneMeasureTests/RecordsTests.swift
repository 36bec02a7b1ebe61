import Foundation
import Testing
@testable import Hone
@testable import HoneMeasure
import HoneTestSupport

private func sampleRecord(_ i: Int, kernel: KernelIdentity, target: TargetInfo, seconds: Double? = nil) -> MeasureRecord {
    let schedule = Schedule([.split(stage: "C", loop: "i", factors: [i % 7 + 1]), .vectorize(stage: "C", loop: "j")])
    if let seconds {
        return MeasureRecord(kernel: kernel, target: target, seed: 1, schedule: schedule,
                             timing: Timing(samples: [seconds, seconds * 1.01, seconds * 0.99], number: 4), error: nil,
                             maxAbsError: 1e-6, compileSeconds: 0.02)
    }
    return MeasureRecord(kernel: kernel, target: target, seed: 1, schedule: schedule, timing: nil,
                         error: MeasureError(.runtimeCrash, "SIGSEGV \"quoted\"\nsecond line \u{1} é ✓"))
}

private let identity = KernelIdentity(name: "gemm", hash: "0123456789abcdef", parameters: [Parameter(name: "M", value: 64), Parameter(name: "N", value: 32)])
private let target = TargetInfo(cpu: "znver4", featuresHash: "feedfacecafebeef", threads: 2)

@Test func recordsRoundTripThroughTheFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.jsonl").path
    let written = [sampleRecord(0, kernel: identity, target: target, seconds: 0.003), sampleRecord(1, kernel: identity, target: target)]
    try RecordsLog(path: path).append(written)
    let loaded = try RecordsLog.load(path: path)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count == 2)
    for (a, b) in zip(written, loaded.records) {
        #expect(a.kernel == b.kernel)
        #expect(a.target == b.target)
        #expect(a.timestamp == b.timestamp)
        #expect(a.timing == b.timing)
        #expect(a.error == b.error)
        #expect(try a.schedule() == b.schedule())
        #expect(a.compileSeconds == b.compileSeconds)
    }
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasPrefix("{\"format\":1,\"hone_version\":"))
    #expect(text.contains("\"schedule\":{\"steps\":[{\"factors\":[1],\"kind\":\"split\""))
    #expect(text.split(separator: "\n").count == 2)
}

@Test func corruptAndTornLinesAreSkippedWithAWarningNamingTheLine() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.jsonl").path
    let log = RecordsLog(path: path)
    try log.append([sampleRecord(0, kernel: identity, target: target, seconds: 0.002)])
    // A corrupt line, a line of the wrong shape, then a torn line (no newline).
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("{not json\n{\"format\":1}\n".utf8))
    let full = sampleRecord(1, kernel: identity, target: target, seconds: 0.001).jsonLine
    handle.write(Data(full.prefix(full.count / 2).utf8))
    try handle.close()
    // The next append starts on a fresh line, so the torn line stays alone.
    try log.append([sampleRecord(2, kernel: identity, target: target, seconds: 0.004)])
    let loaded = try RecordsLog.load(path: path)
    #expect(loaded.records.map(\.line) == [1, 5], "\(loaded.warnings)")
    #expect(loaded.warnings.count == 3)
    #expect(loaded.warnings[0].hasPrefix("\(path):2: skipped:"), "\(loaded.warnings)")
    #expect(loaded.warnings[1].hasPrefix("\(path):3: skipped:"))
    #expect(loaded.warnings[2].hasPrefix("\(path):4: skipped:"))
    #expect(loaded.best(for: identity, target: target)?.line == 1)
}

@Test func aTornLastLineIsReportedAsIncomplete() throws {
    let line = sampleRecord(0, kernel: identity, target: target, seconds: 0.002).jsonLine
    let text = line + "\n" + line.prefix(40)
    let loaded = RecordsLog.parse(Data(text.utf8), name: "t.jsonl")
    #expect(loaded.records.count == 1)
    #expect(loaded.warnings.count == 1)
    #expect(loaded.warnings[0].contains("t.jsonl:2: skipped: incomplete last line"), "\(loaded.warnings)")
}

@Test func bestPicksTheFastestSuccessfulRecordForTheKernelAndTarget() throws {
    let other = KernelIdentity(name: "gemm", hash: "ffffffffffffffff", parameters: [Parameter(name: "M", value: 128)])
    let oneThread = TargetInfo(cpu: target.cpu, featuresHash: target.featuresHash, threads: 1)
    let records = [
        sampleRecord(0, kernel: identity, target: target, seconds: 0.005),
        sampleRecord(1, kernel: identity, target: target),  // errors never win
        sampleRecord(2, kernel: identity, target: target, seconds: 0.002),
        sampleRecord(3, kernel: identity, target: oneThread, seconds: 0.001),
        sampleRecord(4, kernel: other, target: target, seconds: 0.0005),
    ]
    let text = records.map(\.jsonLine).joined(separator: "\n") + "\n"
    let loaded = RecordsLog.parse(Data(text.utf8), name: "r")
    #expect(loaded.best(for: identity, target: target)?.line == 3)
    #expect(loaded.best(for: identity, target: oneThread)?.line == 4)
    #expect(loaded.best(for: other, target: oneThread) == nil)
    #expect(loaded.targets(for: identity) == [target, oneThread])
}

@Test func concurrentAppendsNeverInterleaveWithinALine() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.jsonl").path
    // Each writer opens the file itself (as a separate process would): flock
    // and O_APPEND keep every batch whole.
    DispatchQueue.concurrentPerform(iterations: 4) { writer in
        let log = RecordsLog(path: path)
        for round in 0..<25 {
            let batch = (0..<8).map { sampleRecord(writer * 1000 + round * 8 + $0, kernel: identity, target: target, seconds: 0.001 * Double(writer + 1)) }
            try! log.append(batch)
        }
    }
    let loaded = try RecordsLog.load(path: path)
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count == 4 * 25 * 8)
}

@Test func manyRecordsLoadInParallelChunksInOrder() throws {
    let lines = (0..<5000).map { sampleRecord($0, kernel: identity, target: target, seconds: 1e-3 + Double($0) * 1e-7).jsonLine }
    let loaded = RecordsLog.parse(Data((lines.joined(separator: "\n") + "\n").utf8), name: "big")
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count == 5000)
    #expect(loaded.records.map { $0.line! } == Array(1...5000))
    #expect(loaded.best(for: identity, target: target)?.line == 1)
}

@Test func kernelIdentityFollowsTheKernelNotItsComments() throws {
    let a = try Kernel.parse(smallGemmSource)
    let b = try Kernel.parse("# another comment\n" + smallGemmSource.split(separator: "\n").dropFirst().joined(separator: "\n"))
    let c = try Kernel.parse(smallGemmSource, overrides: ["M": 13])
    #expect(KernelIdentity(a) == KernelIdentity(b))
    #expect(KernelIdentity(a).hash != KernelIdentity(c).hash)
    #expect(KernelIdentity(a).key.hasPrefix("gemm#"))
    #expect(KernelIdentity(a).hash.count == 16)
    #expect(fnv1a64Hex("") == "cbf29ce484222325")
}

@Test func theScannerReadsEscapesAndNumbers() throws {
    let text = #"{"a":"x\"y\\z\n\u00e9\ud83d\ude00","b":[1,-2,3.5e2,18446744073709551615,null,true,false],"c":{}}"# + "\0"
    let bytes = Array(text.utf8)
    let json = try bytes.withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(base: buffer.baseAddress!, start: 0, end: buffer.count - 1)
        return try scanner.document()
    }
    #expect(json["a"]?.string == "x\"y\\z\né😀")
    guard case .array(let b)? = json["b"] else { Issue.record("no array"); return }
    #expect(b[0].int == 1)
    #expect(b[1].int == -2)
    #expect(b[2].double == 350)
    #expect(b[3].uint64 == UInt64.max)
}
