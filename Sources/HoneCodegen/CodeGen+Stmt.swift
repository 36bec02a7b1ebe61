internal import CLLVM
import HoneIR

// Statements: loops, stores, allocations, lets, conditionals.
extension CodeGen {
    func emit(_ stmt: Stmt) {
        switch stmt {
        case .loop(let loop): emitLoop(loop)
        case .store(let name, let indices, let value):
            let binding = buffers[name]!
            emitStore(binding, indices, convert(emit(value), from: value.type, to: binding.buffer.type))
        case .allocate(let buffer, let body): emitAllocation(buffer, body)
        case .letStmt(let name, let value, let body):
            let saved = scalars[name]
            let bound = emit(value)
            scalars[name] = bound
            let wasVarying = vector?.varyingNames.contains(name) ?? false
            if lanes(of: bound) != nil { vector?.varyingNames.insert(name) } else { vector?.varyingNames.remove(name) }
            emit(body)
            if wasVarying { vector?.varyingNames.insert(name) } else { vector?.varyingNames.remove(name) }
            scalars[name] = saved
        case .ifThenElse(let condition, let then, let otherwise, _): emitIf(condition, then, otherwise)
        case .block(let stmts): stmts.forEach(emit)
        }
    }

    /// `for v in min ..< min + extent`: a header with the induction phi, the
    /// body, and a latch that increments. Unrolled loops with constant extent
    /// repeat their body with the variable bound to each constant.
    private func emitLoop(_ loop: Loop) {
        if loop.kind == .vectorized, vector == nil, case .int(let lanes, _) = loop.extent, lanes > 1 {
            let saved = scalars[loop.variable]
            scalars[loop.variable] = emit(loop.min)
            vector = VectorContext(variable: loop.variable, lanes: Int(lanes))
            emit(loop.body)
            vector = nil
            scalars[loop.variable] = saved
            return
        }
        if loop.kind == .parallel, vector == nil {
            emitParallelLoop(loop)
            return
        }
        if loop.kind == .unrolled, case .int(let extent, _) = loop.extent {
            let saved = scalars[loop.variable]
            let start = emit(loop.min)
            for i in 0..<extent {
                scalars[loop.variable] = LLVMBuildAdd(builder, start, LLVMConstInt(indexType, UInt64(i), 0), loop.variable)
                emit(loop.body)
            }
            scalars[loop.variable] = saved
            return
        }
        let start = emit(loop.min)
        let end = LLVMBuildAdd(builder, start, emit(loop.extent), "\(loop.variable).end")
        let preheader = LLVMGetInsertBlock(builder)
        let header = LLVMAppendBasicBlockInContext(context, function, "\(loop.variable).header")
        let body = LLVMAppendBasicBlockInContext(context, function, "\(loop.variable).body")
        let exit = LLVMAppendBasicBlockInContext(context, function, "\(loop.variable).exit")
        LLVMBuildBr(builder, header)

        LLVMPositionBuilderAtEnd(builder, header)
        let variable = LLVMBuildPhi(builder, indexType, loop.variable)!
        let more = LLVMBuildICmp(builder, LLVMIntSLT, variable, end, "")
        LLVMBuildCondBr(builder, more, body, exit)

        LLVMPositionBuilderAtEnd(builder, body)
        let saved = scalars[loop.variable]
        scalars[loop.variable] = variable
        emit(loop.body)
        scalars[loop.variable] = saved
        let next = LLVMBuildNSWAdd(builder, variable, LLVMConstInt(indexType, 1, 0), "\(loop.variable).next")
        let latch = LLVMGetInsertBlock(builder)
        LLVMBuildBr(builder, header)

        var incoming: [LLVMValueRef?] = [start, next]
        var blocks: [LLVMBasicBlockRef?] = [preheader, latch]
        LLVMAddIncoming(variable, &incoming, &blocks, 2)
        LLVMPositionBuilderAtEnd(builder, exit)
    }

    /// Heap buffers are 64-byte aligned workspaces kept between calls (see
    /// `emitWorkspaceTake`); stack and register buffers are allocas in the
    /// entry block, which LLVM promotes to registers when their accesses are static.
    private func emitAllocation(_ buffer: Buffer, _ body: Stmt) {
        let elementType = llvmType(buffer.type)
        switch buffer.memory {
        case .heap:
            let slot = addWorkspaceSlot(buffer.name)
            let base = emitWorkspaceTake(slot, bytes: max((buffer.byteCount + 63) / 64 * 64, 64), name: buffer.name)
            let saved = buffers[buffer.name]
            bind(buffer, base: base)
            emit(body)
            buffers[buffer.name] = saved
            emitWorkspaceReturn(slot, base)
        case .stack, .register:
            let base = entryAlloca(LLVMArrayType2(elementType, UInt64(max(buffer.elementCount, 1))), buffer.name)
            let saved = buffers[buffer.name]
            bind(buffer, base: base)
            emit(body)
            buffers[buffer.name] = saved
        }
    }

    private func emitIf(_ condition: Expr, _ then: Stmt, _ otherwise: Stmt?) {
        let test = emit(condition)
        if let n = lanes(of: test) {
            // A condition that differs across lanes: both sides run, masked.
            let outer = vector!.mask
            let combine = { (m: LLVMValueRef) -> LLVMValueRef in outer.map { LLVMBuildAnd(self.builder, $0, m, "")! } ?? m }
            vector!.mask = combine(test)
            emit(then)
            if let otherwise {
                vector!.mask = combine(LLVMBuildXor(builder, test, allLanes(n), "")!)
                emit(otherwise)
            }
            vector!.mask = outer
            return
        }
        let thenBlock = LLVMAppendBasicBlockInContext(context, function, "then")
        let elseBlock = otherwise.map { _ in LLVMAppendBasicBlockInContext(context, function, "else")! }
        let merge = LLVMAppendBasicBlockInContext(context, function, "endif")
        LLVMBuildCondBr(builder, test, thenBlock, elseBlock ?? merge)
        LLVMPositionBuilderAtEnd(builder, thenBlock)
        emit(then)
        LLVMBuildBr(builder, merge)
        if let otherwise, let elseBlock {
            LLVMPositionBuilderAtEnd(builder, elseBlock)
            emit(otherwise)
            LLVMBuildBr(builder, merge)
        }
        LLVMPositionBuilderAtEnd(builder, merge)
    }

    /// The address of `buffer[indices]`, flattened row-major. Out of the
    /// buffer only when `inBounds` is false (a masked-off first lane).
    func address(of binding: BufferBinding, _ indices: [Expr], inBounds: Bool = true) -> LLVMValueRef {
        var flat: LLVMValueRef? = nil
        for (index, stride) in offsetTerms(binding, indices) {
            var term = emit(index)
            if stride != 1 {
                let (t, s) = matchLanes(term, LLVMConstInt(indexType, UInt64(stride), 0))
                term = LLVMBuildNSWMul(builder, t, s, "")
            }
            if let sum = flat {
                let (a, b) = matchLanes(sum, term)
                flat = LLVMBuildNSWAdd(builder, a, b, "")
            } else {
                flat = term
            }
        }
        var offset: [LLVMValueRef?] = [flat ?? LLVMConstInt(indexType, 0, 0)]
        let elementType = llvmType(binding.buffer.type)
        return inBounds ? LLVMBuildInBoundsGEP2(builder, elementType, binding.base, &offset, 1, "")
            : LLVMBuildGEP2(builder, elementType, binding.base, &offset, 1, "")
    }
}
