import ArgumentParser
import Foundation
import Hone

struct RecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the measurements in a records file.",
        discussion: """
            A records file (JSON Lines, written by hone measure) holds one line per measured \
            candidate: the kernel (name, parameters, hash), the target, the schedule and its \
            times or its error. Corrupt lines are skipped with a warning.
            Examples: hone records gemm.jsonl --kernel gemm --best
                      hone run Kernels/gemm.hone --records gemm.jsonl   (applies the best one)
            """)

    @Argument(help: "The records file.")
    var file: String

    @Option(help: "Only this kernel: a name (gemm) or a name and hash prefix (gemm#1a2b).")
    var kernel: String?

    @Flag(help: "Only the best record per kernel and target, with its schedule.")
    var best = false

    func run() throws {
        try reportingErrors {
            let loaded = try RecordsLog.load(path: file)
            printWarnings(loaded.warnings)
            let records = loaded.records.filter { matches($0.kernel) }
            if best {
                printBest(records)
            } else {
                for r in records { print(describe(r)) }
            }
            let ok = records.filter { $0.seconds != nil }.count
            let kernels = Set(records.map(\.kernel.key)).count
            print("\(records.count) record\(records.count == 1 ? "" : "s") (\(ok) measured, \(records.count - ok) errors) "
                + "for \(kernels) kernel\(kernels == 1 ? "" : "s")"
                + (loaded.warnings.isEmpty ? "" : "; \(loaded.warnings.count) corrupt line\(loaded.warnings.count == 1 ? "" : "s") skipped"))
        }
    }

    private func matches(_ identity: KernelIdentity) -> Bool {
        guard let kernel else { return true }
        if kernel.contains("#") { return identity.key.hasPrefix(kernel) }
        return identity.name == kernel
    }

    private func describe(_ r: MeasureRecord) -> String {
        let line = String(r.line ?? 0).leftPadded(to: 6)
        let what: String
        if let t = r.timing {
            what = "\(formatDuration(t.median)) (min \(formatDuration(t.minimum)), spread \(String(format: "%.1f%%", t.spread * 100)))"
        } else if let e = r.error {
            what = "\(e.kind.rawValue): \(e.message.count > 100 ? String(e.message.prefix(100)) + "..." : e.message)"
        } else {
            what = "?"
        }
        return "\(line)  \(r.kernel) [\(r.kernel.hash.prefix(8))]  \(r.target.cpu) \(r.target.threads)t  \(what)"
    }

    private func printBest(_ records: [MeasureRecord]) {
        for group in LoadedRecords(records: records).groupedByKernelAndTarget() {
            let errors = group.errorCount
            let header = "\(group.kernel) [\(group.kernel.hash)] on \(group.target): \(group.records.count) measured, \(errors) error\(errors == 1 ? "" : "s")"
            guard let best = group.best else {
                print("\(header); no successful record")
                continue
            }
            print("\(header); best \(formatDuration(best.seconds!)) at line \(best.line ?? 0) (\(best.timestamp))")
            print("  \(best.scheduleJSON)")
        }
    }
}
