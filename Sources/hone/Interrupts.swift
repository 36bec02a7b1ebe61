import Dispatch
import Foundation
import Hone

/// Ctrl-C for long measuring commands: the first stops after the current
/// candidate (everything measured is kept), the second abandons it.
/// Returns the signal source; cancel it when the command is done.
func stopOnInterrupt(_ stop: StopFlag) -> DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
        if stop.isStopped {
            stop.abort()
            printError("\ninterrupted again: abandoning the current candidate")
        } else {
            stop.stop()
            printError("\ninterrupted: stopping after the current candidate (Ctrl-C again to abandon it)")
        }
    }
    source.resume()
    return source
}
