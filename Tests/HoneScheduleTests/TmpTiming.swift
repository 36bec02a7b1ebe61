import Foundation
import Testing
@testable import Hone

@Test func tmpTiming() throws {
    let compiler = try Compiler()
    let name = ProcessInfo.processInfo.environment["TMP_KERNEL"] ?? "depthwise_conv2d"
    let variants = try (0..<4).map { try ShippedKernels.small(name, variant: $0) }
    var generators = variants.enumerated().map { RandomScheduleGenerator(kernel: $1, seed: UInt64($0 + 1) &* 0x9E37_79B9 ^ stableSeed(name)) }
    let start = Int(ProcessInfo.processInfo.environment["TMP_START"] ?? "0")!
    for trial in 0..<1000 {
        let v = trial % 4
        let s = generators[v].next()
        if trial < start { continue }
        let nest = try lower(variants[v], schedule: s)
        let t = Date()
        let c = try compiler.jit(nest)
        let j = Date().timeIntervalSince(t)
        let t2 = Date()
        let b = KernelBuffers(kernel: variants[v], seed: 1)
        c.run(b.buffers)
        let r = Date().timeIntervalSince(t2)
        if j + r > 2 {
            print("TRIAL \(trial) size \(estimatedCodeSize(nest.body)) jit \(j) run \(r)")
            try s.json().write(toFile: "/tmp/slow-\(name)-\(trial).json", atomically: true, encoding: .utf8)
            FileHandle.standardError.write("TRIAL \(trial) jit \(j) run \(r)\n".data(using: .utf8)!)
        }
    }
}
