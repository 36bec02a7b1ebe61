import Foundation

/// How a compiled kernel is timed (TVM's LocalRunner protocol, adapted):
/// warm up, then time `repeats` batches, each running the kernel `number`
/// times where `number` grows until one batch takes at least `minRepeatSeconds`.
/// With `flushCache`, the last-level cache is evicted before every run and
/// each batch is a single run (the flush itself is not timed).
public struct TimingOptions: Sendable, Hashable, Codable {
    public var warmupRuns: Int
    public var repeats: Int
    public var minRepeatSeconds: Double
    public var flushCache: Bool

    public init(warmupRuns: Int = 1, repeats: Int = 5, minRepeatSeconds: Double = 0.1, flushCache: Bool = false) {
        self.warmupRuns = warmupRuns
        self.repeats = repeats
        self.minRepeatSeconds = minRepeatSeconds
        self.flushCache = flushCache
    }
}

/// Seconds per kernel run, one sample per batch.
public struct Timing: Sendable, Hashable, Codable {
    public var samples: [Double]
    /// Runs per batch.
    public var number: Int

    public init(samples: [Double], number: Int) {
        self.samples = samples
        self.number = number
    }

    public var median: Double {
        let sorted = samples.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    public var minimum: Double { samples.min() ?? .nan }
    /// (max - min) / median: how much the batches disagree.
    public var spread: Double { ((samples.max() ?? 0) - minimum) / median }
}

/// Times `run` under `options`. `firstRun`: the seconds of a run just made
/// (a verification run), which sizes the first batch in place of a run of
/// its own.
public func measure(_ options: TimingOptions, firstRun: Double? = nil, _ run: () -> Void) -> Timing {
    for _ in 0..<max(options.warmupRuns, 0) { run() }
    let flusher = options.flushCache ? CacheFlusher.shared : nil
    var number = 1
    if flusher == nil {
        // Grow the batch until it lasts minRepeatSeconds (TVM's min_repeat_ms).
        var elapsed = firstRun ?? seconds { run() }
        while elapsed < options.minRepeatSeconds && number < 1 << 30 {
            let wanted = Int((options.minRepeatSeconds / max(elapsed, 1e-9) * Double(number) * 1.1).rounded(.up))
            number = min(max(wanted, number * 2), number * 100)
            elapsed = seconds { for _ in 0..<number { run() } }
        }
    }
    var samples: [Double] = []
    for _ in 0..<max(options.repeats, 1) {
        flusher?.flush()
        let batch = number
        samples.append(seconds { for _ in 0..<batch { run() } } / Double(batch))
    }
    return Timing(samples: samples, number: number)
}

/// Wall-clock seconds `body` takes (monotonic clock).
public func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

/// Evicts caches by writing a buffer larger than the last-level cache.
/// One per process (allocated on first use), so a tuning loop does not page
/// in 64 MB per candidate. Not thread-safe, like timing itself.
final class CacheFlusher {
    nonisolated(unsafe) static let shared = CacheFlusher()

    private var scratch = [UInt8](repeating: 0, count: 64 << 20)
    private var round: UInt8 = 0

    func flush() {
        round &+= 1
        let value = round
        scratch.withUnsafeMutableBytes { bytes in
            var i = 0
            while i < bytes.count { bytes[i] = value; i += 64 }
        }
    }
}
