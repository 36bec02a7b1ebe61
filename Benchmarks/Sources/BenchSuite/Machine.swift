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
    var probe: Float = 0
    let flopsPerIteration = machine_fma_flops(1, &probe)  // accumulators x lanes x 2, as the CPU's vector unit gives them
    for width in [threads, 1, threads, 1, threads] {
        let iterations = 20_000_000
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            var sink: Float = 0
            _ = machine_fma_flops(iterations, &sink)
            if sink == .infinity { print("") }  // keeps the loop observable
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        bestFlops = max(bestFlops, Double(iterations) * flopsPerIteration * Double(threads) / seconds)
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
