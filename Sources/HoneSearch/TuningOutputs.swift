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

    /// Creates the folders the files go in; call before tuning, so a bad path fails before any work.
    public func createFolders() throws {
        for path in [schedulePath, objectPath, curvePath] {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw HoneError("cannot create folder \(folder.path): \(error.localizedDescription)")
            }
        }
    }

    /// Writes every file, each to a temporary name renamed over the old one;
    /// returns whether the object needs an OpenMP runtime at link time.
    @discardableResult
    public func write(_ outcome: TuningOutcome, task: MeasureTask, target: TargetInfo) throws -> Bool {
        let kernel = task.kernel
        try writeAtomically(TunedScheduleFile(outcome.schedule, seconds: outcome.seconds, kernel: task.identity, target: target).json(), to: schedulePath)
        let compiler = try Compiler()
        let nest = try lower(kernel, schedule: outcome.schedule)
        try compiler.writeObject(nest, to: objectPath)
        let usesOpenMP = nest.body.containsParallelLoop
        try writeAtomically(cHeader(for: kernel, nest: nest, target: compiler.target, usesOpenMP: usesOpenMP), to: headerPath)
        let title = "\(task.identity) on \(target.cpu), \(target.threads) thread\(target.threads == 1 ? "" : "s")"
        try writeAtomically(TuningCurve(title: title, records: outcome.records, flops: max(KernelCost(kernel).flops, 1)).svg, to: curvePath)
        return usesOpenMP
    }
}
