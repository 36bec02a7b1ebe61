internal import CLLVM
import Foundation
import HoneIR

/// Compiles loop nests for the host CPU: to LLVM IR text, assembly, object
/// files, or JIT-compiled functions callable from Swift.
///
/// Every path runs the same pipeline (build IR, verify, `default<O3>`, machine
/// code for the host CPU and features), so the code that is timed under the
/// JIT is the code that `hone compile` writes out; only `jit` may be asked
/// for a cheaper `CompilePipeline`, for a search's ranking. Not thread-safe:
/// use one compiler per thread.
public final class Compiler {
    public let target: HostTarget
    private let targetMachine: LLVMTargetMachineRef
    /// Target machines of the cheaper pipelines, made when first asked for.
    private var cheaperMachines: [CompilePipeline: LLVMTargetMachineRef] = [:]
    private let vectorMath: VectorMathLibrary
    private var session: JITSession?
    private var compiledCount = 0
    /// Where the time of the last `jit` call went.
    public private(set) var lastBreakdown = CompileBreakdown()

    /// Seconds per phase of one compilation.
    public struct CompileBreakdown: Sendable, Hashable, Codable {
        /// Loop nest to LLVM IR, and the IR verifier.
        public var irGeneration = 0.0
        /// The pass pipeline (`default<O3>` unless a cheaper `CompilePipeline` was asked for).
        public var optimization = 0.0
        /// Instruction selection, register allocation, object emission.
        public var machineCode = 0.0
        /// Linking the object into the JIT and looking up the entry point.
        public var linking = 0.0
        public init() {}
        public var total: Double { irGeneration + optimization + machineCode + linking }
    }

    public init(target: HostTarget = .host) throws {
        initializeLLVM()
        self.target = target
        targetMachine = try target.makeTargetMachine()
        vectorMath = VectorMathLibrary(features: target.features)
    }

    deinit {
        LLVMDisposeTargetMachine(targetMachine)
        for machine in cheaperMachines.values { LLVMDisposeTargetMachine(machine) }
    }

    private func machine(for pipeline: CompilePipeline) throws -> LLVMTargetMachineRef {
        if pipeline == .o3 { return targetMachine }
        if let machine = cheaperMachines[pipeline] { return machine }
        let machine = try target.makeTargetMachine(pipeline)
        cheaperMachines[pipeline] = machine
        return machine
    }

    public enum IRStage: Sendable { case unoptimized, optimized }

    /// LLVM IR of the nest, before or after the O3 pipeline.
    public func llvmIR(_ nest: LoopNest, _ stage: IRStage) throws -> String {
        try withModule(nest, symbol: nest.name, optimize: stage == .optimized) { module in
            takeString(LLVMPrintModuleToString(module))
        }
    }

    /// Host assembly of the optimized nest.
    public func assembly(_ nest: LoopNest) throws -> String {
        try withModule(nest, symbol: nest.name, optimize: true) { module in
            let buffer = try emit(module, LLVMAssemblyFile)
            defer { LLVMDisposeMemoryBuffer(buffer) }
            return String(decoding: UnsafeRawBufferPointer(start: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer)), as: UTF8.self)
        }
    }

    /// Writes a relocatable object defining `void NAME(...)` and `NAME_packed(void **)`.
    public func writeObject(_ nest: LoopNest, to path: String) throws {
        try withModule(nest, symbol: nest.name, optimize: true) { module in
            let buffer = try emit(module, LLVMObjectFile)
            defer { LLVMDisposeMemoryBuffer(buffer) }
            let data = Data(bytes: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer))
            do {
                try data.write(to: URL(fileURLWithPath: path))
            } catch {
                throw HoneError("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }

    /// Compiles the nest into this process. The machine code is released when
    /// the returned kernel is deallocated.
    public func jit(_ nest: LoopNest, pipeline: CompilePipeline = .o3) throws -> CompiledKernel {
        if session == nil { session = try JITSession() }
        compiledCount += 1
        // Each JIT-compiled module gets its own symbol so many can coexist.
        let symbol = "\(nest.name)_\(compiledCount)"
        lastBreakdown = CompileBreakdown()
        let machine = try machine(for: pipeline)
        let object = try withModule(nest, symbol: symbol, optimize: true, pipeline: pipeline) { module in
            let start = monotonicSeconds()
            defer { lastBreakdown.machineCode = monotonicSeconds() - start }
            return try emit(module, LLVMObjectFile, machine: machine)
        }
        let start = monotonicSeconds()
        defer { lastBreakdown.linking = monotonicSeconds() - start }
        return try session!.add(object: object, symbol: symbol, arguments: nest.arguments)
    }

    private func withModule<T>(_ nest: LoopNest, symbol: String, optimize: Bool, pipeline: CompilePipeline = .o3,
                               _ body: (LLVMModuleRef) throws -> T) throws -> T {
        var phaseStart = monotonicSeconds()
        let context = LLVMContextCreate()!
        defer { LLVMContextDispose(context) }
        let module = CodeGen(nest: nest, context: context, symbolName: symbol, vectorMath: vectorMath).takeModule()
        defer { LLVMDisposeModule(module) }
        LLVMSetTarget(module, target.triple)
        let layout = LLVMCreateTargetDataLayout(targetMachine)
        LLVMSetModuleDataLayout(module, layout)
        LLVMDisposeTargetData(layout)

        var message: UnsafeMutablePointer<CChar>?
        if LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0 {
            throw HoneError("internal error: the code generator produced invalid LLVM IR for \(nest.name): \(takeString(message))")
        }
        _ = takeString(message)
        lastBreakdown.irGeneration = monotonicSeconds() - phaseStart
        if optimize {
            phaseStart = monotonicSeconds()
            let options = LLVMCreatePassBuilderOptions()
            defer { LLVMDisposePassBuilderOptions(options) }
            try check(LLVMRunPasses(module, pipeline.passes, try machine(for: pipeline), options), "LLVM optimization failed")
            lastBreakdown.optimization = monotonicSeconds() - phaseStart
        }
        return try body(module)
    }

    private func emit(_ module: LLVMModuleRef, _ kind: LLVMCodeGenFileType, machine: LLVMTargetMachineRef? = nil) throws -> LLVMMemoryBufferRef {
        var message: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(machine ?? targetMachine, module, kind, &message, &buffer) != 0 || buffer == nil {
            throw HoneError("LLVM code generation failed: \(takeString(message))")
        }
        return buffer!
    }
}

private func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
