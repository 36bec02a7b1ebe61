internal import CLLVM
import Foundation
import HoneIR

/// One ORC LLJIT instance. Objects are added with a resource tracker each, so
/// a kernel's code memory is returned when the kernel is released.
final class JITSession {
    private let jit: LLVMOrcLLJITRef
    private let mainDylib: LLVMOrcJITDylibRef

    init() throws {
        try OpenMP.load()
        var jit: LLVMOrcLLJITRef?
        try check(LLVMOrcCreateLLJIT(&jit, nil), "cannot create the JIT")
        self.jit = jit!
        mainDylib = LLVMOrcLLJITGetMainJITDylib(jit)
        // Kernels call into the C library (aligned_alloc, tanhf) and, for
        // parallel loops, the OpenMP runtime: resolve them in this process.
        var generator: LLVMOrcDefinitionGeneratorRef?
        try check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, LLVMOrcLLJITGetGlobalPrefix(jit), nil, nil),
                  "cannot expose process symbols to the JIT")
        LLVMOrcJITDylibAddGenerator(mainDylib, generator)
    }

    deinit { _ = LLVMOrcDisposeLLJIT(jit) }

    /// Links an object (consumed) and returns its entry point.
    func add(object: LLVMMemoryBufferRef, entry: String, arguments: [Buffer]) throws -> CompiledKernel {
        let tracker = LLVMOrcJITDylibCreateResourceTracker(mainDylib)!
        do {
            try check(LLVMOrcLLJITAddObjectFileWithRT(jit, tracker, object), "cannot add the object to the JIT")
            var address: LLVMOrcExecutorAddress = 0
            try check(LLVMOrcLLJITLookup(jit, &address, entry), "cannot find \(entry) in the JIT")
            let function = unsafeBitCast(UInt(address), to: CompiledKernel.Entry.self)
            return CompiledKernel(entry: function, arguments: arguments, tracker: tracker, session: self)
        } catch {
            _ = LLVMOrcResourceTrackerRemove(tracker)
            LLVMOrcReleaseResourceTracker(tracker)
            throw error
        }
    }
}

/// A JIT-compiled kernel. Call it with one buffer per argument, in the order
/// of `arguments` (inputs, then the output).
public final class CompiledKernel {
    typealias Entry = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void

    public let arguments: [Buffer]
    private let entry: Entry
    private let tracker: LLVMOrcResourceTrackerRef
    private let session: JITSession  // keeps the JIT alive while its code is in use
    private var pointers: [UnsafeMutableRawPointer?]

    init(entry: Entry, arguments: [Buffer], tracker: LLVMOrcResourceTrackerRef, session: JITSession) {
        self.entry = entry
        self.arguments = arguments
        self.tracker = tracker
        self.session = session
        pointers = Array(repeating: nil, count: arguments.count)
    }

    deinit {
        _ = LLVMOrcResourceTrackerRemove(tracker)
        LLVMOrcReleaseResourceTracker(tracker)
    }

    /// Runs the kernel on host buffers (kept alive for the call).
    public func run(_ buffers: [TensorBuffer]) {
        withExtendedLifetime(buffers) { run(buffers.map(\.pointer)) }
    }

    /// Runs the kernel on raw buffers. Each must hold at least its argument's
    /// element count of its element type; no copy is made.
    public func run(_ buffers: [UnsafeMutableRawPointer]) {
        precondition(buffers.count == arguments.count, "\(arguments.count) buffers expected, got \(buffers.count)")
        for i in buffers.indices { pointers[i] = buffers[i] }
        pointers.withUnsafeMutableBufferPointer { entry($0.baseAddress!) }
    }
}
