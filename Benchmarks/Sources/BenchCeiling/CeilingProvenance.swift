import Foundation

/// Benchmarks/ceilings/CPU/ROW.provenance.json: what a reader needs to
/// trust (or redo) a stored ceiling, written beside its schedule and the
/// command that made it.
public struct CeilingProvenance: Codable, Equatable, Sendable {
    /// Bumped when a field changes meaning; older files are refused, not misread.
    public static let currentFormat = 1

    public var format: Int
    public var row: String
    /// Kernels/NAME.hone and the --set parameters, as Benchmarks/suite.tsv gives them.
    public var kernel: String
    public var parameters: String
    /// The kernel's identity hash when the ceiling was made: a ceiling of a
    /// changed kernel may no longer lower.
    public var kernelHash: String
    /// The CPU as LLVM names it (the folder's name) and as /proc/cpuinfo does.
    public var cpu: String
    public var cpuModel: String
    public var threads: Int
    /// Where the schedule came from, and the other sources that proposed the same schedule.
    public var source: CeilingSource
    public var alsoFrom: [CeilingSource]
    /// Its median in the sitting that kept it, over `rounds` alternating
    /// rounds, and their spread ((max − min) / median; above 0.1 the
    /// machine was too busy to trust the choice).
    public var seconds: Double
    public var spread: Double
    public var rounds: Int
    /// Every candidate's median in that sitting, by name.
    public var candidates: [String: Double]
    /// Measured records in the long run's file at the time.
    public var longRunTrials: Int
    /// UTC, ISO 8601.
    public var date: String
    /// Hone's version and git commit.
    public var hone: String
    /// The machine's load averages before and after the timing.
    public var load: String

    public init(row: String, kernel: String, parameters: String, kernelHash: String, cpu: String, cpuModel: String, threads: Int,
                source: CeilingSource, alsoFrom: [CeilingSource], seconds: Double, spread: Double, rounds: Int, candidates: [String: Double],
                longRunTrials: Int, date: String, hone: String, load: String) {
        format = Self.currentFormat
        self.row = row; self.kernel = kernel; self.parameters = parameters; self.kernelHash = kernelHash
        self.cpu = cpu; self.cpuModel = cpuModel; self.threads = threads
        self.source = source; self.alsoFrom = alsoFrom; self.seconds = seconds; self.spread = spread; self.rounds = rounds; self.candidates = candidates
        self.longRunTrials = longRunTrials; self.date = date; self.hone = hone; self.load = load
    }

    /// Pretty, key-sorted JSON, stable for diffs.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads a provenance file; a missing or foreign one is an error naming the file.
    public static func load(path: String) throws -> CeilingProvenance {
        guard let data = FileManager.default.contents(atPath: path) else { throw CeilingFileError("cannot read \(path)") }
        struct Header: Decodable { var format: Int }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw CeilingFileError("\(path): not a ceiling provenance file (no format number)")
        }
        guard header.format == currentFormat else {
            throw CeilingFileError("\(path): format \(header.format), this build reads format \(currentFormat)")
        }
        do {
            return try JSONDecoder().decode(CeilingProvenance.self, from: data)
        } catch {
            throw CeilingFileError("\(path): not a valid ceiling provenance file: \(error)")
        }
    }
}

/// A ceiling file that cannot be read.
public struct CeilingFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
