import ArgumentParser
import Foundation
import Hone

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Write an object file and a C header for a kernel.",
        discussion: """
            The object defines `void KERNEL(const float *in..., float *out)` for this CPU; \
            the header declares it and documents every shape as #defines.
            Example: hone compile Kernels/gemm.hone -o gemm.o   (also writes gemm.h)
            """)

    @OptionGroup var kernelOptions: KernelOptions
    @OptionGroup var scheduleOptions: ScheduleOptions

    @Option(name: .shortAndLong, help: "The object file to write.")
    var output: String

    @Option(help: "The header to write (default: the object's path with .h).")
    var header: String?

    func run() throws {
        try reportingErrors {
            let kernel = try kernelOptions.load()
            let nest = try scheduleOptions.lower(kernel)
            let compiler = try Compiler()
            try compiler.writeObject(nest, to: output)
            let headerPath = header ?? (output.hasSuffix(".o") ? String(output.dropLast(2)) : output) + ".h"
            do {
                try cHeader(for: kernel, nest: nest, target: compiler.target, usesOpenMP: nest.body.containsParallelLoop).write(toFile: headerPath, atomically: true, encoding: .utf8)
            } catch {
                throw HoneError("cannot write \(headerPath): \(error.localizedDescription)")
            }
            print("wrote \(output) and \(headerPath)")
        }
    }
}
