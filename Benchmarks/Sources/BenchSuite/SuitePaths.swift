import Foundation
import Hone

/// Where the suite's files are.
public struct SuitePaths: Sendable {
    public var repository: URL
    public var records: URL
    public var tuned: URL
    /// This CPU's ceilings (committed): Benchmarks/ceilings/CPU/.
    public var ceilings: URL
    /// The ceilings' long runs (git-ignored, like every result).
    public var ceilingRecords: URL

    /// `cpu` names the ceilings' folder: LLVM's name for the host, as the
    /// run folders end with.
    public init(repository: URL, results: URL, cpu: String = fileNameSlug(HostTarget.host.cpu)) {
        self.repository = repository
        records = results.appendingPathComponent("records")
        tuned = results.appendingPathComponent("tuned")
        ceilings = repository.appendingPathComponent("Benchmarks/ceilings/\(cpu)")
        ceilingRecords = results.appendingPathComponent("ceiling-records")
    }

    public func kernel(_ name: String) -> String { repository.appendingPathComponent("Kernels/\(name).hone").path }
    public func handSchedule(_ name: String) -> String { repository.appendingPathComponent("Kernels/\(name).schedule.json").path }
    public func tunedSchedule(_ row: SuiteRow) -> String { tuned.appendingPathComponent("\(row.id).json").path }
    public func tuningCommand(_ row: SuiteRow) -> String { tuned.appendingPathComponent("\(row.id).command").path }
    public func records(_ row: SuiteRow) -> String { records.appendingPathComponent("\(row.id).jsonl").path }
    public func ceilingSchedule(_ row: SuiteRow) -> String { ceilings.appendingPathComponent("\(row.id).schedule.json").path }
    public func ceilingCommand(_ row: SuiteRow) -> String { ceilings.appendingPathComponent("\(row.id).command").path }
    public func ceilingProvenance(_ row: SuiteRow) -> String { ceilings.appendingPathComponent("\(row.id).provenance.json").path }
    /// The long run's records, its best schedule and the commands of its sittings.
    public func longRunRecords(_ row: SuiteRow) -> String { ceilingRecords.appendingPathComponent("\(row.id).jsonl").path }
    public func longRunSchedule(_ row: SuiteRow) -> String { ceilingRecords.appendingPathComponent("\(row.id).json").path }
    public func longRunCommands(_ row: SuiteRow) -> String { ceilingRecords.appendingPathComponent("\(row.id).command").path }
}

/// `text` with every run of characters other than letters and digits made
/// one hyphen: the CPU's part of a folder name ("znver1", "sapphirerapids").
public func fileNameSlug(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber ? $0 : "-" }).split(separator: "-").joined(separator: "-")
}
