import Foundation
import HoneCodegen
import HoneIR
import HoneMeasure
import HoneSchedule

/// What ships for one task: the fastest schedule of the records on the
/// target, or the default when nothing measured beat it (or nothing ran).
public struct NetworkChoice: Sendable {
    public var task: NetworkTask
    public var schedule: Schedule
    /// The chosen schedule's median (nil: nothing measured; the default ships untimed).
    public var seconds: Double?
    public var defaultSeconds: Double?
    /// Whether the default ships because no measured schedule beat it.
    public var defaultWon: Bool
    /// Records of the task on the target.
    public var records: Int
}

/// Builds a network's library from records, without measuring: in a
/// folder, `libNAME.a` (one object per task, functions `NAME_LABEL`),
/// `NAME.h` declaring them all with their shapes, `schedules/LABEL.schedule.json`
/// and `NAME.curve.svg`, the network's estimated latency against trials
/// and seconds. Every file is written to a temporary name and renamed; a
/// schedule file already there that was measured faster on the same target
/// is kept (and is what the library uses).
public struct NetworkLibrary {
    public var network: Network
    public var target: TargetInfo
    public var folder: String

    public init(network: Network, target: TargetInfo, folder: String) {
        self.network = network
        self.target = target
        self.folder = folder
    }

    public var libraryPath: String { "\(folder)/lib\(network.name).a" }
    public var headerPath: String { "\(folder)/\(network.name).h" }
    public var curvePath: String { "\(folder)/\(network.name).curve.svg" }
    public func schedulePath(_ task: NetworkTask) -> String { "\(folder)/schedules/\(task.label).schedule.json" }

    /// The choice per task from the records (those of other targets are ignored).
    public func choices(from records: [MeasureRecord]) -> [NetworkChoice] {
        var byKey: [String: [MeasureRecord]] = [:]
        for r in records where r.target == target { byKey[r.kernel.key, default: []].append(r) }
        return network.tasks.map { task in
            let own = byKey[task.task.identity.key] ?? []
            var best: (Schedule, Double)?
            var defaultSeconds: Double?
            for r in own {
                guard let s = r.seconds, let schedule = try? r.schedule() else { continue }
                if schedule == .default { defaultSeconds = min(defaultSeconds ?? .infinity, s) }
                if s < best?.1 ?? .infinity { best = (schedule, s) }
            }
            var choice = NetworkChoice(task: task, schedule: best?.0 ?? .default, seconds: best?.1, defaultSeconds: defaultSeconds,
                                       defaultWon: best?.0 == .default, records: own.count)
            if let previous = keptSchedule(task), previous.seconds < (choice.seconds ?? .infinity) {
                choice.schedule = previous.schedule
                choice.seconds = previous.seconds
                choice.defaultWon = previous.schedule == .default
            }
            return choice
        }
    }

    /// Writes every file; returns whether the library needs an OpenMP runtime at link time.
    @discardableResult
    public func write(_ choices: [NetworkChoice], records: [MeasureRecord]) throws -> Bool {
        try createFolder("\(folder)/schedules")
        let scratch = "\(folder)/.objects-\(getpid())"
        try createFolder(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let compiler = try Compiler()
        var objects: [String] = []
        var usesOpenMP = false
        var header = headerPrologue(compiler.target)
        for choice in choices {
            var kernel = choice.task.kernel
            kernel.name = choice.task.symbol(in: network.name)
            let nest = try lower(kernel, schedule: choice.schedule)
            let object = "\(scratch)/\(choice.task.label).o"
            try compiler.writeObject(nest, to: object)
            objects.append(object)
            let parallel = nest.body.containsParallelLoop
            usesOpenMP = usesOpenMP || parallel
            header += "/* \(choice.task.label) x \(choice.task.count): \(choice.task.task.identity)"
                + (choice.seconds.map { ", \(formatDuration($0)) on this target" } ?? ", untimed")
                + (choice.defaultWon ? ", default schedule" : "") + " */\n"
            header += declarations(cHeader(for: kernel, nest: nest, target: compiler.target, usesOpenMP: parallel)) + "\n"
            if let seconds = choice.seconds, keptSchedule(choice.task)?.schedule != choice.schedule {
                try writeAtomically(TunedScheduleFile(choice.schedule, seconds: seconds, kernel: choice.task.task.identity, target: target).json(),
                                    to: schedulePath(choice.task))
            }
        }
        header += "#ifdef __cplusplus\n}\n#endif\n\n#endif\n"
        let archive = "\(scratch)/lib.a"
        let ar = try runTool("ar", ["rcs", archive] + objects)
        guard ar.status == 0 else { throw HoneError("ar failed: \(ar.output)") }
        try moveReplacing(archive, to: libraryPath)
        try writeAtomically(header.replacingOccurrences(of: "@OPENMP@", with: usesOpenMP ? " -fopenmp" : ""), to: headerPath)
        try writeAtomically(NetworkCurve(network: network, records: records, target: target).svg, to: curvePath)
        return usesOpenMP
    }

    private func headerPrologue(_ host: HostTarget) -> String {
        var text = "/* \(network.name).h: generated by Hone \(honeVersion) for \(host.cpu) (\(host.triple)). Do not edit.\n"
        for line in network.summary.split(separator: "\n") { text += " * \(line)\n" }
        text += " *\n * One function per task of \(URL(fileURLWithPath: network.path).lastPathComponent), named \(network.name)_LABEL.\n"
        text += " * Every buffer is dense and row-major (last index fastest); the output is\n"
        text += " * overwritten. Inputs are only read. Buffers must not overlap.\n"
        text += " * Link with: cc your.c lib\(network.name).a -lm@OPENMP@\n"
        text += " * The code uses the instructions of \(host.cpu); it needs a CPU that has them.\n */\n"
        let guardName = "HONE_NETWORK_" + network.name.uppercased()
        return text + "#ifndef \(guardName)_H\n#define \(guardName)_H\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    }

    /// The defines and prototypes of one kernel's header, without its comment, guard and linkage lines.
    private func declarations(_ header: String) -> String {
        var out: [Substring] = []
        var inComment = false
        for line in header.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("/*") && !line.contains("*/") { inComment = true; continue }
            if inComment { if line.contains("*/") { inComment = false }; continue }
            if line.hasPrefix("#ifndef HONE_") || line.hasPrefix("#define HONE_") && line.hasSuffix("_H") || line.hasPrefix("#endif /* HONE_")
                || line.hasPrefix("#include") || line == "#ifdef __cplusplus" || line == "extern \"C\" {" || line == "}" || line == "#endif" {
                continue
            }
            if line.isEmpty && (out.last?.isEmpty ?? true) { continue }
            out.append(line)
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The schedule file already in the folder, if it is for this task on this target.
    private func keptSchedule(_ task: NetworkTask) -> (schedule: Schedule, seconds: Double)? {
        let path = schedulePath(task)
        let wanted = TunedScheduleFile(.default, seconds: 0, kernel: task.task.identity, target: target)
        guard let file = try? TunedScheduleFile.load(path), file.describes(wanted),
              (try? lower(task.kernel, schedule: file.schedule)) != nil else { return nil }
        return (file.schedule, file.medianSeconds)
    }
}

private func createFolder(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw HoneError("cannot create folder \(path): \(error.localizedDescription)")
    }
}

/// Runs a tool found on PATH; returns its status and its output and errors together.
private func runTool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
        try process.run()
    } catch {
        throw HoneError("cannot run \(name): \(error.localizedDescription)")
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
