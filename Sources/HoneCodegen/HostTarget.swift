internal import CLLVM
import Foundation
import HoneIR

/// The CPU Hone generates code for: the host's triple, CPU name and features,
/// as LLVM reports them.
public struct HostTarget: Sendable, Hashable, Codable {
    public var triple: String
    public var cpu: String
    public var features: String

    /// The machine this process runs on.
    public static let host: HostTarget = {
        initializeLLVM()
        return HostTarget(triple: takeString(LLVMGetDefaultTargetTriple()),
                          cpu: takeString(LLVMGetHostCPUName()),
                          features: takeString(LLVMGetHostCPUFeatures()))
    }()

    /// The vector registers LLVM may use on this target.
    public var registers: RegisterFile { RegisterFile(cpuFeatures: features) }

    /// 32-bit lanes of the widest vector registers LLVM may use (16 with
    /// AVX-512, 8 with AVX or AVX2, 4 otherwise): what a search sizes vector tiles by.
    public var float32Lanes: Int { registers.vectorBytes / 4 }

    /// A target machine for this target: position-independent code at the pipeline's machine-code level.
    func makeTargetMachine(_ pipeline: CompilePipeline = .o3) throws -> LLVMTargetMachineRef {
        var target: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple(triple, &target, &message) == 0, let target else {
            throw HoneError("LLVM does not support target \(triple): \(takeString(message))")
        }
        guard let machine = LLVMCreateTargetMachine(target, triple, cpu, features,
                                                    pipeline.machineCodeLevel, LLVMRelocPIC, LLVMCodeModelDefault) else {
            throw HoneError("LLVM could not create a target machine for \(cpu) (\(triple))")
        }
        return machine
    }
}

private let llvmInitialized: Bool = {
    LLVMInitializeNativeTarget()
    LLVMInitializeNativeAsmPrinter()
    LLVMInitializeNativeAsmParser()
    setCodeGenerationOptions(LLVMCodeGenerationOptions.all)
    return true
}()

/// LLVM options Hone sets once per process, for every compile (search,
/// final timing and written objects alike, so what is timed is what ships).
enum LLVMCodeGenerationOptions {
    /// The machine schedulers (before and after register allocation) build a
    /// dependence graph whose memory edges grow with the square of a block's
    /// loads and stores. A fully unrolled register tile makes blocks of
    /// thousands: single candidates spent 5-11 s there out of 6-12 s of
    /// compile. Past this many memory nodes LLVM's own compile-time guard
    /// (default 1000) chains them in groups instead; on the search's
    /// candidates it changes no code below that size.
    static let hugeSchedulingRegion = 200

    static var all: [String] {
        ["-dag-maps-huge-region=\(hugeSchedulingRegion)"]
    }
}

/// Parses options as LLVM's tools do; LLVM keeps them in process-wide state.
private func setCodeGenerationOptions(_ options: [String]) {
    let arguments = ["hone"] + options
    let pointers = arguments.map { strdup($0).map { UnsafePointer($0) } }
    defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
    pointers.withUnsafeBufferPointer { buffer in
        LLVMParseCommandLineOptions(Int32(buffer.count), buffer.baseAddress, nil)
    }
}

func initializeLLVM() { _ = llvmInitialized }

/// Copies and frees a string LLVM allocated for us.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { LLVMDisposeMessage(pointer) }
    return String(cString: pointer)
}

/// Turns an LLVMErrorRef into a thrown HoneError (and consumes it).
func check(_ error: LLVMErrorRef?, _ what: String) throws {
    guard let error else { return }
    let message = LLVMGetErrorMessage(error)
    defer { LLVMDisposeErrorMessage(message) }
    throw HoneError("\(what): \(message.map { String(cString: $0) } ?? "unknown LLVM error")")
}
