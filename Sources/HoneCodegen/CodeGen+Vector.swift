internal import CLLVM
import HoneIR

/// Explicit vectorization (Halide style): a `.vectorized` loop of constant
/// extent W is emitted once, with its variable standing for the W lanes
/// `base, base + 1, ..., base + W - 1`. Every value is either uniform (an
/// LLVM scalar, broadcast when it meets a vector) or varying (a `<W x T>`).
/// Loads and stores whose flattened address moves by one element per lane
/// become vector loads and stores; addresses that do not move are scalar
/// loads; loads 2 to 4 elements apart are vector loads and a shuffle
/// (`CodeGen+VectorAccess.swift`); any other pattern is a gather or
/// scatter. Under an `if` with a
/// varying condition, stores and loads are masked.
struct VectorContext {
    var variable: String
    var lanes: Int
    /// `let` names bound to varying values inside the vector loop.
    var varyingNames: Set<String> = []
    /// Lanes still active (nil: all of them).
    var mask: LLVMValueRef?
}

extension CodeGen {
    func lanes(of value: LLVMValueRef) -> Int? {
        let type = LLVMTypeOf(value)
        return LLVMGetTypeKind(type) == LLVMVectorTypeKind ? Int(LLVMGetVectorSize(type)) : nil
    }

    func vectorType(_ element: LLVMTypeRef, lanes: Int) -> LLVMTypeRef { LLVMVectorType(element, UInt32(lanes)) }

    /// `value` repeated in every lane.
    func broadcast(_ value: LLVMValueRef, lanes: Int) -> LLVMValueRef {
        if self.lanes(of: value) != nil { return value }
        let undef = LLVMGetPoison(vectorType(LLVMTypeOf(value), lanes: lanes))
        let first = LLVMBuildInsertElement(builder, undef, value, LLVMConstInt(LLVMInt32TypeInContext(context), 0, 0), "")
        var zeros = [LLVMValueRef?](repeating: LLVMConstInt(LLVMInt32TypeInContext(context), 0, 0), count: lanes)
        return LLVMBuildShuffleVector(builder, first, LLVMGetPoison(LLVMTypeOf(first)), LLVMConstVector(&zeros, UInt32(lanes)), "")!
    }

    /// Broadcasts the uniform one of two operands when the other is a vector.
    func matchLanes(_ a: LLVMValueRef, _ b: LLVMValueRef) -> (LLVMValueRef, LLVMValueRef) {
        switch (lanes(of: a), lanes(of: b)) {
        case (nil, let n?): return (broadcast(a, lanes: n), b)
        case (let n?, nil): return (a, broadcast(b, lanes: n))
        default: return (a, b)
        }
    }

    /// `<base, base + 1, ..., base + lanes - 1>` as i64 lanes.
    func ramp(_ base: LLVMValueRef, lanes: Int) -> LLVMValueRef {
        var steps: [LLVMValueRef?] = (0..<lanes).map { LLVMConstInt(indexType, UInt64($0), 0) }
        return LLVMBuildAdd(builder, broadcast(base, lanes: lanes), LLVMConstVector(&steps, UInt32(lanes)), "")!
    }

    /// Does this index expression vary across the lanes of the current vector loop?
    func isVarying(_ expr: Expr) -> Bool {
        guard let vector else { return false }
        switch expr {
        case .int, .float: return false
        case .variable(let name, _): return name == vector.variable || vector.varyingNames.contains(name)
        case .load(_, let indices, _): return indices.contains(where: isVarying)
        case .unary(_, let a), .cast(_, let a): return isVarying(a)
        case .binary(_, let a, let b): return isVarying(a) || isVarying(b)
        case .call(_, let args): return args.contains(where: isVarying)
        case .select(let c, let a, let b): return isVarying(c) || isVarying(a) || isVarying(b)
        }
    }

    /// How far `expr` moves when the vector variable grows by one, if it is
    /// affine in that variable; nil otherwise.
    func laneStride(of expr: Expr) -> Int64? {
        guard let vector else { return 0 }
        switch expr {
        case .int, .float: return 0
        case .variable(let name, _):
            if name == vector.variable { return 1 }
            return vector.varyingNames.contains(name) ? nil : 0
        case .cast(_, let a): return laneStride(of: a)
        case .unary(.neg, let a): return laneStride(of: a).map { -$0 }
        case .binary(.add, let a, let b): return zip2(laneStride(of: a), laneStride(of: b), +)
        case .binary(.sub, let a, let b): return zip2(laneStride(of: a), laneStride(of: b), -)
        case .binary(.mul, let a, let b):
            guard let sa = laneStride(of: a), let sb = laneStride(of: b) else { return nil }
            if sa == 0 && sb == 0 { return 0 }
            if sb == 0, case .int(let c, _) = b { return sa * c }
            if sa == 0, case .int(let c, _) = a { return sb * c }
            return nil
        default: return isVarying(expr) ? nil : 0
        }
    }

    private func zip2(_ a: Int64?, _ b: Int64?, _ f: (Int64, Int64) -> Int64) -> Int64? {
        guard let a, let b else { return nil }
        return f(a, b)
    }

    /// The flattened element offset's stride across lanes (nil: not affine).
    func laneStride(of binding: BufferBinding, _ indices: [Expr]) -> Int64? {
        var total: Int64 = 0
        for (index, stride) in offsetTerms(binding, indices) {
            guard let s = laneStride(of: index) else { return nil }
            total += s * Int64(stride)
        }
        return total
    }

    /// Emits `body` with the vector variable evaluated at lane 0 only.
    func atFirstLane<T>(_ body: () -> T) -> T {
        let saved = vector
        vector = nil
        defer { vector = saved }
        return body()
    }

    /// A load of `buffer[indices]`: scalar, contiguous vector, shuffled strided vector, or gather.
    func emitLoad(_ binding: BufferBinding, _ indices: [Expr]) -> LLVMValueRef {
        let elementType = llvmType(binding.buffer.type)
        let alignment = UInt32(binding.buffer.type.byteSize)
        guard let vector, indices.contains(where: isVarying) else {
            let load = LLVMBuildLoad2(builder, elementType, address(of: binding, indices), binding.buffer.name)!
            LLVMSetAlignment(load, alignment)
            return load
        }
        let type = vectorType(elementType, lanes: vector.lanes)
        if laneStride(of: binding, indices) == 1 {
            let pointer = atFirstLane { address(of: binding, indices) }
            if let mask = vector.mask {
                return intrinsic("llvm.masked.load", overloads: [type, pointerType],
                                 [pointer, LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(alignment), 0), mask, LLVMConstNull(type)])
            }
            let load = LLVMBuildLoad2(builder, type, pointer, binding.buffer.name)!
            LLVMSetAlignment(load, alignment)
            return load
        }
        if let clamped = clampedVectorLoad(binding, indices) { return clamped }
        if let (pointer, stride) = stridedLocalAccess(binding, indices) { return loadLanes(pointer, stride, binding) }
        if let shuffled = shuffledStridedLoad(binding, indices, mask: vector.mask) { return shuffled }
        let pointers = address(of: binding, indices)  // a vector of pointers
        let wide = gatherWidth(vector.lanes)
        let wideType = vectorType(elementType, lanes: wide)
        let gathered = intrinsic("llvm.masked.gather", overloads: [wideType, LLVMTypeOf(widened(pointers, to: wide))],
                                 [widened(pointers, to: wide), LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(alignment), 0),
                                  widenedMask(vector.mask ?? allLanes(vector.lanes), to: wide), LLVMConstNull(wideType)])
        return narrowed(gathered, to: vector.lanes)
    }

    /// The lane count a gather or scatter runs at: the next power of two.
    /// LLVM 19's x86 backend splits other widths into pieces it can encode
    /// wrongly (a `vgatherqps` whose destination is its index register,
    /// which faults with an illegal instruction); the extra lanes are masked off.
    func gatherWidth(_ lanes: Int) -> Int {
        var wide = 1
        while wide < lanes { wide *= 2 }
        return wide
    }

    /// `value` with lanes appended up to `wide`, each a copy of lane 0 (for
    /// pointers: an address that is valid, though masked-off lanes never use it).
    func widened(_ value: LLVMValueRef, to wide: Int) -> LLVMValueRef {
        guard let n = lanes(of: value), n < wide else { return value }
        return shuffle(value, LLVMGetPoison(LLVMTypeOf(value)), (0..<wide).map { $0 < n ? $0 : 0 })
    }

    /// A mask with masked-off lanes appended up to `wide`.
    func widenedMask(_ mask: LLVMValueRef, to wide: Int) -> LLVMValueRef {
        guard let n = lanes(of: mask), n < wide else { return mask }
        return shuffle(mask, LLVMConstNull(LLVMTypeOf(mask)), (0..<wide).map { $0 < n ? $0 : n })
    }

    /// The first `lanes` lanes of `value`.
    func narrowed(_ value: LLVMValueRef, to lanes: Int) -> LLVMValueRef {
        guard let n = self.lanes(of: value), n > lanes else { return value }
        return shuffle(value, LLVMGetPoison(LLVMTypeOf(value)), Array(0..<lanes))
    }

    func shuffle(_ a: LLVMValueRef, _ b: LLVMValueRef, _ indices: [Int]) -> LLVMValueRef {
        var constants: [LLVMValueRef?] = indices.map { LLVMConstInt(LLVMInt32TypeInContext(context), UInt64($0), 0) }
        return LLVMBuildShuffleVector(builder, a, b, LLVMConstVector(&constants, UInt32(indices.count)), "")!
    }

    /// A store of `value` to `buffer[indices]`: scalar, contiguous vector, or scatter.
    func emitStore(_ binding: BufferBinding, _ indices: [Expr], _ value: LLVMValueRef) {
        let alignment = UInt32(binding.buffer.type.byteSize)
        guard let vector, indices.contains(where: isVarying) || lanes(of: value) != nil || vector.mask != nil else {
            let store = LLVMBuildStore(builder, value, address(of: binding, indices))
            LLVMSetAlignment(store, alignment)
            return
        }
        let vectorValue = broadcast(value, lanes: vector.lanes)
        let alignmentValue = LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(alignment), 0)!
        if laneStride(of: binding, indices) == 1 {
            let pointer = atFirstLane { address(of: binding, indices) }
            if let mask = vector.mask {
                _ = intrinsic("llvm.masked.store", overloads: [LLVMTypeOf(vectorValue), pointerType], [vectorValue, pointer, alignmentValue, mask])
            } else {
                let store = LLVMBuildStore(builder, vectorValue, pointer)
                LLVMSetAlignment(store, alignment)
            }
            return
        }
        if let (pointer, stride) = stridedLocalAccess(binding, indices), stride != 0 {
            storeLanes(vectorValue, pointer, stride, binding)
            return
        }
        // Any other pattern (including a uniform address: the last lane wins,
        // as the last iteration of the loop would) is a scatter.
        var pointers = address(of: binding, indices)
        if lanes(of: pointers) == nil { pointers = broadcast(pointers, lanes: vector.lanes) }
        let wide = gatherWidth(vector.lanes)
        let (wideValue, widePointers) = (widened(vectorValue, to: wide), widened(pointers, to: wide))
        _ = intrinsic("llvm.masked.scatter", overloads: [LLVMTypeOf(wideValue), LLVMTypeOf(widePointers)],
                      [wideValue, widePointers, alignmentValue, widenedMask(vector.mask ?? allLanes(vector.lanes), to: wide)])
    }

    func allLanes(_ lanes: Int) -> LLVMValueRef {
        var ones = [LLVMValueRef?](repeating: LLVMConstInt(LLVMInt1TypeInContext(context), 1, 0), count: lanes)
        return LLVMConstVector(&ones, UInt32(lanes))
    }

    /// Calls a scalar C function on every lane of a vector.
    func perLane(_ values: [LLVMValueRef], _ call: ([LLVMValueRef]) -> LLVMValueRef) -> LLVMValueRef {
        guard let n = values.compactMap({ lanes(of: $0) }).first else { return call(values) }
        let vectors = values.map { broadcast($0, lanes: n) }
        var result: LLVMValueRef? = nil
        for lane in 0..<n {
            let index = LLVMConstInt(LLVMInt32TypeInContext(context), UInt64(lane), 0)
            let scalar = call(vectors.map { LLVMBuildExtractElement(builder, $0, index, "")! })
            if result == nil { result = LLVMGetPoison(vectorType(LLVMTypeOf(scalar), lanes: n)) }
            result = LLVMBuildInsertElement(builder, result, scalar, index, "")
        }
        return result!
    }
}
