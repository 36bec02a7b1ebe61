internal import CLLVM
import HoneIR

/// Parallel loops run on libgomp, as GCC's and Clang's `#pragma omp parallel
/// for schedule(static)` do: the loop body is outlined into a function taking
/// a closure (an array of 8-byte slots holding every variable and buffer in
/// scope), and `GOMP_parallel(body, closure, 0, 0)` runs it on the team. Each
/// thread takes one contiguous block of iterations. The thread count is
/// libgomp's (OMP_NUM_THREADS or `omp_set_num_threads`).
extension CodeGen {
    func emitParallelLoop(_ loop: Loop) {
        let captured = capturedValues()
        let start = emit(loop.min)
        let extent = emit(loop.extent)

        // The closure: captured values, then the loop's start and extent.
        let slotType = LLVMInt64TypeInContext(context)!
        let slotCount = captured.count + 2
        let closure = entryAlloca(LLVMArrayType2(slotType, UInt64(slotCount)), "closure")
        for (i, value) in (captured.map(\.value) + [start, extent]).enumerated() {
            LLVMBuildStore(builder, value, slot(closure, i, slotCount))
        }

        // The outlined body, emitted with its own entry block and scope.
        let outerFunction = function!, outerEntry = entryBlock!, outerBlock = LLVMGetInsertBlock(builder)!
        let outerScalars = scalars, outerBuffers = buffers
        var parameterTypes: [LLVMTypeRef?] = [pointerType]
        let bodyType = LLVMFunctionType(voidType, &parameterTypes, 1, 0)!
        var nameLength = 0
        let outerName = LLVMGetValueName2(outerFunction, &nameLength).map { String(cString: $0) } ?? "kernel"
        let body = LLVMAddFunction(module, "\(outerName).\(loop.variable).par", bodyType)!
        LLVMSetLinkage(body, LLVMInternalLinkage)
        addAttribute("nounwind", to: body, at: LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex)))
        function = body
        entryBlock = LLVMAppendBasicBlockInContext(context, body, "entry")
        LLVMPositionBuilderAtEnd(builder, entryBlock)
        let closureArgument = LLVMGetParam(body, 0)!
        for (i, value) in captured.enumerated() {
            let loaded = LLVMBuildLoad2(builder, LLVMTypeOf(value.value), slot(closureArgument, i, slotCount), value.name)!
            if let buffer = value.buffer {
                bind(buffer, base: loaded)
            } else {
                scalars[value.name] = loaded
            }
        }
        let loopStart = LLVMBuildLoad2(builder, indexType, slot(closureArgument, captured.count, slotCount), "start")!
        let loopExtent = LLVMBuildLoad2(builder, indexType, slot(closureArgument, captured.count + 1, slotCount), "extent")!

        // This thread's block: [start + t * chunk, min(start + (t + 1) * chunk, start + extent)).
        let (threadNumber, threadNumberType) = libraryFunction("omp_get_thread_num", returns: LLVMInt32TypeInContext(context), [])
        let (threadCount, threadCountType) = libraryFunction("omp_get_num_threads", returns: LLVMInt32TypeInContext(context), [])
        var none: [LLVMValueRef?] = []
        let thread = LLVMBuildSExt(builder, LLVMBuildCall2(builder, threadNumberType, threadNumber, &none, 0, "thread"), indexType, "")!
        let threads = LLVMBuildSExt(builder, LLVMBuildCall2(builder, threadCountType, threadCount, &none, 0, "threads"), indexType, "")!
        let one = LLVMConstInt(indexType, 1, 0)!
        let chunk = LLVMBuildSDiv(builder, LLVMBuildSub(builder, LLVMBuildAdd(builder, loopExtent, threads, ""), one, ""), threads, "chunk")!
        let blockStart = LLVMBuildMul(builder, thread, chunk, "")!
        let blockEnd = intrinsic("llvm.smin", .index, [LLVMBuildAdd(builder, blockStart, chunk, "")!, loopExtent])
        let blockExtent = intrinsic("llvm.smax", .index, [LLVMBuildSub(builder, blockEnd, blockStart, "")!, LLVMConstInt(indexType, 0, 0)])
        scalars["\(loop.variable).block.min"] = LLVMBuildAdd(builder, loopStart, blockStart, "")
        scalars["\(loop.variable).block.extent"] = blockExtent
        var serial = loop
        serial.kind = .serial
        serial.min = .indexVar("\(loop.variable).block.min")
        serial.extent = .indexVar("\(loop.variable).block.extent")
        emit(.loop(serial))
        LLVMBuildRetVoid(builder)

        // Back in the caller: run the body on the team.
        function = outerFunction
        entryBlock = outerEntry
        scalars = outerScalars
        buffers = outerBuffers
        LLVMPositionBuilderAtEnd(builder, outerBlock)
        let int32 = LLVMInt32TypeInContext(context)!
        let (parallel, parallelType) = libraryFunction("GOMP_parallel", returns: voidType, [pointerType, pointerType, int32, int32])
        var arguments: [LLVMValueRef?] = [body, closure, LLVMConstInt(int32, 0, 0), LLVMConstInt(int32, 0, 0)]
        LLVMBuildCall2(builder, parallelType, parallel, &arguments, 4, "")
    }

    private struct Captured {
        var name: String
        var value: LLVMValueRef
        var buffer: Buffer?
    }

    /// Every scalar and buffer in scope, in a stable order.
    private func capturedValues() -> [Captured] {
        scalars.keys.sorted().map { Captured(name: $0, value: scalars[$0]!) }
            + buffers.keys.sorted().map { Captured(name: $0, value: buffers[$0]!.base, buffer: buffers[$0]!.buffer) }
    }

    private func slot(_ closure: LLVMValueRef, _ index: Int, _ count: Int) -> LLVMValueRef {
        var indices: [LLVMValueRef?] = [LLVMConstInt(indexType, 0, 0), LLVMConstInt(indexType, UInt64(index), 0)]
        return LLVMBuildInBoundsGEP2(builder, LLVMArrayType2(LLVMInt64TypeInContext(context), UInt64(count)), closure, &indices, 2, "")!
    }

    /// An alloca in the current function's entry block (so it is allocated once).
    func entryAlloca(_ type: LLVMTypeRef, _ name: String) -> LLVMValueRef {
        let current = LLVMGetInsertBlock(builder)
        if let first = LLVMGetFirstInstruction(entryBlock) {
            LLVMPositionBuilderBefore(builder, first)
        } else {
            LLVMPositionBuilderAtEnd(builder, entryBlock)
        }
        let value = LLVMBuildAlloca(builder, type, name)!
        LLVMSetAlignment(value, 64)
        LLVMPositionBuilderAtEnd(builder, current)
        return value
    }
}
