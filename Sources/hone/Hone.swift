import ArgumentParser
import Hone

@main
struct HoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hone", abstract: "Tune tensor kernels for this CPU.")
    func run() throws { print(HostTarget.host.cpu) }
}
