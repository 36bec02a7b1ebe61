import Foundation
import Testing
@testable import Hone
import HoneTestSupport

@Test func featuresExportsOneRowPerStoreWithNormalizedLabels() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("r.jsonl").path
    let csv = directory.appendingPathComponent("f.csv").path
    let measure = try hone("measure", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=16", "--random", "6", "--records", records,
                           "--repeats", "1", "--min-repeat-ms", "1")
    try #require(measure.status == 0, "\(measure.stderr)")
    let result = try hone("features", ShippedKernels.path("gemm"), "--set", "M=16,N=16,K=16", "--records", records, "-o", csv)
    try #require(result.status == 0, "\(result.stderr)")

    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    #expect(lines[0].contains("schema version \(FeatureSchema.version)"))
    let header = lines[1].split(separator: ",")
    #expect(header.count == 4 + FeatureSchema.count)
    let rows = lines.dropFirst(2).map { $0.split(separator: ",") }
    #expect(!rows.isEmpty)
    #expect(rows.allSatisfy { $0.count == header.count })
    let labels = rows.map { Double($0[2])! }
    #expect(labels.allSatisfy { $0 > 0 && $0 <= 1 })
    #expect(labels.contains(1))  // the best program of the group
}

@Test func featuresWithoutMatchingRecordsIsAnError() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let records = directory.appendingPathComponent("empty.jsonl").path
    try "".write(toFile: records, atomically: true, encoding: .utf8)
    let result = try hone("features", ShippedKernels.path("gemm"), "--records", records, "-o", directory.appendingPathComponent("f.csv").path)
    #expect(result.status == 1)
    #expect(result.stderr.contains("no measured record"))
}
