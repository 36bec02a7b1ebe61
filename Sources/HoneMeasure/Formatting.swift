import Foundation
import HoneIR

/// A duration for people: 0.0000123 -> "12.30 us", 0.0123 -> "12.300 ms",
/// 12.3 -> "12.300 s", 75 -> "1m15s", 3720 -> "1h02m".
public func formatDuration(_ s: Double) -> String {
    if s >= 3600 { return String(format: "%dh%02dm", Int(s) / 3600, Int(s) % 3600 / 60) }
    if s >= 60 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
    if s >= 1 { return String(format: "%.3f s", s) }
    if s >= 1e-3 { return String(format: "%.3f ms", s * 1e3) }
    return String(format: "%.2f us", s * 1e6)
}

/// A count with an SI prefix, for FLOP and bytes: 1234567 -> "1.23 M".
public func formatCount(_ x: Double) -> String {
    let units = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, prefix) in units where x >= scale { return String(format: "%.3g ", x / scale) + prefix }
    return String(format: "%.3g ", x)
}

extension Kernel {
    /// Throws when the kernel's tensors (inputs, intermediates, output) need
    /// more than three quarters of this machine's physical memory: refused
    /// before anything is allocated, rather than swapping or killed.
    public func checkFitsInMemory() throws {
        var bytes = 0.0
        for tensor in tensors { bytes += Double(tensor.type.byteSize) * tensor.shape.reduce(1.0) { $0 * Double($1) } }
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes <= available * 0.75 else {
            let values = parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            throw HoneError("\(name) (\(values)) needs \(formatCount(bytes))B for its tensors; this machine has \(formatCount(available))B of memory")
        }
    }
}
