import ArgumentParser
import Hone

/// `hone worker`: the measurement worker a `WorkerMeasurer` starts. Not for
/// people: it speaks JSON Lines on stdin and stdout (see `WorkerServer`).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Measure candidates sent as JSON lines on stdin (used by hone measure).",
        shouldDisplay: false)

    func run() throws {
        try WorkerServer.serve()
    }
}
