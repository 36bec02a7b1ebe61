import CMachine
import Dispatch
import Foundation
import Hone

/// The machine's measured limits: every row's roofline fraction divides by
/// these.
public struct MachinePeaks: Sendable {
    /// The higher of two measurements (taken before and after a run).
    public func combined(with other: MachinePeaks) -> MachinePeaks {
        MachinePeaks(flopsPerSecond: max(flopsPerSecond, other.flopsPerSecond), bytesPerSecond: max(bytesPerSecond, other.bytesPerSecond),
                     threads: threads, vectorLanes: vectorLanes)
    }

    /// FLOP/s of vector FMAs on `threads` threads at once.
    public var flopsPerSecond: Double
    /// Bytes/s of a triad a = b + s c over arrays far larger than the caches
    /// (STREAM's convention: 12 bytes per element, write-allocate not counted).
    public var bytesPerSecond: Double
    public var threads: Int
    public var vectorLanes: Int
}

/// Measures the peak FMA rate and the DRAM bandwidth with `threads` threads;
/// each figure is the best of a few tries, as STREAM reports.
public func measurePeaks(threads: Int) -> MachinePeaks {
    // On a busy machine all threads rarely run at once: one thread's rate
    // times the thread count is taken too, whichever is higher.
    var bestFlops = 0.0
    for width in [threads, 1, threads, 1, threads] {
        let iterations = 20_000_000
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            var sink: Float = 0
            _ = machine_fma_flops(iterations, &sink)
            if sink == .infinity { print("") }  // keeps the loop observable
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        bestFlops = max(bestFlops, Double(iterations) * 16 * Double(machine_fma_lanes()) * 2 * Double(threads) / seconds)
    }
    let count = 32 << 20  // 128 MiB per array
    let arrays = TriadArrays(count: count)
    let chunk = (count + threads - 1) / threads
    DispatchQueue.concurrentPerform(iterations: threads) { t in  // first touch on the thread that streams it
        let start = t * chunk, n = max(0, min(chunk, count - start))
        arrays.a.advanced(by: start).initialize(repeating: 0, count: n)
        arrays.b.advanced(by: start).initialize(repeating: 1, count: n)
        arrays.c.advanced(by: start).initialize(repeating: 2, count: n)
    }
    var bestBytes = 0.0
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let first = t * chunk, n = max(0, min(chunk, count - first))
            machine_triad(arrays.a + first, arrays.b + first, arrays.c + first, n, 3)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        bestBytes = max(bestBytes, Double(count) * 12 / seconds)
    }
    return MachinePeaks(flopsPerSecond: bestFlops, bytesPerSecond: bestBytes, threads: threads, vectorLanes: Int(machine_fma_lanes()))
}

/// The triad's three arrays, shared by the threads that each stream a part.
private final class TriadArrays: @unchecked Sendable {
    let a, b, c: UnsafeMutablePointer<Float>

    init(count: Int) {
        a = .allocate(capacity: count)
        b = .allocate(capacity: count)
        c = .allocate(capacity: count)
    }

    deinit { a.deallocate(); b.deallocate(); c.deallocate() }
}

/// CPU time on the whole machine against this process's own, from
/// /proc/stat and /proc/self/stat: what other processes used in between.
public struct CPUSnapshot {
    var machineBusyTicks: Int
    var ownTicks: Int
    var time: Double

    public static func now() -> CPUSnapshot {
        CPUSnapshot(machineBusyTicks: machineBusyTicks(), ownTicks: ownTicks(), time: Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
    }

    /// The fraction of the machine's CPU time (all cores) that other
    /// processes used since `earlier`.
    public func othersShare(since earlier: CPUSnapshot) -> Double {
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let others = Double((machineBusyTicks - earlier.machineBusyTicks) - (ownTicks - earlier.ownTicks)) / ticksPerSecond
        let available = (time - earlier.time) * Double(ProcessInfo.processInfo.activeProcessorCount)
        return available > 0 ? max(0, others / available) : 0
    }

    private static func machineBusyTicks() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first,
              line.hasPrefix("cpu ") else { return 0 }
        // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
        let fields = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard fields.count >= 8 else { return 0 }
        return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    }

    private static func ownTicks() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // After "pid (comm)": state is field 3; utime and stime are 14 and
        // 15, cutime and cstime (waited-for children: contenders timed in
        // processes of their own) 16 and 17.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return 0 }
        return fields[11...14].compactMap { Int($0) }.reduce(0, +)
    }
}

/// How busy the machine is over `seconds` of idling here.
public func othersShare(over seconds: Double) -> Double {
    let before = CPUSnapshot.now()
    Thread.sleep(forTimeInterval: seconds)
    return CPUSnapshot.now().othersShare(since: before)
}

/// The CPU's marketing name from /proc/cpuinfo ("Intel(R) Xeon(R) ...").
public func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
        if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    return "unknown CPU"
}

/// The load averages over 1, 5 and 15 minutes, as `uptime` gives them.
public func loadAverages() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}

/// What `command` prints to stdout (trimmed) when run by /bin/sh; empty if it cannot start.
public func shellOutput(_ command: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return "" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
