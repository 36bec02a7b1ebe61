import Dispatch
import Foundation

/// CPU time on the whole machine against this process's own, from
/// /proc/stat and /proc/self/stat: what other processes used in between.
public struct CPUSnapshot: Sendable {
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
