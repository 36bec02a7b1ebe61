import ArgumentParser
import Foundation
import Hone

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write the cost-model features of measured candidates as CSV.",
        discussion: """
            For every successfully measured record of the kernel (same definition and \
            parameters), the schedule is lowered again and its feature rows written, one \
            per store statement. Columns: group (one per target: CPU and threads), program \
            (the record's line in the records file), y_rel (throughput relative to the best \
            of its group: the label Ansor trains on), seconds, then the features named by \
            the schema (FeatureSchema version in the first line, as a comment).
            Example: hone features Kernels/gemm.hone --set M=256,N=256,K=256 --records gemm.jsonl -o gemm.csv
            """)

    @OptionGroup var kernelOptions: KernelOptions

    @Option(help: "The records file (written by hone measure).")
    var records: String

    @Option(name: .shortAndLong, help: "The CSV file to write.")
    var output: String

    func run() throws {
        try reportingErrors {
            let kernel = try kernelOptions.load()
            let identity = KernelIdentity(kernel)
            let loaded = try RecordsLog.load(path: records)
            printWarnings(loaded.warnings)
            let measured = loaded.records.filter { $0.kernel.key == identity.key && $0.seconds != nil }
            guard !measured.isEmpty else {
                throw HoneError("\(records) has no measured record of \(identity) (kernel hash \(identity.hash.prefix(8)))")
            }
            var groups: [TargetInfo: Int] = [:]
            var best: [TargetInfo: Double] = [:]
            for r in measured {
                groups[r.target] = groups[r.target] ?? groups.count
                best[r.target] = min(best[r.target] ?? .infinity, r.seconds!)
            }

            var csv = "# hone features: schema version \(FeatureSchema.version), kernel \(identity)\n"
            csv += (["group", "program", "y_rel", "seconds"] + FeatureSchema.names).joined(separator: ",") + "\n"
            var extractor = FeatureExtractor()
            var programs = 0, rows = 0, skipped = 0
            for r in measured {
                guard let schedule = try? r.schedule(), let nest = try? lower(kernel, schedule: schedule) else {
                    skipped += 1
                    printError("warning: \(records):\(r.line ?? 0): the schedule no longer lowers; skipped")
                    continue
                }
                let prefix = "\(groups[r.target]!),\(r.line ?? programs),\(best[r.target]! / r.seconds!),\(r.seconds!)"
                for row in extractor.extract(nest) {
                    csv += prefix + "," + row.map { String($0) }.joined(separator: ",") + "\n"
                    rows += 1
                }
                programs += 1
            }
            do {
                try csv.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw HoneError("cannot write \(output): \(error.localizedDescription)")
            }
            print("wrote \(output): \(rows) rows of \(FeatureSchema.count) features for \(programs) programs in \(groups.count) group\(groups.count == 1 ? "" : "s")"
                + (skipped > 0 ? " (\(skipped) skipped)" : ""))
        }
    }
}
