import Foundation
import HoneIR
import HoneMeasure
import HoneSchedule

/// The schedule a tuning run ships, as a schedule file with its provenance
/// (like Halide's machine-generated schedules): the tool, the date, the
/// kernel and target it was measured on and its median time, then the steps.
/// `Schedule.load` reads it as any schedule file (it ignores the other keys).
public func tunedScheduleFile(_ schedule: Schedule, seconds: Double, kernel: Kernel, target: TargetInfo, date: Date = Date()) -> String {
    let steps = schedule.json().split(separator: "\n").dropFirst().dropLast().joined(separator: "\n")
    let parameters = kernel.parameters.map { "\"\($0.name)\": \($0.value)" }.joined(separator: ", ")
    return """
        {
          "generated_by": "hone tune \(honeVersion)",
          "date": "\(ISO8601DateFormatter().string(from: date))",
          "kernel": {"name": "\(kernel.name)", "parameters": {\(parameters)}},
          "target": {"cpu": "\(target.cpu)", "features_hash": "\(target.featuresHash)", "threads": \(target.threads)},
          "median_s": \(seconds),
        \(steps)
        }

        """
}
