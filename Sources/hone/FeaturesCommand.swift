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
            let table = FeatureTable(kernel: kernel, records: loaded.records)
            guard !table.programs.isEmpty || !table.unlowerable.isEmpty else {
                throw HoneError("\(records) has no measured record of \(identity) (kernel hash \(identity.hash.prefix(8)))")
            }
            for r in table.unlowerable {
                printError("warning: \(records):\(r.line ?? 0): the schedule no longer lowers; skipped")
            }
            let csv = table.csv(describing: identity)
            do {
                try csv.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw HoneError("cannot write \(output): \(error.localizedDescription)")
            }
            let groups = table.groupCount, skipped = table.unlowerable.count
            print("wrote \(output): \(table.rowCount) rows of \(FeatureSchema.count) features for \(table.programs.count) programs in \(groups) group\(groups == 1 ? "" : "s")"
                + (skipped > 0 ? " (\(skipped) skipped)" : ""))
        }
    }
}
