import ArgumentParser
import Hone

struct IRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ir",
        abstract: "Print what Hone generates for a kernel.",
        discussion: """
            --emit loops     the lowered loop nest (Hone's loop IR)
            --emit llvm      LLVM IR as generated, before optimization
            --emit llvm-opt  LLVM IR after the O3 pipeline for this CPU
            --emit asm       the host assembly
            Example: hone ir Kernels/gemm.hone --emit loops --set M=64,N=64,K=64
            """)

    enum Form: String, ExpressibleByArgument, CaseIterable {
        case loops, llvm, llvmOpt = "llvm-opt", asm
    }

    @OptionGroup var kernelOptions: KernelOptions
    @OptionGroup var scheduleOptions: ScheduleOptions

    @Option(help: "What to print: loops, llvm, llvm-opt or asm.")
    var emit: Form = .loops

    func run() throws {
        try reportingErrors {
            let nest = try scheduleOptions.lower(try kernelOptions.load())
            switch emit {
            case .loops: print(nest, terminator: "")
            case .llvm: print(try Compiler().llvmIR(nest, .unoptimized), terminator: "")
            case .llvmOpt: print(try Compiler().llvmIR(nest, .optimized), terminator: "")
            case .asm: print(try Compiler().assembly(nest), terminator: "")
            }
        }
    }
}
