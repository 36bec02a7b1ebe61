import Foundation
import HoneIR

/// The worker side of out-of-process measurement (`hone worker`): reads one
/// `TrialRequest` per line on stdin, answers with `TrialEvent` lines on
/// stdout (`ready` once, then per request `compiling`, `compiled`, `result`),
/// and exits at end of input.
///
/// Anything else the process prints to stdout (a library, a kernel) is sent
/// to stderr instead, so the protocol stream stays clean. SIGINT is ignored:
/// the parent decides when to stop (on Ctrl-C it finishes the current
/// candidate and closes the pipe).
public enum WorkerServer {
    public static func serve() throws -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let protocolOut = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func send(_ event: TrialEvent) {
            guard var data = try? encoder.encode(event) else { return }
            data.append(UInt8(ascii: "\n"))
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(protocolOut, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 { if errno == EINTR { continue }; exit(0) }  // the parent is gone
                    offset += n
                }
            }
        }

        exitWhenOrphaned()
        let runner = try CandidateRunner()
        var ready = TrialEvent(.ready)
        ready.pid = getpid()
        send(ready)

        let decoder = JSONDecoder()
        while let line = readLine(strippingNewline: true) {
            if line.isEmpty { continue }
            let request: TrialRequest
            do {
                request = try decoder.decode(TrialRequest.self, from: Data(line.utf8))
            } catch {
                var event = TrialEvent(.result, id: nil)
                event.error = MeasureError(.unknown, "malformed request: \(error)")
                send(event)
                continue
            }
            let result = runner.run(request, progress: send)
            send(result)
        }
        exit(0)
    }
}

/// A worker whose parent died (a crash, a SIGKILL) must not run on: a
/// candidate stuck in an endless loop never reads its closed input. A
/// watchdog thread ends the process once it is reparented.
private func exitWhenOrphaned() {
    let parent = getppid()
    let watchdog = Thread {
        while getppid() == parent { usleep(500_000) }
        _exit(0)
    }
    watchdog.start()
}
