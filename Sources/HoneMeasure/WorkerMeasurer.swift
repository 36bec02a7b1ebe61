import Foundation
import HoneIR
import HoneSchedule

/// Measures candidates in a long-lived worker process (`hone worker`), so a
/// candidate that crashes, hangs or compiles forever costs one error record,
/// never the run.
///
/// Per candidate, three clocks (none counts time spent waiting in a queue):
/// - preparing: from the request to the worker's `compiling` event (parsing
///   the kernel, computing its reference output once per kernel and seed):
///   `referenceTimeout`;
/// - compiling: `compiling` to `compiled`: `compileTimeout`, or the
///   policy's `compileLimit(typical:)` when that is shorter;
/// - the first run: `compiled` to `ran`: the policy's `firstRunTimeout(best:)`
///   (a candidate far slower than it may be is abandoned, not waited for);
/// - running: `ran` to the result (`compiled` to the result when the policy
///   sets no first-run timeout): the policy's `runTimeout(best:)`.
/// On a timeout the worker is killed (SIGKILL) and reaped; when it dies by
/// itself, the signal is recorded (`runtime_crash: SIGSEGV ...`). Either way
/// the next candidate starts a fresh worker, which reads the kernel's
/// reference output back from `ReferenceCache` instead of recomputing it.
public final class WorkerMeasurer {
    public let executable: URL
    public let options: MeasureOptions
    /// Set from a signal handler: stop after the current candidate, or abort it.
    public let stopFlag: StopFlag
    /// Progress messages (worker restarts); nil to stay quiet.
    public var log: ((String) -> Void)?
    /// How many times a worker was started after the first.
    public private(set) var restarts = 0

    private var worker: WorkerProcess?
    private var started = 0
    private var nextID = 0
    /// The workers' `ReferenceCache` (made on first use, removed with this measurer).
    private lazy var referenceDirectory: String? = {
        var template = Array((NSTemporaryDirectory() + "/hone-references-XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
    }()

    /// `executable` is the `hone` binary to run as `hone worker`; by default
    /// this process's own executable (right when the caller is `hone` itself).
    public init(executable: URL? = nil, options: MeasureOptions = MeasureOptions(), stopFlag: StopFlag = StopFlag()) {
        signal(SIGPIPE, SIG_IGN)  // a dead worker must not kill us through its stdin
        self.executable = executable ?? currentExecutable()
        self.options = options
        self.stopFlag = stopFlag
    }

    deinit {
        worker?.shutDown()
        if let referenceDirectory { try? FileManager.default.removeItem(atPath: referenceDirectory) }
    }

    /// The worker's process id (nil when none is running).
    public var workerPID: Int32? { worker?.pid }

    /// Stops the worker (it exits at end of input).
    public func shutDown() {
        worker?.shutDown()
        worker = nil
    }

    /// Measures candidates one after another, the slow rules relative to the
    /// best of the batch so far; stops early (a prefix) only when asked to.
    public func measure(_ batch: [MeasureInput], policy: TrialPolicy) -> [MeasureResult] {
        var results: [MeasureResult] = []
        var best: Double?
        for input in batch {
            guard !stopFlag.isStopped, let result = measure(input, policy: policy, best: best) else { break }
            if let s = result.seconds { best = min(best ?? .infinity, s) }
            results.append(result)
        }
        return results
    }

    /// Measures one candidate; nil when aborted through the stop flag.
    /// `best` is the best median so far of the candidate's task, which the policy's slow rules are relative to;
    /// `typicalCompile` the median compile seconds of its candidates so far, which its compile limit is relative to.
    public func measure(_ input: MeasureInput, policy: TrialPolicy, best: Double?, typicalCompile: Double? = nil) -> MeasureResult? {
        let start = now()
        guard case .result(var result)? = attempt(input, policy: policy, best: best, typicalCompile: typicalCompile, stage: nil) else { return nil }
        result.phases.total = now() - start
        return result
    }

    /// A candidate compiled by `prepare`, kept in the worker until `measure(prepared:)`.
    public struct Prepared: Sendable {
        let id: Int
        let pid: Int32
        let input: MeasureInput
    }

    /// The first half of a trial: compiles the candidate in the worker and
    /// keeps it there. Returns the kept candidate, or the trial's result when
    /// compiling failed; nil when aborted.
    public func prepare(_ input: MeasureInput, policy: TrialPolicy, typicalCompile: Double? = nil) -> Result<Prepared, MeasureFailure>? {
        let start = now()
        switch attempt(input, policy: policy, best: nil, typicalCompile: typicalCompile, stage: .compile) {
        case .prepared(let id, let pid)?: return .success(Prepared(id: id, pid: pid, input: input))
        case .result(var result)?:
            result.phases.total = now() - start
            return .failure(MeasureFailure(result: result))
        case nil: return nil
        }
    }

    /// The second half: runs, checks and times a prepared candidate. When
    /// its worker is gone (it crashed on another candidate), the candidate
    /// is measured whole.
    public func measure(prepared: Prepared, policy: TrialPolicy, best: Double?) -> MeasureResult? {
        guard worker?.pid == prepared.pid else { return measure(prepared.input, policy: policy, best: best) }
        let start = now()
        guard case .result(var result)? = attempt(prepared.input, policy: policy, best: best, stage: .run, id: prepared.id) else { return nil }
        result.phases.total = result.phases.compiling + now() - start
        return result
    }

    private enum Outcome {
        case result(MeasureResult)
        case prepared(id: Int, pid: Int32)
    }

    private func attempt(_ input: MeasureInput, policy: TrialPolicy, best: Double?, typicalCompile: Double? = nil, stage: TrialStage?,
                         id keptID: Int? = nil) -> Outcome? {
        // A worker, started if needed; one retry when the old one turns out dead.
        for retry in 0..<2 {
            let worker: WorkerProcess
            do {
                worker = try runningWorker()
            } catch {
                return .result(MeasureResult(.failure(MeasureError(.unknown, "cannot start the worker \(executable.path): \(error)"))))
            }
            let id: Int
            if let keptID { id = keptID } else { nextID += 1; id = nextID }
            let request = TrialRequest(id: id, kernel: input.task.spec, seed: input.task.seed, schedule: input.schedule,
                                       timing: policy.timing, threads: options.threads, slowLimit: policy.firstRunLimit(best: best),
                                       singleBatchLimit: policy.singleBatchLimit(best: best),
                                       pipeline: policy.pipeline == .o3 ? nil : policy.pipeline, referenceCache: referenceDirectory,
                                       fault: input.fault, stage: stage)
            let runTimeout = policy.runTimeout(best: best)
            let firstRunTimeout = policy.firstRunTimeout(best: best)
            let compileTimeout = min(options.compileTimeout, policy.compileLimit(typical: typicalCompile) ?? .infinity)
            guard worker.send(request) else {
                discardWorker()
                if retry == 0 && stage != .run { continue }
                return .result(MeasureResult(.failure(MeasureError(.unknown, "cannot send the request to the worker"))))
            }
            return waitForResult(id: id, on: worker, compileTimeout: compileTimeout, firstRunTimeout: firstRunTimeout, runTimeout: runTimeout)
        }
        return nil
    }

    private enum Phase { case preparing, compiling, firstRun, running }

    private func waitForResult(id: Int, on worker: WorkerProcess, compileTimeout: Double, firstRunTimeout: Double?,
                               runTimeout: Double) -> Outcome? {
        var phase = Phase.preparing
        var deadline = now() + options.referenceTimeout
        while true {
            switch worker.nextEvent(deadline: deadline, stopFlag: stopFlag) {
            case .event(let event):
                guard event.id == id || event.id == nil else { continue }  // stale
                switch event.event {
                case .ready: continue
                case .compiling:
                    phase = .compiling
                    deadline = now() + compileTimeout
                case .compiled:
                    if let firstRunTimeout {
                        phase = .firstRun
                        deadline = now() + firstRunTimeout
                    } else {
                        phase = .running
                        deadline = now() + runTimeout
                    }
                case .ran:
                    if phase == .firstRun {
                        phase = .running
                        deadline = now() + runTimeout
                    }
                case .prepared:
                    return .prepared(id: id, pid: worker.pid)
                case .result:
                    return .result(event.result)
                }
            case .aborted:
                discardWorker()
                return nil
            case .timedOut:
                let pid = worker.pid
                discardWorker()
                let error: MeasureError
                switch phase {
                case .preparing:
                    error = MeasureError(.unknown, "preparing the kernel (its reference output) took longer than \(formatDuration(options.referenceTimeout))")
                case .compiling:
                    error = MeasureError(.compileTimeout, "compiling took longer than the compile timeout of \(formatDuration(compileTimeout))")
                case .firstRun:
                    error = MeasureError(.runTimeout, "too slow: its first run was still going after \(formatDuration(firstRunTimeout ?? 0)), "
                                         + "well over the limit set from the kernel's work or the best time so far; abandoned")
                case .running:
                    error = MeasureError(.runTimeout, "hang: still running after the run timeout of \(formatDuration(runTimeout))")
                }
                log?("worker \(pid): \(error.kind.rawValue); killed it (SIGKILL), a new worker takes the next candidate")
                return .result(MeasureResult(.failure(error)))
            case .closed(let status, let stderrTail):
                let pid = worker.pid
                discardWorker()
                let how = describe(status)
                let detail = stderrTail.isEmpty ? "" : "; stderr: \(stderrTail)"
                let error: MeasureError
                switch phase {
                case .preparing: error = MeasureError(.unknown, "the worker died while preparing the kernel (\(how))\(detail)")
                case .compiling: error = MeasureError(.compileError, "the compiler crashed (\(how))\(detail)")
                case .firstRun, .running: error = MeasureError(.runtimeCrash, "\(how)\(detail)")
                }
                log?("worker \(pid): \(error.kind.rawValue) (\(how)); a new worker takes the next candidate")
                return .result(MeasureResult(.failure(error)))
            }
        }
    }

    private func runningWorker() throws -> WorkerProcess {
        if let worker { return worker }
        if started > 0 { restarts += 1 }
        started += 1
        let worker = try WorkerProcess(executable: executable)
        do {
            try worker.waitUntilReady(timeout: 120)
        } catch {
            worker.kill()
            throw error
        }
        self.worker = worker
        return worker
    }

    private func discardWorker() {
        worker?.kill()
        worker = nil
    }
}

/// This process's executable (`/proc/self/exe` on Linux).
func currentExecutable() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return URL(fileURLWithPath: path)
    }
    return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
}

/// A wait status as words: "SIGSEGV (segmentation fault)", "exit status 3".
func describe(_ status: Int32) -> String {
    let signal = status & 0x7f
    if signal == 0 { return "the worker exited with status \((status >> 8) & 0xff)" }
    let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
                                  SIGABRT: "SIGABRT", SIGTRAP: "SIGTRAP", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM"]
    let name = names[signal] ?? "signal \(signal)"
    let text = strsignal(signal).map { String(cString: $0).lowercased() } ?? ""
    return "\(name) (\(text))"
}

/// One `hone worker` child: pipes to its stdin, stdout and stderr.
final class WorkerProcess {
    let pid: Int32
    private let input: Int32
    private let output: Int32
    private let errors: Int32
    private var outputBuffer: [UInt8] = []
    private var stderrTail: [UInt8] = []
    private var outputClosed = false
    private var reaped = false
    private var inputOpen = true
    private var status: Int32 = 0
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    enum Next {
        case event(TrialEvent)
        case timedOut
        case aborted
        /// The worker closed its output (it died); its wait status and last stderr.
        case closed(status: Int32, stderr: String)
    }

    init(executable: URL) throws {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw HoneError("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Not inherited by other children (the dup2'ed copies in this one are).
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], STDERR_FILENO)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = ProcessInfo.processInfo.environment
        // A crash should end the worker at once, not after a symbolicated backtrace.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let arguments = [executable.path, "worker"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: Int32 = 0
        let rc = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw HoneError("cannot run \(executable.path) worker: \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        input = inPipe[1]
        output = outPipe[0]
        errors = errPipe[0]
        encoder.outputFormatting = [.sortedKeys]
    }

    deinit {
        kill()
        if inputOpen { close(input) }
        close(output)
        close(errors)
    }

    func waitUntilReady(timeout: Double) throws {
        let deadline = now() + timeout
        while true {
            switch nextEvent(deadline: deadline, stopFlag: nil) {
            case .event(let event) where event.event == .ready: return
            case .event: continue
            case .timedOut, .aborted: throw HoneError("the worker did not start within \(Int(timeout)) s")
            case .closed(let status, let stderr):
                throw HoneError("the worker exited at start-up (\(describe(status)))\(stderr.isEmpty ? "" : ": \(stderr)")")
            }
        }
    }

    /// Writes one request line; false when the worker is gone.
    func send(_ request: TrialRequest) -> Bool {
        guard var data = try? encoder.encode(request) else { return false }
        data.append(UInt8(ascii: "\n"))
        stderrTail.removeAll()
        return data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(input, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// The next event, or why there is none.
    func nextEvent(deadline: Double, stopFlag: StopFlag?) -> Next {
        while true {
            if let line = takeLine() {
                if let event = try? decoder.decode(TrialEvent.self, from: Data(line)) { return .event(event) }
                stderrTail += Array("unexpected worker output: ".utf8) + line + [10]
                continue
            }
            if outputClosed {
                return .closed(status: reap(), stderr: tail())
            }
            if stopFlag?.isAborted == true { return .aborted }
            let remaining = deadline - now()
            if remaining <= 0 { return .timedOut }
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0), pollfd(fd: errors, events: Int16(POLLIN), revents: 0)]
            // Wake up at least every 100 ms to notice an abort.
            let rc = poll(&fds, 2, Int32(min(remaining, 0.1) * 1000) + 1)
            if rc < 0 && errno != EINTR { return .closed(status: reap(), stderr: tail()) }
            if fds[1].revents != 0 { drain(errors, into: &stderrTail, limit: 4096) }
            if fds[0].revents != 0 {
                if !drain(output, into: &outputBuffer, limit: nil) { outputClosed = true }
            }
        }
    }

    /// Reads what is available; false at end of file.
    @discardableResult
    private func drain(_ fd: Int32, into buffer: inout [UInt8], limit: Int?) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 { return errno == EINTR || errno == EAGAIN }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        if let limit, buffer.count > limit { buffer.removeFirst(buffer.count - limit) }
        return true
    }

    private func takeLine() -> [UInt8]? {
        guard let newline = outputBuffer.firstIndex(of: 10) else { return nil }
        let line = Array(outputBuffer[..<newline])
        outputBuffer.removeFirst(newline + 1)
        return line
    }

    private func tail() -> String {
        // Drain what the worker wrote last, without blocking.
        var fds = [pollfd(fd: errors, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 1, 0) > 0, fds[0].revents != 0, drain(errors, into: &stderrTail, limit: 4096) { fds[0].revents = 0 }
        let text = String(decoding: stderrTail, as: UTF8.self)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let last = lines.suffix(3).joined(separator: " | ")
        return last.count > 400 ? String(last.suffix(400)) : last
    }

    /// Waits for the process (killing it if it lingers) and returns its wait status.
    @discardableResult
    private func reap() -> Int32 {
        if reaped { return status }
        let deadline = now() + 2
        while true {
            var s: Int32 = 0
            let rc = waitpid(pid, &s, WNOHANG)
            if rc == pid { status = s; break }
            if rc < 0 && errno != EINTR { break }
            if now() > deadline { Glibc.kill(pid, SIGKILL); _ = waitpid(pid, &s, 0); status = s; break }
            usleep(1000)
        }
        reaped = true
        return status
    }

    func kill() {
        guard !reaped else { return }
        Glibc.kill(pid, SIGKILL)
        var s: Int32 = 0
        while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
        status = s
        reaped = true
    }

    /// Closes the worker's input (it exits) and reaps it.
    func shutDown() {
        guard !reaped else { return }
        if inputOpen { close(input); inputOpen = false }
        reap()
    }
}

/// A trial that ended before its run: its result (a compile error, a timeout).
public struct MeasureFailure: Error, Sendable {
    public var result: MeasureResult
}
