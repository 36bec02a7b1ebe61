import Foundation
import HoneCodegen
import HoneIR
import HoneMeasure
import HoneSchedule

/// The files a tune ships: the schedule with its provenance, an object file
/// and its C header, and the tuning curve.
public struct TuningOutputs: Sendable {
    public var schedulePath: String
    public var objectPath: String
    public var curvePath: String

    public init(schedulePath: String, objectPath: String, curvePath: String) {
        self.schedulePath = schedulePath
        self.objectPath = objectPath
        self.curvePath = curvePath
    }

    /// Beside the object file: `NAME.o` -> `NAME.h`.
    public var headerPath: String { (objectPath.hasSuffix(".o") ? String(objectPath.dropLast(2)) : objectPath) + ".h" }

    /// Creates the folders the files go in; call before tuning, so a bad path
    /// (a file name that is a folder, a folder that cannot be made) fails
    /// before any work.
    public func createFolders() throws {
        for (path, suffix) in [(schedulePath, ".schedule.json"), (objectPath, ".o"), (headerPath, ".h"), (curvePath, ".curve.svg")] {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw HoneError("cannot write \(path): it is a folder; give a file name, e.g. \(path)/kernel\(suffix)")
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw HoneError("cannot create folder \(folder.path): \(error.localizedDescription)")
            }
        }
    }

    /// What `write` did.
    public struct Written: Sendable {
        /// Whether the object needs an OpenMP runtime at link time.
        public var usesOpenMP: Bool
        /// The schedule file already held a faster schedule of this kernel on
        /// this target (another run's, on the same records): it ships instead.
        public var keptFaster: TunedScheduleFile?
    }

    /// Writes every file, each to a temporary name renamed over the old one,
    /// while holding a lock on the schedule's folder: two runs finishing at
    /// once never mix their files, and a written schedule is never replaced
    /// by a slower one of the same kernel and target.
    @discardableResult
    public func write(_ outcome: TuningOutcome, task: MeasureTask, target: TargetInfo) throws -> Written {
        try write(outcome.schedule, seconds: outcome.seconds, records: outcome.records, task: task, target: target)
    }

    /// Writes the files of `schedule`, measured at `seconds`; `records` draw the curve.
    @discardableResult
    public func write(_ schedule: Schedule, seconds: Double, records: [MeasureRecord], task: MeasureTask, target: TargetInfo) throws -> Written {
        let kernel = task.kernel
        let lock = try FolderLock(URL(fileURLWithPath: schedulePath).deletingLastPathComponent().path)
        defer { lock.unlock() }
        var shipped = TunedScheduleFile(schedule, seconds: seconds, kernel: task.identity, target: target)
        var keptFaster: TunedScheduleFile?
        if let existing = try? TunedScheduleFile.load(schedulePath), existing.describes(shipped),
           existing.medianSeconds < shipped.medianSeconds, existing.schedule != shipped.schedule {
            (shipped, keptFaster) = (existing, existing)
        }
        let nest = try lower(kernel, schedule: shipped.schedule)
        let compiler = try Compiler()
        let temporaryObject = "\(objectPath).tmp-\(getpid())"
        try compiler.writeObject(nest, to: temporaryObject)
        try writeAtomically(shipped.json(), to: schedulePath)
        try moveReplacing(temporaryObject, to: objectPath)
        let usesOpenMP = nest.body.containsParallelLoop
        try writeAtomically(cHeader(for: kernel, nest: nest, target: compiler.target, usesOpenMP: usesOpenMP), to: headerPath)
        let title = "\(task.identity) on \(target.cpu), \(target.threads) thread\(target.threads == 1 ? "" : "s")"
        try writeAtomically(TuningCurve(title: title, records: records, flops: max(KernelCost(kernel).flops, 1)).svg, to: curvePath)
        return Written(usesOpenMP: usesOpenMP, keptFaster: keptFaster)
    }
}
