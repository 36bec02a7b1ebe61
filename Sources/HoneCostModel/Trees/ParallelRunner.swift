import Dispatch
import Foundation

/// Runs a few coarse tasks on up to `threads` threads and waits for all.
///
/// Built on `DispatchQueue.concurrentPerform`, whose workers block (they do
/// not spin) when idle, and whose calling thread takes part: when another
/// process holds a core, the tasks a delayed worker has not claimed yet are
/// run by whoever is free, so a busy core slows training down gracefully
/// instead of stalling it. Tasks are claimed from a shared counter; which
/// thread runs a task never changes what the task computes.
final class ParallelRunner: Sendable {
    let threads: Int

    init(threads: Int) { self.threads = max(1, threads) }

    /// Runs `body(0) ... body(tasks - 1)`, on this thread alone when
    /// `parallel` is false (the same work, in order).
    func run(tasks: Int, parallel: Bool = true, _ body: (Int) -> Void) {
        if threads == 1 || tasks <= 1 || !parallel {
            for t in 0..<tasks { body(t) }
            return
        }
        let counter = TaskCounter(limit: tasks)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: min(threads, tasks)) { _ in
                while let t = counter.next() { shared.value(t) }
            }
        }
    }
}

private final class TaskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var nextTask = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextTask < limit else { return nil }
        nextTask += 1
        return nextTask - 1
    }
}

/// A value handed to parallel tasks that touch disjoint memory (bins of one
/// feature block, rows of one group); the task split guarantees no races.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
