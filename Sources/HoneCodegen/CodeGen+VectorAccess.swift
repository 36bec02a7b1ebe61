internal import CLLVM
import HoneIR

// Vector accesses that are neither contiguous nor uniform but need no
// gather or scatter: loads through clamped indices (padding), and strided
// accesses to register tiles.
extension CodeGen {
    /// A constant-stride access to a stack or register buffer (a register
    /// tile read across its vector lanes, as when a tile vectorized over
    /// filters is written out across columns), without a mask: the first
    /// lane's address and the stride. Such accesses become one scalar load
    /// or store per lane at constant offsets, which LLVM keeps in registers
    /// with the rest of the tile; a gather or scatter would pin the tile in
    /// memory.
    func stridedLocalAccess(_ binding: BufferBinding, _ indices: [Expr]) -> (LLVMValueRef, Int)? {
        guard let vector, vector.mask == nil, binding.buffer.memory != .heap,
              let stride = laneStride(of: binding, indices), stride != 1, abs(stride) < Int64(binding.buffer.elementCount) else { return nil }
        return (atFirstLane { address(of: binding, indices) }, Int(stride))
    }

    /// One scalar load per lane, `stride` elements apart.
    func loadLanes(_ pointer: LLVMValueRef, _ stride: Int, _ binding: BufferBinding) -> LLVMValueRef {
        let elementType = llvmType(binding.buffer.type)
        var result = LLVMGetPoison(vectorType(elementType, lanes: vector!.lanes))!
        for lane in 0..<vector!.lanes {
            let load = LLVMBuildLoad2(builder, elementType, element(pointer, lane * stride, binding), binding.buffer.name)!
            LLVMSetAlignment(load, UInt32(binding.buffer.type.byteSize))
            result = LLVMBuildInsertElement(builder, result, load, LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(lane), 0), "")
        }
        return result
    }

    /// One scalar store per lane of `value`, `stride` elements apart.
    func storeLanes(_ value: LLVMValueRef, _ pointer: LLVMValueRef, _ stride: Int, _ binding: BufferBinding) {
        for lane in 0..<vector!.lanes {
            let scalar = LLVMBuildExtractElement(builder, value, LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(lane), 0), "")
            let store = LLVMBuildStore(builder, scalar, element(pointer, lane * stride, binding))
            LLVMSetAlignment(store, UInt32(binding.buffer.type.byteSize))
        }
    }

    /// The element `offset` elements after `pointer`.
    func element(_ pointer: LLVMValueRef, _ offset: Int, _ binding: BufferBinding) -> LLVMValueRef {
        var index: [LLVMValueRef?] = [LLVMConstInt(indexType, UInt64(bitPattern: Int64(offset)), 1)]
        return LLVMBuildInBoundsGEP2(builder, llvmType(binding.buffer.type), pointer, &index, 1, "")
    }


    /// A vector load whose unit-stride index is `e` clamped to uniform
    /// bounds (`max(e, lo)`, `min(e, hi)` or both), with `e` moving by one
    /// element per lane and every other index uniform: a masked vector load
    /// of the lanes where `lo ≤ e ≤ hi`, the others taking the element at
    /// the bound they were clamped to. That is the clamp's value in every
    /// lane, without a gather, and no lane reads outside the clamp's range.
    /// Nil when the access has another shape.
    func clampedVectorLoad(_ binding: BufferBinding, _ indices: [Expr]) -> LLVMValueRef? {
        guard let vector, binding.strides.last == 1, let last = indices.last,
              !indices.dropLast().contains(where: isVarying), let (e, lo, hi) = clampBounds(last),
              laneStride(of: e) == 1, !(lo.map(isVarying) ?? false), !(hi.map(isVarying) ?? false) else { return nil }
        let rest = Array(indices.dropLast())
        let elementType = binding.buffer.type
        let inside = [lo.map { Expr.binary(.ge, e, $0) }, hi.map { Expr.binary(.le, e, $0) }].compactMap { $0 }
            .reduce(nil as Expr?) { sum, c in sum.map { .binary(.and, $0, c) } ?? c }!
        var mask = emit(inside)
        if let outer = vector.mask { mask = LLVMBuildAnd(builder, outer, mask, "")! }
        let atLow = lo.map { Expr.load(binding.buffer.name, rest + [$0], elementType) }
        let atHigh = hi.map { Expr.load(binding.buffer.name, rest + [$0], elementType) }
        let outside: Expr
        if let atLow, let atHigh { outside = .select(.binary(.lt, e, lo!), atLow, atHigh) } else { outside = (atLow ?? atHigh)! }
        let type = vectorType(llvmType(elementType), lanes: vector.lanes)
        let passthrough = broadcast(emit(outside), lanes: vector.lanes)
        // The first lane's address may lie before the buffer (its lane is masked off): no inbounds.
        let pointer = atFirstLane { address(of: binding, rest + [e], inBounds: false) }
        let alignment = LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(elementType.byteSize), 0)!
        return intrinsic("llvm.masked.load", overloads: [type, pointerType], [pointer, alignment, mask, passthrough])
    }

    /// `max(min(e, hi), lo)`, `min(max(e, lo), hi)`, `max(e, lo)` or `min(e, hi)` as (e, lo, hi).
    private func clampBounds(_ index: Expr) -> (Expr, Expr?, Expr?)? {
        switch index {
        case .binary(.max, .binary(.min, let e, let hi), let lo), .binary(.min, .binary(.max, let e, let lo), let hi): return (e, lo, hi)
        case .binary(.max, let e, let lo): return (e, lo, nil)
        case .binary(.min, let e, let hi): return (e, nil, hi)
        default: return nil
        }
    }
}
