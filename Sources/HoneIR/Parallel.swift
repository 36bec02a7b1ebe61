import Dispatch
import Foundation

/// Runs a few coarse tasks on up to `threads` threads and waits for all:
/// Hone's one way to run work in parallel (training, feature extraction,
/// compiling a batch on several workers, reading records).
///
/// Built on `DispatchQueue.concurrentPerform`, whose workers block (they do
/// not spin) when idle, and whose calling thread takes part: when another
/// process holds a core, the tasks a delayed worker has not claimed yet are
/// run by whoever is free, so a busy core slows training down gracefully
/// instead of stalling it. Tasks are claimed from a shared counter; which
/// thread runs a task never changes what the task computes.
///
/// With `largeStacks`, the tasks run on threads of their own with 64 MB
/// stacks instead (the caller waits): lowering and feature extraction
/// recurse once per loop and expression level, and a deep nest overflows
/// the small stack of a dispatch thread.
public final class ParallelRunner: Sendable {
    public let threads: Int
    public let largeStacks: Bool

    public init(threads: Int, largeStacks: Bool = false) {
        self.threads = max(1, threads)
        self.largeStacks = largeStacks
    }

    /// One thread per core.
    public static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body(0) ... body(tasks - 1)`, on this thread alone when
    /// `parallel` is false (the same work, in order).
    public func run(tasks: Int, parallel: Bool = true, _ body: (Int) -> Void) {
        if (threads == 1 || tasks <= 1 || !parallel) && !largeStacks {
            for t in 0..<tasks { body(t) }
            return
        }
        let counter = TaskCounter(limit: tasks)
        let width = parallel ? min(threads, tasks) : 1
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            let work: @Sendable (Int) -> Void = { _ in while let t = counter.next() { shared.value(t) } }
            if largeStacks { onLargeStacks(width, work) } else { DispatchQueue.concurrentPerform(iterations: width, execute: work) }
        }
    }
}

/// Runs `body(0)` ... `body(count - 1)` on as many threads with 64 MB
/// stacks and waits for them. The threads reach `body` through a box that
/// is emptied before returning: a `Thread` keeps its closure until it is
/// deallocated, later, and `body` must not outlive the call.
private func onLargeStacks(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let box = WorkBox(body)
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        let thread = Thread {
            box.work?(index)
            done.leave()
        }
        thread.stackSize = 64 << 20
        thread.start()
    }
    done.wait()
    box.work = nil
}

private final class WorkBox: @unchecked Sendable {
    var work: (@Sendable (Int) -> Void)?
    init(_ work: @escaping @Sendable (Int) -> Void) { self.work = work }
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
/// feature block, rows of one group, one worker each); the task split
/// guarantees no races.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// Slots that parallel tasks fill, each index once. The storage is
/// allocated once, so tasks write through a stable pointer and never touch
/// a shared array's bookkeeping.
public final class ResultSlots<T>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<T?>
    public let count: Int

    public init(count: Int) {
        self.count = count
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: nil, count: count)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    public subscript(index: Int) -> T? {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// Every slot's value; each must have been filled.
    public var values: [T] { (0..<count).map { storage[$0]! } }
}
