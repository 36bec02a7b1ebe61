/// The work and compulsory memory traffic a kernel's definition implies,
/// independent of any schedule: the figures behind GFLOP/s and GB/s reports
/// and roofline bounds.
///
/// ## Counting rules
/// A stage's **points** are its output elements times its reduction points
/// (the product of the reduction extents; 1 without a reduction). Its value
/// expression is counted once per point:
/// - `add`, `sub`, `mul`, `div`, `mod`, `min`, `max` and `neg`: 1 each;
/// - math calls (`exp`, `log`, `sqrt`, `tanh`, `abs`, `floor`, `ceil`, `sin`,
///   `cos`, `pow`): 1 each;
/// - comparisons (`==`, `<`, …): 1 each (a FLOP when they compare floats, an
///   integer op when they compare i32 values);
/// - `select`, casts, logical `&&`/`||`/`!`, constants, variables and loads:
///   0, but their operands are counted (both branches of a select);
/// - plus 1 per point for the reduction combine (a sum's add, a max's max).
/// An operation is a **FLOP** when its result (a comparison: its operands)
/// is f32 or f64, and an **integer op** when it is i32 data arithmetic; index
/// arithmetic (type `index`, including everything inside a load's indices)
/// and boolean logic never count. So gemm M×N×K is exactly 2·M·N·K FLOPs.
///
/// **Bytes moved** is the compulsory traffic: every input read once plus the
/// output written once. Intermediate stages are not included (a schedule may
/// inline them or keep them in cache); each stage's own figures say what it
/// would read and write if materialized.
public struct KernelCost: Hashable, Sendable {
    public struct StageCost: Hashable, Sendable {
        public var name: String
        /// Output elements of the stage.
        public var elements: Int
        /// Points per element: the product of the reduction extents (1 without a
        /// reduction).
        public var reductionPoints: Int
        /// FLOPs per point, including the reduction combine.
        public var flopsPerPoint: Int
        /// Integer (i32 data) operations per point, including the combine of an
        /// integer reduction.
        public var integerOpsPerPoint: Int
        /// elements × reductionPoints × flopsPerPoint.
        public var flops: Int
        /// elements × reductionPoints × integerOpsPerPoint.
        public var integerOps: Int
        /// Bytes of every distinct tensor the stage reads, each read once.
        public var bytesRead: Int
        /// Bytes of the tensor the stage defines.
        public var bytesWritten: Int

        /// elements × reductionPoints.
        public var points: Int { elements * reductionPoints }
    }

    /// Per-stage figures, in stage order.
    public var stages: [StageCost]
    /// Total floating-point operations.
    public var flops: Int
    /// Total integer (i32 data) operations.
    public var integerOps: Int
    /// Bytes of all inputs.
    public var inputBytes: Int
    /// Bytes of the output.
    public var outputBytes: Int
    /// Compulsory traffic: inputBytes + outputBytes.
    public var bytesMoved: Int { inputBytes + outputBytes }

    /// FLOPs per compulsory byte (the x-axis of a roofline plot).
    public var arithmeticIntensity: Double {
        bytesMoved == 0 ? 0 : Double(flops) / Double(bytesMoved)
    }

    public init(_ kernel: Kernel) {
        var types: [String: ScalarType] = [:]
        var bytes: [String: Int] = [:]
        for t in kernel.tensors {
            types[t.name] = t.type
            bytes[t.name] = t.byteCount
        }
        stages = kernel.stages.map { stage in
            let decl = kernel.tensor(named: stage.name)
            let elements = decl?.elementCount ?? 0
            var counter = OperationCounter()
            counter.count(stage.value)
            let reductionPoints = stage.reduction?.axes.reduce(1) { $0 * Swift.max($1.extent, 0) } ?? 1
            if stage.reduction != nil, let type = decl?.type {
                if type.isFloat { counter.flops += 1 } else if type == .i32 { counter.integerOps += 1 }
            }
            let read = tensorsRead(by: stage.value)
            let points = elements * reductionPoints
            return StageCost(
                name: stage.name, elements: elements, reductionPoints: reductionPoints,
                flopsPerPoint: counter.flops, integerOpsPerPoint: counter.integerOps,
                flops: points * counter.flops, integerOps: points * counter.integerOps,
                bytesRead: read.reduce(0) { $0 + (bytes[$1] ?? 0) },
                bytesWritten: decl?.byteCount ?? 0)
        }
        flops = stages.reduce(0) { $0 + $1.flops }
        integerOps = stages.reduce(0) { $0 + $1.integerOps }
        inputBytes = kernel.inputs.reduce(0) { $0 + $1.byteCount }
        outputBytes = kernel.tensors.filter { $0.role == .output }.reduce(0) { $0 + $1.byteCount }
    }
}

/// Counts the operations of one evaluation of an expression (see
/// `KernelCost`). Load indices are index arithmetic and are not entered.
private struct OperationCounter {
    var flops = 0
    var integerOps = 0

    mutating func count(_ e: Expr) {
        e.walk { e in
            switch e {
            case .load: return .skipChildren
            case .unary(.neg, _), .call: tally(e.type)
            case .binary(let op, let a, let b) where op.isComparison: tally(ScalarType.promoted(a.type, b.type))
            case .binary(let op, _, _) where !op.isLogical: tally(e.type)
            default: break
            }
            return .visitChildren
        }
    }

    private mutating func tally(_ type: ScalarType) {
        if type.isFloat { flops += 1 } else if type == .i32 { integerOps += 1 }
    }
}
