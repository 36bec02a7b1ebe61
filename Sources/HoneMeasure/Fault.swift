import HoneIR

/// A fault injected into a candidate, to test that measurement survives it.
/// Test-only, but shipped: `hone measure --inject` and the worker protocol
/// accept it. Each is applied to the lowered loop nest before code
/// generation (except `illegalInstruction`, raised by the worker itself,
/// since Hone's IR has no trap instruction).
public enum Fault: String, Hashable, Sendable, Codable, CaseIterable {
    /// A store at an element offset of ~2^42 bytes past a buffer: SIGSEGV.
    case outOfBoundsWrite = "out_of_bounds_write"
    /// A serial loop of 2^62 iterations adding to the output: a hang.
    case endlessLoop = "endless_loop"
    /// A fully unrolled loop of 200,000 stores: LLVM takes minutes.
    case hugeUnroll = "huge_unroll"
    /// One output element gets +1: a wrong answer with max abs error ~1.
    case wrongAnswer = "wrong_answer"
    /// An integer division by a value loaded at run time that is zero
    /// (`i32(x * 0.0)`): SIGFPE on x86.
    case arithmeticTrap = "arithmetic_trap"
    /// The worker raises SIGILL right before running the kernel.
    case illegalInstruction = "illegal_instruction"

    /// The error kind a run with this fault must end in.
    public var expectedErrorKind: MeasureError.Kind {
        switch self {
        case .outOfBoundsWrite, .arithmeticTrap, .illegalInstruction: .runtimeCrash
        case .endlessLoop: .runTimeout
        case .hugeUnroll: .compileTimeout
        case .wrongAnswer: .wrongAnswer
        }
    }

    /// The nest with the fault added after its body.
    public func apply(to nest: LoopNest) -> LoopNest {
        var nest = nest
        guard let output = nest.arguments.last else { return nest }
        let origin = [Expr](repeating: .index(0), count: output.shape.count)
        let outputValue = Expr.load(output.name, origin, output.type)
        func one(_ type: ScalarType) -> Expr { type.isFloat ? .float(1, type) : .int(1, type) }
        var extra: Stmt
        switch self {
        case .outOfBoundsWrite:
            // Any argument with at least one dimension; the offset lands far
            // outside every mapping (or in non-canonical addresses).
            guard let target = nest.arguments.last(where: { !$0.shape.isEmpty }) else { return nest }
            let stride = max(target.shape.dropFirst().reduce(1, *), 1)
            let wild = (1 << 42) / target.type.byteSize / stride
            var indices = [Expr](repeating: .index(0), count: target.shape.count)
            indices[0] = .index(wild)
            let value: Expr = target.type.isFloat ? .float(42, target.type) : .int(42, target.type)
            extra = .store(target.name, indices, value)
        case .endlessLoop:
            extra = .loop(Loop("fault.hang", extent: .index(1 << 62), body:
                .store(output.name, origin, .binary(.add, outputValue, one(output.type)))))
        case .hugeUnroll:
            // Each statement touches a different element, so none folds away.
            let count = max(output.elementCount, 1)
            let variable = Expr.indexVar("fault.unroll")
            let flat = Expr.binary(.mod, variable, .index(count))
            var indices: [Expr] = []
            var remaining = flat
            for extent in output.shape.reversed() {
                indices.insert(.binary(.mod, remaining, .index(extent)), at: 0)
                remaining = .binary(.div, remaining, .index(extent))
            }
            let element = Expr.load(output.name, indices, output.type)
            extra = .loop(Loop("fault.unroll", extent: .index(200_000), kind: .unrolled, body:
                .store(output.name, indices, .binary(.mul, element, .cast(output.type, .binary(.add, variable, .index(1)))))))
        case .wrongAnswer:
            extra = .store(output.name, origin, .binary(.add, outputValue, one(output.type)))
        case .arithmeticTrap:
            // x * 0.0 is not folded without fast-math flags, so LLVM cannot
            // know the divisor is zero; the dividend varies too, so it cannot
            // turn the division into a select either.
            let source = nest.arguments.first!
            let x = Expr.cast(.f32, .load(source.name, [Expr](repeating: .index(0), count: source.shape.count), source.type))
            let divisor = Expr.cast(.i32, .binary(.mul, x, .float(0, .f32)))
            let dividend = Expr.cast(.i32, .binary(.add, .binary(.mul, x, .float(1000, .f32)), .float(7, .f32)))
            extra = .store(output.name, origin, .binary(.add, outputValue, .cast(output.type, .binary(.div, dividend, divisor))))
        case .illegalInstruction:
            return nest
        }
        nest.body = .sequence([nest.body, extra])
        return nest
    }
}
