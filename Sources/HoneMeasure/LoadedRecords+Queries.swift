import HoneIR

/// The records of one kernel on one target, and the best of them.
public struct RecordGroup: Sendable {
    public var kernel: KernelIdentity
    public var target: TargetInfo
    /// In file order.
    public var records: [MeasureRecord]
    /// The successful record with the smallest median, or nil.
    public var best: MeasureRecord?

    public var errorCount: Int { records.reduce(0) { $0 + ($1.seconds == nil ? 1 : 0) } }
}

extension MeasureRecord {
    /// Whether this is a measurement of `kernel` (same definition and
    /// parameters) on `target` (same CPU, features and threads): the one
    /// test every kernel-and-target query uses.
    public func measures(_ kernel: KernelIdentity, on target: TargetInfo) -> Bool {
        self.kernel.hash == kernel.hash && self.kernel.name == kernel.name && self.target == target
    }
}

extension Sequence<MeasureRecord> {
    /// The records of `kernel` on `target`, in order.
    public func records(of kernel: KernelIdentity, on target: TargetInfo) -> [MeasureRecord] {
        filter { $0.measures(kernel, on: target) }
    }
}

extension LoadedRecords {
    /// The records of `kernel` on `target`, in file order.
    public func records(of kernel: KernelIdentity, on target: TargetInfo) -> [MeasureRecord] {
        records.records(of: kernel, on: target)
    }

    /// The records grouped by kernel and target, in the order each group
    /// first appears in the file.
    public func groupedByKernelAndTarget() -> [RecordGroup] {
        var groups: [RecordGroup] = []
        var index: [String: Int] = [:]
        for r in records {
            let key = "\(r.kernel.key)|\(r.target.cpu)|\(r.target.featuresHash)|\(r.target.threads)"
            let g = index[key] ?? {
                index[key] = groups.count
                groups.append(RecordGroup(kernel: r.kernel, target: r.target, records: [], best: nil))
                return groups.count - 1
            }()
            groups[g].records.append(r)
            if let s = r.seconds, s < (groups[g].best?.seconds ?? .infinity) { groups[g].best = r }
        }
        return groups
    }

    /// Why `best(for:target:)` found nothing, for an error message: the
    /// targets that do have records of the kernel, or the kernel's other
    /// parameter sets.
    public func whyNoBest(for kernel: KernelIdentity, target: TargetInfo) -> String {
        var message = "no successful record for \(kernel) (\(kernel.key)) on this target, \(target)"
        let others = targets(for: kernel)
        if !others.isEmpty {
            message += "; it has records for this kernel on: \(others.map(\.description).joined(separator: "; "))"
            if others.contains(where: { $0.cpu == target.cpu && $0.featuresHash == target.featuresHash }) {
                message += " (pass --threads to pick one)"
            }
        } else {
            let names = Set(records.filter { $0.kernel.name == kernel.name }.map(\.kernel.description))
            if !names.isEmpty { message += "; it has records for \(kernel.name) with other parameters: \(names.sorted().joined(separator: "; "))" }
        }
        return message
    }
}
