import Foundation
import Hone

/// A kernel compiled under a schedule, run on seeded inputs and checked
/// against the interpreter over every output element.
public struct ScheduledRun {
    public var nest: LoopNest
    public var verification: Verification

    public var passed: Bool { verification.comparison.passed && verification.isComplete }
}

/// Lowers, JIT-compiles and runs `kernel` under `schedule`, then verifies the
/// whole output. The output starts as NaN so an element the code never
/// writes cannot pass by accident.
public func run(_ kernel: Kernel, _ schedule: Schedule, compiler: Compiler, seed: UInt64 = 1) throws -> ScheduledRun {
    try run(kernel, try lower(kernel, schedule: schedule), compiler: compiler, seed: seed)
}

public func run(_ kernel: Kernel, _ nest: LoopNest, compiler: Compiler, seed: UInt64 = 1) throws -> ScheduledRun {
    let compiled = try compiler.jit(nest)
    let buffers = KernelBuffers(kernel: kernel, seed: seed)
    if buffers.output.type.isFloat { buffers.output.fill(with: Array(repeating: .nan, count: buffers.output.count)) }
    compiled.run(buffers.buffers)
    return ScheduledRun(nest: nest, verification: try verify(buffers, mode: .full))
}

/// A failure message that lets anyone replay the case.
public func describe(_ kernel: Kernel, _ schedule: Schedule, _ result: ScheduledRun) -> String {
    let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    return "\(kernel.name) \(parameters): \(result.verification.summary)\nschedule:\n\(schedule.json())\nloop nest:\n\(result.nest)"
}
