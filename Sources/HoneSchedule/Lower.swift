import HoneIR

/// Lowers a kernel to a loop nest with the default schedule: every stage
/// computed in full, in dependency order, its loops in the natural order
/// (the tensor's dimensions outermost first, then the reduction axes).
///
/// ```
/// for i, j:            # the stage's pure dimensions
///   C[i, j] = init     # only for reductions: 0, -inf or +inf
///   for k:             # reduction axes
///     C[i, j] = C[i, j] + A[i, k] * B[k, j]
/// ```
/// Intermediate stages are heap allocations around the whole body.
public func lower(_ kernel: Kernel) -> LoopNest {
    let stages = kernel.stages.map(lowerStage)
    var body = Stmt.sequence(stages)
    for tensor in kernel.tensors.reversed() where tensor.role == .intermediate {
        body = .allocate(Buffer(name: tensor.name, type: tensor.type, shape: tensor.shape, memory: .heap), body)
    }
    let arguments = kernel.arguments.map { Buffer(name: $0.name, type: $0.type, shape: $0.shape) }
    return LoopNest(name: kernel.name, arguments: arguments, body: body)

    func lowerStage(_ stage: Stage) -> Stmt {
        let tensor = kernel.tensor(named: stage.name)!
        let point = stage.indexVariables.map(Expr.indexVar)
        var inner: Stmt
        if let reduction = stage.reduction {
            let current = Expr.load(stage.name, point, tensor.type)
            let update = Stmt.store(stage.name, point, combine(reduction.op, current, stage.value, tensor.type))
            var reductionLoops = update
            for axis in reduction.axes.reversed() {
                reductionLoops = .loop(Loop(axis.name, extent: .index(axis.extent), body: reductionLoops))
            }
            inner = .sequence([.store(stage.name, point, identity(of: reduction.op, tensor.type)), reductionLoops])
        } else {
            inner = .store(stage.name, point, stage.value)
        }
        for (variable, extent) in zip(stage.indexVariables, tensor.shape).reversed() {
            inner = .loop(Loop(variable, extent: .index(extent), body: inner))
        }
        return inner
    }
}

/// The value a reduction starts from: 0 for sum, -inf for max, +inf for min
/// (the largest and smallest values for integer types).
public func identity(of op: Reduction.Operator, _ type: ScalarType) -> Expr {
    switch (op, type.isFloat) {
    case (.sum, true): .float(0, type)
    case (.sum, false): .int(0, type)
    case (.max, true): .float(-.infinity, type)
    case (.min, true): .float(.infinity, type)
    case (.max, false): .int(type == .i32 ? Int64(Int32.min) : Int64.min, type)
    case (.min, false): .int(type == .i32 ? Int64(Int32.max) : Int64.max, type)
    }
}

/// `accumulator op value`, with the value converted to the accumulator's type.
public func combine(_ op: Reduction.Operator, _ accumulator: Expr, _ value: Expr, _ type: ScalarType) -> Expr {
    let converted = value.type == type ? value : .cast(type, value)
    switch op {
    case .sum: return .binary(.add, accumulator, converted)
    case .max: return .binary(.max, accumulator, converted)
    case .min: return .binary(.min, accumulator, converted)
    }
}
