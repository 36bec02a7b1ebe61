internal import CLLVM
import HoneIR

// Vector accesses that are neither contiguous nor uniform but need no
// gather or scatter: loads through clamped indices (padding), strided
// accesses to register tiles, and loads at small constant strides.
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
    func element(_ pointer: LLVMValueRef, _ offset: Int, _ binding: BufferBinding, inBounds: Bool = true) -> LLVMValueRef {
        var index: [LLVMValueRef?] = [LLVMConstInt(indexType, UInt64(bitPattern: Int64(offset)), 1)]
        return inBounds ? LLVMBuildInBoundsGEP2(builder, llvmType(binding.buffer.type), pointer, &index, 1, "")
            : LLVMBuildGEP2(builder, llvmType(binding.buffer.type), pointer, &index, 1, "")
    }

    /// A load whose lanes are a constant 2 to `maxShuffledStride` elements
    /// apart (a strided convolution's window read along its output columns):
    /// the vector loads that cover the span from the first lane's element to
    /// the last one's, the last load ending at the last lane's element, and
    /// one shuffle picking the lanes. Nothing outside that span is read
    /// (under a mask, each load is masked to the active lanes' elements, and
    /// masked-off lanes are 0 as with a masked vector load).
    /// An 8-lane gather costs several times these loads and shuffles on AMD
    /// CPUs, and Intel's gathers are microcoded since the GDS mitigation.
    func shuffledStridedLoad(_ binding: BufferBinding, _ indices: [Expr], mask: LLVMValueRef?) -> LLVMValueRef? {
        guard let vector, let laneStride = laneStride(of: binding, indices),
              (2...Int64(Self.maxShuffledStride)).contains(laneStride) else { return nil }
        let stride = Int(laneStride), width = vector.lanes
        let span = stride * (width - 1) + 1
        let starts = (0..<(span + width - 1) / width).map { min($0 * width, span - width) }
        let type = vectorType(llvmType(binding.buffer.type), lanes: width)
        let alignment = UInt32(binding.buffer.type.byteSize)
        // A masked-off first lane may lie outside the buffer: then no inbounds.
        let inBounds = mask == nil
        let first = atFirstLane { address(of: binding, indices, inBounds: inBounds) }
        let loads = starts.map { start -> LLVMValueRef in
            let pointer = element(first, start, binding, inBounds: inBounds)
            guard let mask else {
                let load = LLVMBuildLoad2(builder, type, pointer, binding.buffer.name)!
                LLVMSetAlignment(load, alignment)
                return load
            }
            // Element j of this load is lane (start + j) / stride's when the stride divides start + j.
            let lanesRead = (0..<width).map { j in (start + j) % stride == 0 ? (start + j) / stride : width }
            let loadMask = shuffle(mask, LLVMConstNull(LLVMTypeOf(mask)), lanesRead)
            return intrinsic("llvm.masked.load", overloads: [type, pointerType],
                             [pointer, LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(alignment), 0), loadMask, LLVMConstNull(type)])
        }
        // Lane i's element, stride * i after the first, taken from the first load that covers it.
        let picks = (0..<width).map { lane -> Int in
            let offset = stride * lane
            let load = starts.firstIndex { offset >= $0 && offset < $0 + width }!
            return load * width + offset - starts[load]
        }
        let joined = concatenated(loads)
        return shuffle(joined, LLVMGetPoison(LLVMTypeOf(joined)), picks)
    }

    /// Strides up to this many elements load their span and shuffle; wider ones gather.
    static var maxShuffledStride: Int { 4 }

    /// Vectors of one type joined end to end (padded with poison to a power of two).
    func concatenated(_ vectors: [LLVMValueRef]) -> LLVMValueRef {
        var level = vectors
        while level.count > 1 {
            if level.count % 2 == 1 { level.append(LLVMGetPoison(LLVMTypeOf(level[0]))) }
            let width = lanes(of: level[0])!
            level = stride(from: 0, to: level.count, by: 2).map { shuffle(level[$0], level[$0 + 1], Array(0..<2 * width)) }
        }
        return level[0]
    }


    /// A vector load whose unit-stride index is `e` clamped to uniform
    /// bounds (`max(e, lo)`, `min(e, hi)` or both), with `e` moving by one
    /// to `maxShuffledStride` elements per lane and every other index
    /// uniform: a masked vector load of the lanes where `lo ≤ e ≤ hi`, the
    /// others taking the element at the bound they were clamped to. That is
    /// the clamp's value in every lane, without a gather, and no lane reads
    /// outside the clamp's range. Nil when the access has another shape.
    func clampedVectorLoad(_ binding: BufferBinding, _ indices: [Expr]) -> LLVMValueRef? {
        guard let vector, binding.strides.last == 1, let last = indices.last,
              !indices.dropLast().contains(where: isVarying), let (e, lo, hi) = clampBounds(last),
              let stride = laneStride(of: e), (1...Int64(Self.maxShuffledStride)).contains(stride),
              !(lo.map(isVarying) ?? false), !(hi.map(isVarying) ?? false) else { return nil }
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
        if stride > 1, let loaded = shuffledStridedLoad(binding, rest + [e], mask: mask) {
            return LLVMBuildSelect(builder, mask, loaded, passthrough, "")!
        }
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
