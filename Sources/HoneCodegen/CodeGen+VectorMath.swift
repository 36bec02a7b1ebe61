internal import CLLVM
import HoneIR

// Math functions on vectors: one libmvec call per register of lanes, instead
// of the scalar C library call per lane that LLVM expands a vector
// `llvm.exp` into.
extension CodeGen {
    /// `f` applied lane-wise through libmvec, or nil when no value is a vector
    /// or libmvec has no variant of `f` (the caller then emits scalar code).
    ///
    /// A vector whose lane count is not a register's is cut into registers,
    /// the widest first; the last one is padded with copies of its first lane
    /// (a valid argument: the padding lanes compute a value nobody reads).
    func vectorMathCall(_ f: MathFunction, _ values: [LLVMValueRef], type: ScalarType) -> LLVMValueRef? {
        guard let n = values.compactMap({ lanes(of: $0) }).first else { return nil }
        let counts = vectorMath.laneCounts(type)
        guard let widest = counts.last else { return nil }
        var widths: [Int] = []
        var covered = 0
        while covered < n {
            let width = counts.first { $0 >= n - covered } ?? widest
            widths.append(width)
            covered += width
        }
        let symbols = widths.compactMap { vectorMath.function(f, type, lanes: $0) }
        guard symbols.count == widths.count else { return nil }

        let vectors = values.map { broadcast($0, lanes: n) }
        var result: LLVMValueRef?
        var start = 0
        for (width, symbol) in zip(widths, symbols) {
            let piece = callVectorFunction(symbol, vectors.map { lanes($0, from: start, count: width) })
            result = result.map { concatenated($0, piece) } ?? piece
            start += width
        }
        return narrowed(result!, to: n)
    }

    private func callVectorFunction(_ symbol: String, _ arguments: [LLVMValueRef]) -> LLVMValueRef {
        let vectorType = LLVMTypeOf(arguments[0])!
        let (callee, calleeType) = libraryFunction(symbol, returns: vectorType, arguments.map { _ in vectorType })
        // Pure functions: LLVM may hoist, merge or drop calls like arithmetic.
        for attribute in ["nounwind", "willreturn", "memory"] {
            addAttribute(attribute, to: callee, at: LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex)))
        }
        var args: [LLVMValueRef?] = arguments
        let call = LLVMBuildCall2(builder, calleeType, callee, &args, UInt32(args.count), "")!
        LLVMSetInstructionCallConv(call, LLVMGetFunctionCallConv(callee))
        return call
    }

    /// Lanes `start ..< start + count` of `value`, past its end copies of lane `start`.
    private func lanes(_ value: LLVMValueRef, from start: Int, count: Int) -> LLVMValueRef {
        let n = lanes(of: value)!
        if start == 0 && count == n { return value }
        return shuffle(value, LLVMGetPoison(LLVMTypeOf(value)), (start..<start + count).map { $0 < n ? $0 : start })
    }

    /// The lanes of `a`, then those of `b`.
    private func concatenated(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        let (p, q) = (lanes(of: a)!, lanes(of: b)!)
        let common = max(p, q)
        return shuffle(widened(a, to: common), widened(b, to: common), Array(0..<p) + Array(common..<common + q))
    }
}
