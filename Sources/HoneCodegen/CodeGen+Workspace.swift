internal import CLLVM
import HoneIR

// Heap buffers (stages computed at root, large tiles) are kept between
// calls, as oneDNN keeps its scratchpad: allocating them in every call
// made glibc hand large blocks back to the system until its thresholds
// adapted, so a kernel's first calls faulted their pages again (Harris,
// three 16 MB intermediates: 31 ms a call over its first 50 ms of calls,
// 14 ms once settled). Each allocation site has one slot, taken and
// returned atomically: a call (or thread) that finds it empty allocates
// its own buffer, and one that finds it full on return frees its buffer.
// `NAME_release_workspace` frees what the slots hold.
extension CodeGen {
    /// A module-private slot holding the buffer an allocation site keeps between calls.
    func addWorkspaceSlot(_ name: String) -> LLVMValueRef {
        let slot = LLVMAddGlobal(module, pointerType, "\(name).workspace")!
        LLVMSetLinkage(slot, LLVMInternalLinkage)
        LLVMSetInitializer(slot, LLVMConstNull(pointerType))
        workspaceSlots.append(slot)
        return slot
    }

    /// The slot's buffer, or a new one of `bytes` when the slot is empty.
    func emitWorkspaceTake(_ slot: LLVMValueRef, bytes: Int, name: String) -> LLVMValueRef {
        let kept = emitEmptying(slot)
        let isEmpty = LLVMBuildICmp(builder, LLVMIntEQ, kept, LLVMConstNull(pointerType), "")
        let taken = LLVMGetInsertBlock(builder)!
        let allocate = LLVMAppendBasicBlockInContext(context, function, "\(name).allocate")!
        let ready = LLVMAppendBasicBlockInContext(context, function, "\(name).ready")!
        LLVMBuildCondBr(builder, isEmpty, allocate, ready)
        LLVMPositionBuilderAtEnd(builder, allocate)
        let (alloc, allocType) = libraryFunction("aligned_alloc", returns: pointerType, [indexType, indexType])
        var arguments: [LLVMValueRef?] = [LLVMConstInt(indexType, 64, 0), LLVMConstInt(indexType, UInt64(bytes), 0)]
        let fresh = LLVMBuildCall2(builder, allocType, alloc, &arguments, 2, "")!
        LLVMBuildBr(builder, ready)
        LLVMPositionBuilderAtEnd(builder, ready)
        let base = LLVMBuildPhi(builder, pointerType, name)!
        var incoming: [LLVMValueRef?] = [kept, fresh]
        var blocks: [LLVMBasicBlockRef?] = [taken, allocate]
        LLVMAddIncoming(base, &incoming, &blocks, 2)
        return base
    }

    /// Puts the buffer back in its slot, or frees it when the slot is full.
    func emitWorkspaceReturn(_ slot: LLVMValueRef, _ base: LLVMValueRef) {
        let exchange = LLVMBuildAtomicCmpXchg(builder, slot, LLVMConstNull(pointerType), base,
                                              LLVMAtomicOrderingAcquireRelease, LLVMAtomicOrderingMonotonic, 0)!
        let kept = LLVMBuildExtractValue(builder, exchange, 1, "")!
        emitFree(LLVMBuildSelect(builder, kept, LLVMConstNull(pointerType), base, "")!)
    }

    /// `void NAME(void)`: frees every buffer the slots keep (a kernel run after it allocates again).
    func emitWorkspaceRelease(named name: String) {
        let functionType = LLVMFunctionType(voidType, nil, 0, 0)
        let release = LLVMAddFunction(module, name, functionType)!
        addAttribute("nounwind", to: release, at: LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex)))
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, release, "entry"))
        for slot in workspaceSlots {
            emitFree(emitEmptying(slot))
        }
        LLVMBuildRetVoid(builder)
    }

    /// What the slot holds (null when empty), leaving it empty.
    private func emitEmptying(_ slot: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildAtomicRMW(builder, LLVMAtomicRMWBinOpXchg, slot, LLVMConstNull(pointerType), LLVMAtomicOrderingAcquireRelease, 0)!
    }

    /// `free(pointer)` (a no-op for null).
    private func emitFree(_ pointer: LLVMValueRef) {
        let (free, freeType) = libraryFunction("free", returns: voidType, [pointerType])
        var arguments: [LLVMValueRef?] = [pointer]
        LLVMBuildCall2(builder, freeType, free, &arguments, 1, "")
    }
}
