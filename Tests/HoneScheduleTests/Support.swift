import Foundation
import Testing
@testable import Hone

/// The kernels shipped in Kernels/, loaded at small parameter values.
enum ShippedKernels {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Kernels")

    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".hone") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent("\(name).hone").path }

    static func load(_ name: String, _ overrides: [String: Int] = [:]) throws -> Kernel {
        try Kernel.load(path: path(name), overrides: overrides)
    }

    /// Small values, primes among them so that splits leave tails.
    static let smallValues = [5, 7, 13, 8, 3, 16, 4, 11, 2, 9]

    /// Variant `variant` of a kernel: each parameter takes one of the small
    /// values (at most its default, so strides and batch sizes stay as
    /// written), varied across variants and parameters.
    static func small(_ name: String, variant: Int) throws -> Kernel {
        let defaults = try load(name).parameters
        var overrides: [String: Int] = [:]
        for (i, parameter) in defaults.enumerated() {
            overrides[parameter.name] = min(parameter.value, smallValues[(variant * 3 + i * 7) % smallValues.count])
        }
        return try load(name, overrides)
    }
}

/// A kernel compiled under a schedule, run on seeded inputs and checked
/// against the interpreter over every output element.
struct ScheduledRun {
    var nest: LoopNest
    var verification: Verification

    var passed: Bool { verification.comparison.passed && verification.isComplete }
}

/// Lowers, JIT-compiles and runs `kernel` under `schedule`, then verifies the
/// whole output. The output starts as NaN so an element the code never
/// writes cannot pass by accident.
func run(_ kernel: Kernel, _ schedule: Schedule, compiler: Compiler, seed: UInt64 = 1) throws -> ScheduledRun {
    let nest = try lower(kernel, schedule: schedule)
    return try run(kernel, nest, compiler: compiler, seed: seed)
}

func run(_ kernel: Kernel, _ nest: LoopNest, compiler: Compiler, seed: UInt64 = 1) throws -> ScheduledRun {
    let compiled = try compiler.jit(nest)
    let buffers = KernelBuffers(kernel: kernel, seed: seed)
    if buffers.output.type.isFloat { buffers.output.fill(with: Array(repeating: .nan, count: buffers.output.count)) }
    compiled.run(buffers.buffers)
    return ScheduledRun(nest: nest, verification: try verify(buffers, mode: .full))
}

/// A failure message that lets anyone replay the case.
func describe(_ kernel: Kernel, _ schedule: Schedule, _ result: ScheduledRun) -> String {
    let parameters = kernel.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    return "\(kernel.name) \(parameters): \(result.verification.summary)\nschedule:\n\(schedule.json())\nloop nest:\n\(result.nest)"
}

/// Every loop in a nest, outermost first.
func allLoops(_ stmt: Stmt) -> [Loop] {
    switch stmt {
    case .loop(let loop): return [loop] + allLoops(loop.body)
    case .store: return []
    case .allocate(_, let body), .letStmt(_, _, let body): return allLoops(body)
    case .ifThenElse(_, let then, let otherwise, _): return allLoops(then) + (otherwise.map(allLoops) ?? [])
    case .block(let stmts): return stmts.flatMap(allLoops)
    }
}

/// Every allocation in a nest, with the loop variables around it.
func allocations(_ stmt: Stmt, inside loops: [String] = []) -> [(buffer: Buffer, loops: [String])] {
    switch stmt {
    case .loop(let loop): return allocations(loop.body, inside: loops + [loop.variable])
    case .store: return []
    case .allocate(let buffer, let body): return [(buffer, loops)] + allocations(body, inside: loops)
    case .letStmt(_, _, let body): return allocations(body, inside: loops)
    case .ifThenElse(_, let then, let otherwise, _): return allocations(then, inside: loops) + (otherwise.map { allocations($0, inside: loops) } ?? [])
    case .block(let stmts): return stmts.flatMap { allocations($0, inside: loops) }
    }
}
