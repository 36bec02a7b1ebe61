import Foundation
import Hone

/// Times each contender in a process of its own, started afresh for every
/// timing: `executable` with `arguments(contender name)` must prepare the
/// same row with `only:` that name and call `runIsolatedTiming`. No
/// library's worker threads (OpenBLAS spins its own after a call, oneDNN
/// and Hone share libgomp's) outlive their contender to slow the next one.
public func isolatedTimer(_ prepared: PreparedRow, executable: String, arguments: @escaping (String) -> [String]) -> ContenderTimer {
    { index, minimum in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(prepared.contenders[index].name) + ["--min-ms", String(max(1, Int((minimum * 1000).rounded())))]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return parseIsolatedTiming(String(decoding: data, as: UTF8.self))
    }
}

/// The child's side: warms the one contender up for a fifth of the
/// minimum, times it, and prints the line its parent reads.
public func runIsolatedTiming(_ prepared: PreparedRow, minimum: Double) throws {
    guard prepared.contenders.count == 1, let contender = prepared.contenders.first else {
        throw HoneError("\(prepared.row.id): expected one contender to time alone, found \(prepared.contenders.count)")
    }
    _ = timeCalls(contender.run, minimum: minimum / 5)
    let (seconds, runs) = timeCalls(contender.run, minimum: minimum)
    print(String(format: "isolated-timing %.9g %d", seconds, runs))
}

func parseIsolatedTiming(_ output: String) -> (seconds: Double, runs: Int)? {
    for line in output.split(separator: "\n").reversed() where line.hasPrefix("isolated-timing ") {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let seconds = Double(fields[1]), let runs = Int(fields[2]), seconds > 0 else { return nil }
        return (seconds, runs)
    }
    return nil
}
