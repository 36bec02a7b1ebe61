import Foundation
import HoneIR
import HoneMeasure
import HoneSchedule

/// The schedule a tuning run ships, as a schedule file with its provenance
/// (like Halide's machine-generated schedules): the tool, the date, the
/// kernel and target it was measured on and its median time, then the
/// schedule's own members (`steps`) at the top level, so `Schedule.load`
/// reads it as any schedule file (it ignores the other keys). Kernel and
/// target members are spelled as in records.
///
/// `json()` writes it through JSONEncoder with sorted keys, as every
/// schedule file is written (`Schedule.json()`): strings are escaped, and
/// files of two runs differ only where the runs do.
public struct TunedScheduleFile: Codable, Hashable, Sendable {
    /// `hone tune VERSION`.
    public var generatedBy: String
    /// ISO 8601, as records write it (`iso8601`).
    public var date: String
    public var kernelName: String
    /// Kept by name: an object's members have no order in JSON.
    public var parameters: [String: Int]
    public var target: TargetInfo
    public var medianSeconds: Double
    public var schedule: Schedule

    public init(_ schedule: Schedule, seconds: Double, kernel: KernelIdentity, target: TargetInfo, date: Date = Date()) {
        generatedBy = "hone tune \(honeVersion)"
        self.date = iso8601(date)
        kernelName = kernel.name
        parameters = Dictionary(kernel.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        self.target = target
        medianSeconds = seconds
        self.schedule = schedule
    }

    private enum CodingKeys: String, CodingKey {
        case generatedBy = "generated_by", date, kernel, target, medianSeconds = "median_s"
    }

    private typealias KernelKeys = MeasureRecord.KernelKeys
    private typealias TargetKeys = MeasureRecord.TargetKeys

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        generatedBy = try c.decode(String.self, forKey: .generatedBy)
        date = try c.decode(String.self, forKey: .date)
        let k = try c.nestedContainer(keyedBy: KernelKeys.self, forKey: .kernel)
        kernelName = try k.decode(String.self, forKey: .name)
        parameters = try k.decode([String: Int].self, forKey: .parameters)
        let t = try c.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
        target = TargetInfo(cpu: try t.decode(String.self, forKey: .cpu), featuresHash: try t.decode(String.self, forKey: .featuresHash),
                            threads: try t.decode(Int.self, forKey: .threads))
        medianSeconds = try c.decode(Double.self, forKey: .medianSeconds)
        schedule = try Schedule(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generatedBy, forKey: .generatedBy)
        try c.encode(date, forKey: .date)
        var k = c.nestedContainer(keyedBy: KernelKeys.self, forKey: .kernel)
        try k.encode(kernelName, forKey: .name)
        try k.encode(parameters, forKey: .parameters)
        var t = c.nestedContainer(keyedBy: TargetKeys.self, forKey: .target)
        try t.encode(target.cpu, forKey: .cpu)
        try t.encode(target.featuresHash, forKey: .featuresHash)
        try t.encode(target.threads, forKey: .threads)
        try c.encode(medianSeconds, forKey: .medianSeconds)
        try schedule.encode(to: encoder)  // the schedule's members beside these
    }

    /// Reads a schedule file written by `json()`.
    public static func load(_ path: String) throws -> TunedScheduleFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw HoneError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(TunedScheduleFile.self, from: data)
        } catch {
            throw HoneError("\(path): not a tuned schedule file: \(error)")
        }
    }

    /// Whether both files are for the same kernel, parameters and target.
    public func describes(_ other: TunedScheduleFile) -> Bool {
        kernelName == other.kernelName && parameters == other.parameters && target == other.target
    }

    /// The file's text: pretty, keys sorted, ending with a newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
