import Foundation
import Testing
@testable import Hone
@testable import HoneMeasure
import HoneTestSupport

private func sampleRecord(_ i: Int, kernel: KernelIdentity, target: TargetInfo, seconds: Double? = nil) -> MeasureRecord {
    let schedule = Schedule([.split(stage: "C", loop: "i", factors: [i % 7 + 1]), .vectorize(stage: "C", loop: "j")])
    if let seconds {
        var record = MeasureRecord(kernel: kernel, target: target, seed: 1, schedule: schedule,
                                   timing: Timing(samples: [seconds, seconds * 1.01, seconds * 0.99], number: 4), error: nil,
                                   maxAbsError: 1e-6, compileSeconds: 0.02)
        record.candidate = CandidateTrace(sketch: "tiles", decisions: [[i % 7 + 1], [0]], origin: .search(.random), predicted: 0.5)
        return record
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
        #expect(a.candidate == b.candidate)
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

    // Grouped as `hone records --best` lists them: by kernel and target, in file order.
    let groups = loaded.groupedByKernelAndTarget()
    #expect(groups.map { [$0.records.count, $0.errorCount, $0.best?.line ?? 0] } == [[3, 1, 3], [1, 0, 4], [1, 0, 5]])
    #expect(groups.map(\.target) == [target, oneThread, target])
    #expect(loaded.whyNoBest(for: other, target: oneThread).contains("it has records for this kernel on: \(target)"))
    let unseen = KernelIdentity(name: "gemm", hash: "0000000000000000", parameters: [Parameter(name: "M", value: 8)])
    #expect(loaded.whyNoBest(for: unseen, target: target).contains("other parameters: gemm M=128; gemm M=64 N=32"))
}

/// One query for a kernel on a target: same definition and parameters, same
/// CPU, features and threads; file order.
@Test func recordsOfAKernelOnATargetAreThoseOfBothAndInOrder() throws {
    let other = KernelIdentity(name: "gemm", hash: "ffffffffffffffff", parameters: [Parameter(name: "M", value: 128)])
    let renamed = KernelIdentity(name: "matmul", hash: identity.hash, parameters: identity.parameters)
    let oneThread = TargetInfo(cpu: target.cpu, featuresHash: target.featuresHash, threads: 1)
    let otherFeatures = TargetInfo(cpu: target.cpu, featuresHash: "0000000000000000", threads: target.threads)
    let records = [
        sampleRecord(0, kernel: identity, target: target, seconds: 0.005),
        sampleRecord(1, kernel: other, target: target, seconds: 0.001),
        sampleRecord(2, kernel: identity, target: oneThread, seconds: 0.001),
        sampleRecord(3, kernel: identity, target: target),
        sampleRecord(4, kernel: renamed, target: target, seconds: 0.001),
        sampleRecord(5, kernel: identity, target: otherFeatures, seconds: 0.001),
        sampleRecord(6, kernel: identity, target: target, seconds: 0.002),
    ]
    let loaded = RecordsLog.parse(Data(records.map(\.jsonLine).joined(separator: "\n").utf8), name: "r")
    #expect(loaded.records(of: identity, on: target).map(\.line) == [1, 4, 7])
    #expect(loaded.records.records(of: other, on: target).map(\.line) == [2])
    #expect(loaded.records(of: other, on: oneThread).isEmpty)
    #expect(records.records(of: identity, on: oneThread).count == 1)
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

/// Lines written by an earlier Hone (taken from a tuning run's records):
/// every optional field, a candidate with a model score, an error with its
/// numbers, parameters not in name order.
private let fixtureLines = [
    #"{"format":1,"hone_version":"0.1.0","timestamp":"2026-11-28T10:49:06.901Z","kernel":{"name":"blur3x3","hash":"32ac911353198aa9","parameters":{"H":2046,"W":2046}},"target":{"cpu":"sapphirerapids","features_hash":"bae63ffd99678ead","threads":2},"seed":1,"schedule":{"steps":[{"factors":[2],"kind":"split","loop":"y","stage":"blur_x"},{"factors":[16],"kind":"split","loop":"x","stage":"blur_x"},{"kind":"reorder","order":["y.0","x.0","y.1","x.1"],"stage":"blur_x"},{"factors":[8],"kind":"split","loop":"y","stage":"blur_y"},{"factors":[4],"kind":"split","loop":"x","stage":"blur_y"},{"kind":"reorder","order":["y.0","x.0","y.1","x.1"],"stage":"blur_y"},{"consumer":"blur_y","kind":"compute_at","loop":"y.1","stage":"blur_x"},{"kind":"vectorize","loop":"x.1","stage":"blur_x"},{"kind":"parallel","loop":"y.0","stage":"blur_y"},{"kind":"vectorize","loop":"x.1","stage":"blur_y"}]},"candidate":{"decisions":[[2],[16],[1],[8],[4],[1],[4]],"predicted":1.7697107,"sketch":"tiled stages","strategy":"evolutionary"},"result":{"median_s":0.015388214,"min_s":0.015307574000000001,"spread":0.006503223830913767,"samples_s":[0.015307574000000001,0.015388214,0.015407647000000002],"number":1,"max_abs_error":1.1920928955078125e-07,"compile_s":0.06642905900025653}}"#,
    #"{"format":1,"hone_version":"0.1.0","timestamp":"2026-11-28T10:57:14.213Z","kernel":{"name":"gemm","hash":"c1ffc91fa9c4b70e","parameters":{"M":1024,"N":1024,"K":1024}},"target":{"cpu":"sapphirerapids","features_hash":"bae63ffd99678ead","threads":2},"seed":1,"schedule":{"steps":[{"factors":[16,4,1],"kind":"split","loop":"i","stage":"C"},{"factors":[16,2,4],"kind":"split","loop":"j","stage":"C"},{"factors":[128],"kind":"split","loop":"k","stage":"C"},{"kind":"reorder","order":["i.0","j.0","i.1","j.1","k.0","i.2","j.2","k.1","i.3","j.3"],"stage":"C"},{"kind":"vectorize","loop":"j.3","stage":"C"}]},"candidate":{"decisions":[[16,4,1],[16,2,4],[128],[0],[0]],"predicted":0.08022416,"sketch":"C: tiled, vector j","strategy":"evolutionary"},"error":{"kind":"run_timeout","message":"too slow: one run took 801.587 ms, over the limit of 118.535 ms set from the best time so far","max_abs_error":0.0,"compile_s":0.08977276099903975}}"#,
]

/// What each fixture line says, field by field.
private let fixtureRecords = [
    MeasureRecord(
        kernel: KernelIdentity(name: "blur3x3", hash: "32ac911353198aa9", parameters: [Parameter(name: "H", value: 2046), Parameter(name: "W", value: 2046)]),
        target: TargetInfo(cpu: "sapphirerapids", featuresHash: "bae63ffd99678ead", threads: 2), seed: 1,
        scheduleJSON: #"{"steps":[{"factors":[2],"kind":"split","loop":"y","stage":"blur_x"},{"factors":[16],"kind":"split","loop":"x","stage":"blur_x"},{"kind":"reorder","order":["y.0","x.0","y.1","x.1"],"stage":"blur_x"},{"factors":[8],"kind":"split","loop":"y","stage":"blur_y"},{"factors":[4],"kind":"split","loop":"x","stage":"blur_y"},{"kind":"reorder","order":["y.0","x.0","y.1","x.1"],"stage":"blur_y"},{"consumer":"blur_y","kind":"compute_at","loop":"y.1","stage":"blur_x"},{"kind":"vectorize","loop":"x.1","stage":"blur_x"},{"kind":"parallel","loop":"y.0","stage":"blur_y"},{"kind":"vectorize","loop":"x.1","stage":"blur_y"}]}"#,
        candidate: CandidateTrace(sketch: "tiled stages", decisions: [[2], [16], [1], [8], [4], [1], [4]], origin: .search(.evolutionary), predicted: 1.7697107),
        timing: Timing(samples: [0.015307574000000001, 0.015388214, 0.015407647000000002], number: 1), error: nil,
        maxAbsError: 1.1920928955078125e-07, compileSeconds: 0.06642905900025653, timestamp: "2026-11-28T10:49:06.901Z"),
    MeasureRecord(
        kernel: KernelIdentity(name: "gemm", hash: "c1ffc91fa9c4b70e",
                               parameters: [Parameter(name: "M", value: 1024), Parameter(name: "N", value: 1024), Parameter(name: "K", value: 1024)]),
        target: TargetInfo(cpu: "sapphirerapids", featuresHash: "bae63ffd99678ead", threads: 2), seed: 1,
        scheduleJSON: #"{"steps":[{"factors":[16,4,1],"kind":"split","loop":"i","stage":"C"},{"factors":[16,2,4],"kind":"split","loop":"j","stage":"C"},{"factors":[128],"kind":"split","loop":"k","stage":"C"},{"kind":"reorder","order":["i.0","j.0","i.1","j.1","k.0","i.2","j.2","k.1","i.3","j.3"],"stage":"C"},{"kind":"vectorize","loop":"j.3","stage":"C"}]}"#,
        candidate: CandidateTrace(sketch: "C: tiled, vector j", decisions: [[16, 4, 1], [16, 2, 4], [128], [0], [0]], origin: .search(.evolutionary), predicted: 0.08022416),
        timing: nil, error: MeasureError(.runTimeout, "too slow: one run took 801.587 ms, over the limit of 118.535 ms set from the best time so far", maxAbsError: 0),
        maxAbsError: 0, compileSeconds: 0.08977276099903975, timestamp: "2026-11-28T10:57:14.213Z"),
]

/// Earlier records read field for field, and written back byte for byte: the
/// format has not moved, so older and newer Hones read each other's files.
@Test func recordsOfEarlierVersionsReadAndWriteBackUnchanged() throws {
    let loaded = RecordsLog.parse(Data((fixtureLines.joined(separator: "\n") + "\n").utf8), name: "fixture")
    #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    #expect(loaded.records.map(\.line) == [1, 2])
    for (index, (record, expected)) in zip(loaded.records, fixtureRecords).enumerated() {
        var unnumbered = record
        unnumbered.line = nil
        #expect(unnumbered == expected)
        #expect(record.jsonLine == fixtureLines[index])
        #expect(expected.jsonLine == fixtureLines[index])
        _ = try record.schedule()
    }
}

/// Newer writers may add fields anywhere: readers skip what they do not know.
@Test func unknownFieldsAreSkipped() throws {
    var line = fixtureLines[0]
    for (after, extra) in [("{", #""added":{"x":[1,{"y":null}],"z":"w"},"#), (#""kernel":{"#, #""family":"stencil","#),
                           (#""target":{"#, #""isa":["avx512f"],"#), (#""candidate":{"#, #""parent":7,"#),
                           (#""result":{"#, #""p90_s":0.02,"#)] {
        let range = try #require(line.range(of: after))
        line.insert(contentsOf: extra, at: range.upperBound)
    }
    let loaded = RecordsLog.parse(Data((line + "\n").utf8), name: "newer")
    #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    var record = try #require(loaded.records.first)
    record.line = nil
    #expect(record == fixtureRecords[0])
}

/// A line no reader of this version understands is skipped and named, and
/// an unknown error kind is kept (as `unknown`, its name in the message).
@Test func newerFormatsAndErrorKindsAreReportedNotLost() throws {
    let newer = fixtureLines[0].replacingOccurrences(of: #"{"format":1,"#, with: #"{"format":2,"#)
    let oddKind = fixtureLines[1].replacingOccurrences(of: #""kind":"run_timeout""#, with: #""kind":"thermal_throttle""#)
    let loaded = RecordsLog.parse(Data([newer, oddKind, fixtureLines[0]].joined(separator: "\n").utf8), name: "mixed")
    #expect(loaded.records.map(\.line) == [2, 3])
    #expect(loaded.warnings == ["mixed:1: skipped: error: unsupported format 2 (this Hone reads format 1)"])
    #expect(loaded.records.first?.error?.kind == .unknown)
    #expect(loaded.records.first?.error?.message.hasPrefix("thermal_throttle: too slow") == true)
}

/// A candidate this version cannot read costs the candidate, not the record.
@Test func anUnreadableCandidateIsDropped() throws {
    let line = fixtureLines[0].replacingOccurrences(of: #""strategy":"evolutionary""#, with: #""strategy":3"#)
    let loaded = RecordsLog.parse(Data(line.utf8), name: "odd")
    #expect(loaded.warnings.isEmpty)
    #expect(loaded.records.count == 1)
    #expect(loaded.records.first?.candidate == nil)
    #expect(loaded.records.first?.seconds == fixtureRecords[0].seconds)
}

/// Every origin reads back as written; a name this version does not know
/// (a newer strategy) is kept, and so is its line.
@Test func originsRoundTripIncludingUnknownNames() throws {
    let origins = SearchStrategy.allCases.map { RecordOrigin.search($0) } + [.default, .final, .measure, RecordOrigin(rawValue: "annealing")]
    #expect(origins.last == .other("annealing"))
    let lines = origins.enumerated().map { i, origin in
        var record = sampleRecord(i, kernel: identity, target: target, seconds: 0.001)
        record.candidate?.origin = origin
        return record.jsonLine
    }
    #expect(lines[0].contains(#""strategy":"evolutionary""#) && lines.last!.contains(#""strategy":"annealing""#))
    let loaded = RecordsLog.parse(Data(lines.joined(separator: "\n").utf8), name: "origins")
    #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    #expect(loaded.records.map(\.origin) == origins)
    #expect(loaded.records.map(\.jsonLine) == lines)
    for origin in origins { #expect(RecordOrigin(rawValue: origin.rawValue) == origin) }
    // `hone measure` writes no candidate.
    #expect(sampleRecord(0, kernel: identity, target: target).origin == .measure)
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
    var a: String?, ints: [Int] = [], fraction: Double?, big: UInt64?, null: Double?, elements = 0, members = 0
    try bytes.withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(base: buffer.baseAddress!, start: 0, end: buffer.count - 1)
        try scanner.members { s, key in
            switch String(decoding: key, as: UTF8.self) {
            case "a": a = try s.readString()
            case "b":
                try s.elements { s in
                    switch elements {
                    case 0, 1: ints.append(try s.readInt())
                    case 2: fraction = try s.readDouble()
                    case 3: big = try s.readUInt64()
                    case 4: null = try s.readDouble()
                    default: try s.skipValue()
                    }
                    elements += 1
                }
            default: try s.members { _, _ in members += 1 }
            }
        }
        try scanner.expectEnd()
    }
    #expect(a == "x\"y\\z\né😀")
    #expect(ints == [1, -2])
    #expect(fraction == 350)
    #expect(big == UInt64.max)
    #expect(null?.isNaN == true)  // null: how records write NaN
    #expect(elements == 7 && members == 0)
}
