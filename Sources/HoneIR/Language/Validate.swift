// `Kernel.validate()`: the checks elaboration makes, on a kernel built in
// Swift code (no locations; messages name the stage).

extension Kernel {
    /// Checks names, ranks, types, index bounds (IndexRules.swift) and stage
    /// order. A load that is in bounds only under its `select` condition must
    /// already be clamped; `clampingGuardedLoads()` does that.
    public func validate() throws(HoneError) {
        var validator = KernelValidator(kernel: self, clamp: false)
        _ = try validator.run()
    }

    /// Validates the kernel and returns it with every load that is in bounds
    /// only under its `select` condition clamped into its tensor, as
    /// elaboration does (see IndexRules.swift for why).
    public func clampingGuardedLoads() throws(HoneError) -> Kernel {
        var validator = KernelValidator(kernel: self, clamp: true)
        return try validator.run()
    }
}

private struct KernelValidator {
    let kernel: Kernel
    let clamp: Bool
    var tensors: [String: TensorDecl] = [:]
    var available: Set<String> = []
    var stage: Stage?
    var variables: Set<String> = []

    init(kernel: Kernel, clamp: Bool) {
        self.kernel = kernel
        self.clamp = clamp
    }

    func fail(_ message: String) -> HoneError {
        if let stage { return HoneError("stage \(stage.name): \(message)") }
        return HoneError("kernel \(kernel.name): \(message)")
    }

    mutating func run() throws(HoneError) -> Kernel {
        var outputs: [String] = []
        for t in kernel.tensors {
            guard tensors[t.name] == nil else { throw fail("duplicate tensor \(t.name)") }
            guard t.type == .f32 || t.type == .f64 || t.type == .i32 else {
                throw fail("tensor \(t.name) has element type \(t.type.rawValue); expected f32, f64 or i32")
            }
            if let d = t.shape.firstIndex(where: { $0 <= 0 }) {
                throw fail("dimension \(d + 1) of \(t.name) has extent \(t.shape[d]); extents must be positive")
            }
            tensors[t.name] = t
            if t.role == .output { outputs.append(t.name) }
            if t.role == .input { available.insert(t.name) }
        }
        guard outputs.count == 1 else { throw fail("a kernel has exactly one output, found \(outputs.count)") }
        var defined = Set<String>()
        for s in kernel.stages {
            guard let t = tensors[s.name] else { throw fail("stage \(s.name) defines no declared tensor") }
            guard t.role != .input else { throw fail("\(s.name) is an input and cannot be defined") }
            guard defined.insert(s.name).inserted else { throw fail("\(s.name) is defined by two stages") }
        }
        if let missing = kernel.tensors.first(where: { $0.role != .input && !defined.contains($0.name) }) {
            throw fail("\(missing.name) is declared but no stage defines it")
        }
        guard kernel.stages.last?.name == outputs[0] else {
            throw fail("the last stage must define the output \(outputs[0])")
        }

        var checked = kernel
        for (i, s) in kernel.stages.enumerated() {
            stage = s
            checked.stages[i].value = try checkStage(s)
            available.insert(s.name)
        }
        return checked
    }

    mutating func checkStage(_ s: Stage) throws(HoneError) -> Expr {
        guard let tensor = tensors[s.name] else { throw fail("unknown tensor") }
        guard s.indexVariables.count == tensor.shape.count else {
            throw fail("\(s.name) has \(plural(tensor.shape.count, "dimension")) but \(plural(s.indexVariables.count, "index variable"))")
        }
        variables = []
        var ranges: [String: Interval] = [:]
        for (v, extent) in zip(s.indexVariables, tensor.shape) {
            guard variables.insert(v).inserted else { throw fail("index variable \(v) appears twice") }
            ranges[v] = Interval(extent: extent)
        }
        if let reduction = s.reduction {
            guard !reduction.axes.isEmpty else { throw fail("a reduction needs at least one axis") }
            for axis in reduction.axes {
                guard variables.insert(axis.name).inserted else {
                    throw fail("reduction variable \(axis.name) repeats another variable of the stage")
                }
                guard axis.extent > 0 else { throw fail("reduction variable \(axis.name) has extent \(axis.extent); extents must be positive") }
                ranges[axis.name] = Interval(extent: axis.extent)
            }
        }
        if let clash = variables.first(where: { tensors[$0] != nil }) {
            throw fail("variable \(clash) has the name of a tensor")
        }
        let context = IntervalContext(ranges: ranges)
        let value = try check(s.value, narrowed: context, full: context)
        guard value.type == tensor.type else {
            throw fail("the value has type \(value.type.rawValue) but \(s.name) holds \(tensor.type.rawValue); add a cast")
        }
        return value
    }

    /// Checks `e` and returns it, with guarded loads clamped when `clamp`.
    func check(_ e: Expr, narrowed: IntervalContext?, full: IntervalContext) throws(HoneError) -> Expr {
        switch e {
        case .int(let v, let t):
            switch t {
            case .bool where v != 0 && v != 1: throw fail("boolean constant \(v) is neither 0 nor 1")
            case .i32 where Int64(Int32.min) > v || v > Int64(Int32.max): throw fail("i32 constant \(v) is out of range")
            case .f32, .f64: throw fail("integer constant \(v) has float type \(t.rawValue); use .float")
            default: return e
            }
        case .float(_, let t):
            guard t.isFloat else { throw fail("float constant of type \(t.rawValue)") }
            return e
        case .variable(let name, let t):
            guard variables.contains(name) else { throw fail("unknown variable \(name)") }
            guard t == .index else { throw fail("variable \(name) must have type index, not \(t.rawValue)") }
            return e
        case .load(let name, let indices, let t):
            return try checkLoad(name, indices, t, narrowed: narrowed, full: full)
        case .unary(let op, let a):
            let x = try check(a, narrowed: narrowed, full: full)
            if op == .not && x.type != .bool { throw fail("'!' needs a bool operand, got \(x.type.rawValue)") }
            if op == .neg && x.type == .bool { throw fail("cannot negate a bool") }
            return .unary(op, x)
        case .binary(let op, let a, let b):
            let x = try check(a, narrowed: narrowed, full: full), y = try check(b, narrowed: narrowed, full: full)
            if op.isLogical {
                guard x.type == .bool, y.type == .bool else { throw fail("'\(op.symbol)' needs bool operands in \(e)") }
            } else {
                guard x.type == y.type else {
                    throw fail("operands of '\(op.symbol)' have types \(x.type.rawValue) and \(y.type.rawValue) in \(e); cast one")
                }
                guard x.type != .bool else { throw fail("'\(op.symbol)' needs numbers, not bools, in \(e)") }
                if op == .mod && x.type.isFloat { throw fail("'%' needs integers in \(e)") }
            }
            return .binary(op, x, y)
        case .call(let f, let args):
            guard args.count == f.arity else { throw fail("\(f.rawValue) takes \(plural(f.arity, "argument")), got \(args.count)") }
            var checked: [Expr] = []
            for a in args { checked.append(try check(a, narrowed: narrowed, full: full)) }
            guard checked.allSatisfy({ $0.type == checked[0].type }) else { throw fail("arguments of \(f.rawValue) differ in type in \(e)") }
            guard checked[0].type.isFloat || f == .abs && checked[0].type.isInteger else {
                throw fail("\(f.rawValue) needs float arguments, got \(checked[0].type.rawValue)")
            }
            return .call(f, checked)
        case .select(let c, let a, let b):
            let cond = try check(c, narrowed: narrowed, full: full)
            guard cond.type == .bool else { throw fail("the condition of select has type \(cond.type.rawValue), not bool") }
            let x = try check(a, narrowed: narrowed?.assuming(cond, true), full: full)
            let y = try check(b, narrowed: narrowed?.assuming(cond, false), full: full)
            guard x.type == y.type else { throw fail("the branches of select have types \(x.type.rawValue) and \(y.type.rawValue)") }
            return .select(cond, x, y)
        case .cast(let t, let a):
            guard t != .bool else { throw fail("cannot cast to bool; compare instead") }
            return .cast(t, try check(a, narrowed: narrowed, full: full))
        }
    }

    func checkLoad(_ name: String, _ indices: [Expr], _ type: ScalarType,
                   narrowed: IntervalContext?, full: IntervalContext) throws(HoneError) -> Expr {
        guard let tensor = tensors[name] else {
            throw fail("unknown tensor '\(name)'" + suggestion(for: name, among: tensors.keys))
        }
        if name == stage?.name { throw fail("\(name) reads itself") }
        guard available.contains(name) else { throw fail("reads \(name), which is computed by a later stage") }
        guard indices.count == tensor.shape.count else {
            throw fail("\(name) expects \(plural(tensor.shape.count, "index", "indices")), got \(indices.count)")
        }
        guard type == tensor.type else {
            throw fail("load of \(name) has type \(type.rawValue) but \(name) holds \(tensor.type.rawValue)")
        }
        var result: [Expr] = []
        for (d, index) in indices.enumerated() {
            let ordinal = indexOrdinal(d, of: name)
            if let problem = index.affineIndexProblem() { throw fail("\(ordinal) \(problem)") }
            let checked = try check(index, narrowed: narrowed, full: full)
            guard checked.type == .index else { throw fail("\(ordinal) has type \(checked.type.rawValue); indices must be index-typed") }
            let extent = tensor.shape[d]
            switch classifyIndex(index, extent: extent, narrowed: narrowed, full: full) {
            case .inBounds:
                result.append(index)
            case .needsClamp(let low, let high):
                guard clamp else {
                    throw fail("\(ordinal) (\(index)) is in bounds only under its select condition; "
                               + "clamp it into 0..<\(extent) (Kernel.clampingGuardedLoads() does)")
                }
                result.append(clampIndex(index, extent: extent, low: low, high: high))
            case .outOfBounds(let reach):
                throw fail(outOfBoundsMessage(d, of: name, reach: reach, extent: extent))
            case .unbounded:
                throw fail("cannot bound \(ordinal) (\(index))")
            }
        }
        return .load(name, result, type)
    }
}
