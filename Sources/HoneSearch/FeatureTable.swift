import HoneCodegen
import HoneCostModel
import HoneIR
import HoneMeasure
import HoneSchedule

/// The cost model's view of measured records of one kernel, as a table: per
/// program, its target group (one per CPU and thread count), its throughput
/// relative to the best of its group (the label Ansor trains on), its time,
/// and the feature rows of its lowered schedule (one per store). What
/// `hone features` writes as CSV.
public struct FeatureTable {
    public struct Program {
        public var record: MeasureRecord
        public var group: Int
        public var relativeThroughput: Double
        public var rows: [[Float]]
    }

    public private(set) var programs: [Program] = []
    public private(set) var groupCount = 0
    /// Measured records whose schedule no longer parses or lowers.
    public private(set) var unlowerable: [MeasureRecord] = []

    /// The successfully measured records of `kernel` among `records` (same
    /// definition and parameters); others are left out.
    public init(kernel: Kernel, records: [MeasureRecord]) {
        let key = KernelIdentity(kernel).key
        let measured = records.filter { $0.kernel.key == key && $0.seconds != nil }
        var groups: [TargetInfo: Int] = [:]
        var best: [TargetInfo: Double] = [:]
        for r in measured {
            groups[r.target] = groups[r.target] ?? groups.count
            best[r.target] = min(best[r.target] ?? .infinity, r.seconds!)
        }
        groupCount = groups.count
        // The host's registers: records carry only a hash of their target's CPU features.
        var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 1)
        for r in measured {
            guard let schedule = try? r.schedule(), let nest = try? lower(kernel, schedule: schedule) else {
                unlowerable.append(r)
                continue
            }
            extractor.threads = r.target.threads
            programs.append(Program(record: r, group: groups[r.target]!, relativeThroughput: best[r.target]! / r.seconds!,
                                    rows: extractor.extract(nest)))
        }
    }

    public var rowCount: Int { programs.reduce(0) { $0 + $1.rows.count } }

    /// One line per feature row: group, program (the record's line in its
    /// file), y_rel, seconds, then the features named by `FeatureSchema`,
    /// after a comment with the schema version and a header.
    public func csv(describing kernel: KernelIdentity) -> String {
        var csv = "# hone features: schema version \(FeatureSchema.version), kernel \(kernel)\n"
        csv += (["group", "program", "y_rel", "seconds"] + FeatureSchema.names).joined(separator: ",") + "\n"
        for (n, p) in programs.enumerated() {
            let prefix = "\(p.group),\(p.record.line ?? n),\(p.relativeThroughput),\(p.record.seconds!)"
            for row in p.rows { csv += prefix + "," + row.map { String($0) }.joined(separator: ",") + "\n" }
        }
        return csv
    }
}
