internal import CLLVM
import HoneIR

// Expressions: constants, variables, loads, arithmetic, math calls, selects, casts.
extension CodeGen {
    func emit(_ expr: Expr) -> LLVMValueRef {
        switch expr {
        case .int(let v, let t):
            return LLVMConstInt(llvmType(t), UInt64(bitPattern: v), 1)
        case .float(let v, let t):
            return LLVMConstReal(llvmType(t), v)
        case .variable(let name, _):
            guard let value = scalars[name] else { preconditionFailure("codegen: variable \(name) is not in scope") }
            if let vector, vector.variable == name { return ramp(value, lanes: vector.lanes) }
            return value
        case .load(let name, let indices, _):
            guard let binding = buffers[name] else { preconditionFailure("codegen: buffer \(name) is not in scope") }
            return convert(emitLoad(binding, indices), from: binding.buffer.type, to: expr.type)
        case .unary(.neg, let a):
            let value = emit(a)
            return a.type.isFloat ? LLVMBuildFNeg(builder, value, "") : LLVMBuildNeg(builder, value, "")
        case .unary(.not, let a):
            return LLVMBuildNot(builder, convert(emit(a), from: a.type, to: .bool), "")
        case .binary(let op, let a, let b):
            return emitBinary(op, a, b)
        case .call(let f, let args):
            return emitCall(f, args, type: expr.type)
        case .select(let c, let a, let b):
            let type = expr.type
            let (l, r) = matchLanes(convert(emit(a), from: a.type, to: type), convert(emit(b), from: b.type, to: type))
            var condition = convert(emit(c), from: c.type, to: .bool)
            if let n = lanes(of: l), lanes(of: condition) == nil { condition = broadcast(condition, lanes: n) }
            let (matchedCondition, left) = matchLanes(condition, l)
            return LLVMBuildSelect(builder, matchedCondition, left, lanes(of: left) == nil ? r : broadcast(r, lanes: lanes(of: left)!), "")
        case .cast(let t, let a):
            return convert(emit(a), from: a.type, to: t)
        }
    }

    private func emitBinary(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> LLVMValueRef {
        if op.isLogical {
            let (l, r) = matchLanes(convert(emit(a), from: a.type, to: .bool), convert(emit(b), from: b.type, to: .bool))
            return op == .and ? LLVMBuildAnd(builder, l, r, "") : LLVMBuildOr(builder, l, r, "")
        }
        let type = ScalarType.promoted(a.type, b.type)
        let (l, r) = matchLanes(convert(emit(a), from: a.type, to: type), convert(emit(b), from: b.type, to: type))
        if type.isFloat {
            let value: LLVMValueRef
            switch op {
            case .add: value = LLVMBuildFAdd(builder, l, r, "")
            case .sub: value = LLVMBuildFSub(builder, l, r, "")
            case .mul: value = LLVMBuildFMul(builder, l, r, "")
            case .div: value = LLVMBuildFDiv(builder, l, r, "")
            case .mod: value = LLVMBuildFRem(builder, l, r, "")
            case .min: return intrinsic("llvm.minnum", type, [l, r])
            case .max: return intrinsic("llvm.maxnum", type, [l, r])
            case .eq: return LLVMBuildFCmp(builder, LLVMRealOEQ, l, r, "")
            case .ne: return LLVMBuildFCmp(builder, LLVMRealUNE, l, r, "")
            case .lt: return LLVMBuildFCmp(builder, LLVMRealOLT, l, r, "")
            case .le: return LLVMBuildFCmp(builder, LLVMRealOLE, l, r, "")
            case .gt: return LLVMBuildFCmp(builder, LLVMRealOGT, l, r, "")
            case .ge: return LLVMBuildFCmp(builder, LLVMRealOGE, l, r, "")
            case .and, .or: preconditionFailure("logical operators are handled above")
            }
            // Allow fusing a multiply into a following add (FMA); nothing else.
            LLVMSetFastMathFlags(value, LLVMFastMathFlags(LLVMFastMathAllowContract))
            return value
        }
        switch op {
        case .add: return LLVMBuildNSWAdd(builder, l, r, "")
        case .sub: return LLVMBuildNSWSub(builder, l, r, "")
        case .mul: return LLVMBuildNSWMul(builder, l, r, "")
        case .div: return floorDivide(l, r, type)
        case .mod: return floorModulo(l, r, type)
        case .min: return intrinsic("llvm.smin", type, [l, r])
        case .max: return intrinsic("llvm.smax", type, [l, r])
        case .eq: return LLVMBuildICmp(builder, LLVMIntEQ, l, r, "")
        case .ne: return LLVMBuildICmp(builder, LLVMIntNE, l, r, "")
        case .lt: return LLVMBuildICmp(builder, LLVMIntSLT, l, r, "")
        case .le: return LLVMBuildICmp(builder, LLVMIntSLE, l, r, "")
        case .gt: return LLVMBuildICmp(builder, LLVMIntSGT, l, r, "")
        case .ge: return LLVMBuildICmp(builder, LLVMIntSGE, l, r, "")
        case .and, .or: preconditionFailure("logical operators are handled above")
        }
    }

    /// Floor division: the truncated quotient, minus one when the remainder is
    /// non-zero and its sign differs from the divisor's.
    private func floorDivide(_ a: LLVMValueRef, _ b: LLVMValueRef, _ type: ScalarType) -> LLVMValueRef {
        let quotient = LLVMBuildSDiv(builder, a, b, "")!
        let remainder = LLVMBuildSRem(builder, a, b, "")!
        let adjust = needsFloorAdjustment(remainder, b, type)
        return LLVMBuildSub(builder, quotient, LLVMBuildZExt(builder, adjust, LLVMTypeOf(quotient), ""), "")
    }

    /// Floor modulo: the truncated remainder, plus the divisor when their signs differ.
    private func floorModulo(_ a: LLVMValueRef, _ b: LLVMValueRef, _ type: ScalarType) -> LLVMValueRef {
        let remainder = LLVMBuildSRem(builder, a, b, "")!
        let adjust = needsFloorAdjustment(remainder, b, type)
        return LLVMBuildSelect(builder, adjust, LLVMBuildAdd(builder, remainder, b, ""), remainder, "")
    }

    private func needsFloorAdjustment(_ remainder: LLVMValueRef, _ divisor: LLVMValueRef, _ type: ScalarType) -> LLVMValueRef {
        var zero = LLVMConstInt(llvmType(type), 0, 0)!
        if let n = lanes(of: remainder) { zero = broadcast(zero, lanes: n) }
        let nonZero = LLVMBuildICmp(builder, LLVMIntNE, remainder, zero, "")!
        let signsDiffer = LLVMBuildICmp(builder, LLVMIntSLT, LLVMBuildXor(builder, remainder, divisor, ""), zero, "")!
        return LLVMBuildAnd(builder, nonZero, signsDiffer, "")
    }

    private func emitCall(_ f: MathFunction, _ args: [Expr], type: ScalarType) -> LLVMValueRef {
        let values = args.map { convert(emit($0), from: $0.type, to: type) }
        if type.isInteger {
            // Only abs accepts integers (the elaborator checks this).
            return intrinsic("llvm.abs", overloads: [LLVMTypeOf(values[0])], [values[0], LLVMConstInt(LLVMInt1TypeInContext(context), 0, 0)])
        }
        if let vectorized = vectorMathCall(f, values, type: type) { return vectorized }
        // Scalars, and vectors libmvec cannot take: LLVM calls the C library per lane.
        switch f {
        case .exp: return intrinsic("llvm.exp", type, values)
        case .log: return intrinsic("llvm.log", type, values)
        case .sqrt: return intrinsic("llvm.sqrt", type, values)
        case .abs: return intrinsic("llvm.fabs", type, values)
        case .floor: return intrinsic("llvm.floor", type, values)
        case .ceil: return intrinsic("llvm.ceil", type, values)
        case .sin: return intrinsic("llvm.sin", type, values)
        case .cos: return intrinsic("llvm.cos", type, values)
        case .pow: return intrinsic("llvm.pow", type, values)
        case .tanh:
            // LLVM 19 has no tanh intrinsic: call the C library.
            let name = type == .f32 ? "tanhf" : "tanh"
            let (callee, calleeType) = libraryFunction(name, returns: llvmType(type), [llvmType(type)])
            return perLane(values) { scalars in
                var arguments: [LLVMValueRef?] = scalars
                return LLVMBuildCall2(builder, calleeType, callee, &arguments, 1, "")!
            }
        }
    }

    /// Calls an intrinsic overloaded on its first argument's type (e.g.
    /// `llvm.sqrt.f32`, or `llvm.sqrt.v8f32` on a vector), broadcasting
    /// uniform arguments to the vector width.
    func intrinsic(_ name: String, _ type: ScalarType, _ arguments: [LLVMValueRef], overloadOnly: Bool = false) -> LLVMValueRef {
        var values = arguments
        if !overloadOnly, let n = arguments.compactMap({ lanes(of: $0) }).first {
            values = arguments.map { broadcast($0, lanes: n) }
        }
        return intrinsic(name, overloads: [LLVMTypeOf(values[0])], values)
    }

    /// Calls an intrinsic with explicit overload types.
    func intrinsic(_ name: String, overloads: [LLVMTypeRef], _ arguments: [LLVMValueRef]) -> LLVMValueRef {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        precondition(id != 0, "codegen: unknown intrinsic \(name)")
        var overloadTypes: [LLVMTypeRef?] = overloads
        let declaration = LLVMGetIntrinsicDeclaration(module, id, &overloadTypes, overloads.count)
        let functionType = LLVMIntrinsicGetType(context, id, &overloadTypes, overloads.count)
        var args: [LLVMValueRef?] = arguments
        return LLVMBuildCall2(builder, functionType, declaration, &args, UInt32(args.count), "")!
    }

    /// Converts a value between scalar types (C semantics: float to int truncates).
    func convert(_ value: LLVMValueRef, from: ScalarType, to: ScalarType) -> LLVMValueRef {
        if from == to { return value }
        let target = lanes(of: value).map { vectorType(llvmType(to), lanes: $0) } ?? llvmType(to)
        let zero = { (t: ScalarType) -> LLVMValueRef in
            let scalar = t.isFloat ? LLVMConstReal(self.llvmType(t), 0)! : LLVMConstInt(self.llvmType(t), 0, 0)!
            return self.lanes(of: value).map { self.broadcast(scalar, lanes: $0) } ?? scalar
        }
        switch (from.isFloat, to.isFloat) {
        case (true, true):
            return to.byteSize > from.byteSize ? LLVMBuildFPExt(builder, value, target, "") : LLVMBuildFPTrunc(builder, value, target, "")
        case (false, true):
            return from == .bool ? LLVMBuildUIToFP(builder, value, target, "") : LLVMBuildSIToFP(builder, value, target, "")
        case (true, false):
            if to == .bool { return LLVMBuildFCmp(builder, LLVMRealUNE, value, zero(from), "") }
            return LLVMBuildFPToSI(builder, value, target, "")
        case (false, false):
            if to == .bool { return LLVMBuildICmp(builder, LLVMIntNE, value, zero(from), "") }
            if from == .bool { return LLVMBuildZExt(builder, value, target, "") }
            return to.byteSize > from.byteSize ? LLVMBuildSExt(builder, value, target, "") : LLVMBuildTrunc(builder, value, target, "")
        }
    }
}
