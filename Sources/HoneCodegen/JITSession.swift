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

    /// Links an object (consumed) and returns the kernel `symbol` (its
    /// `_packed` entry point and its `_release_workspace` function).
    func add(object: LLVMMemoryBufferRef, symbol: String, arguments: [Buffer]) throws -> CompiledKernel {
        let tracker = LLVMOrcJITDylibCreateResourceTracker(mainDylib)!
        do {
            try check(LLVMOrcLLJITAddObjectFileWithRT(jit, tracker, object), "cannot add the object to the JIT")
            let entry = unsafeBitCast(try address(of: symbol + "_packed"), to: CompiledKernel.Entry.self)
            let release = unsafeBitCast(try address(of: symbol + "_release_workspace"), to: CompiledKernel.Release.self)
            return CompiledKernel(entry: entry, release: release, arguments: arguments, tracker: tracker, session: self)
        } catch {
            _ = LLVMOrcResourceTrackerRemove(tracker)
            LLVMOrcReleaseResourceTracker(tracker)
            throw error
        }
    }

    private func address(of symbol: String) throws -> UInt {
        var address: LLVMOrcExecutorAddress = 0
        try check(LLVMOrcLLJITLookup(jit, &address, symbol), "cannot find \(symbol) in the JIT")
        return UInt(address)
    }
}

/// A JIT-compiled kernel. Call it with one buffer per argument, in the order
/// of `arguments` (inputs, then the output).
public final class CompiledKernel {
    typealias Entry = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void
    typealias Release = @convention(c) () -> Void

    public let arguments: [Buffer]
    private let entry: Entry
    private let release: Release
    private let tracker: LLVMOrcResourceTrackerRef
    private let session: JITSession  // keeps the JIT alive while its code is in use
    private var pointers: [UnsafeMutableRawPointer?]

    init(entry: Entry, release: Release, arguments: [Buffer], tracker: LLVMOrcResourceTrackerRef, session: JITSession) {
        self.entry = entry
        self.release = release
        self.arguments = arguments
        self.tracker = tracker
        self.session = session
        pointers = Array(repeating: nil, count: arguments.count)
    }

    deinit {
        releaseWorkspace()
        _ = LLVMOrcResourceTrackerRemove(tracker)
        LLVMOrcReleaseResourceTracker(tracker)
    }

    /// Frees the heap buffers the kernel keeps between calls (the next call allocates them again).
    public func releaseWorkspace() { release() }

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
