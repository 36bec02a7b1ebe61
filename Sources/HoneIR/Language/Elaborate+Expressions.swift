// Elaboration of one definition `T[i, j] = value`: name resolution, typing
// (TypeRules.swift), index checks (IndexRules.swift) and the lifting of nested
// reductions into generated stages.
//
// A reduction that is a whole right-hand side becomes the stage's
// `Reduction`. One nested inside a larger expression becomes a stage of its
// own, named `<stage>_<op><n>` (e.g. `out_sum0`), whose index variables are
// the enclosing index and reduction variables its body uses (in enclosing
// order) and whose shape is their extents; the expression then loads it.
// Directly nested reductions of the same operator merge:
// `sum(i < M) sum(j < N) x` is `sum(i < M, j < N) x`.

/// The ranges in force at a point of an expression: `full` is the whole
/// domain, `narrowed` adds the enclosing select conditions (nil when they
/// cannot all hold).
private struct Bounds {
    var narrowed: IntervalContext?
    var full: IntervalContext
}

/// Where an index expression sits: its dimension of a load.
private struct IndexSite {
    var tensor: String
    var dimension: Int
    var ordinal: String { indexOrdinal(dimension, of: tensor) }
}

private let builtinFunctions: [String] = ["select", "min", "max", "sum", "f32", "f64", "i32"] + MathFunction.allCases.map(\.rawValue)
private let affineRule = "indices must be affine: +, -, * by a constant, / and % by a positive constant, min, max"

struct StageElaborator {
    var env: ElaborationEnvironment
    let definition: DefinitionSyntax
    let tensor: TensorDecl
    /// The type an untyped float literal takes when nothing else decides.
    let defaultFloat: ScalarType
    var indexVariables: [(name: String, extent: Int)] = []
    /// Reduction variables in scope, outermost first.
    var reductionScope: [(name: String, extent: Int)] = []
    /// Tensors read by the stage being converted (the definition's, or a
    /// lifted reduction's while its body is converted).
    var reads: [(name: String, location: SourceLocation)] = []
    var produced: [ElaboratedStage] = []
    var liftCount = 0

    init(env: ElaborationEnvironment, definition: DefinitionSyntax) {
        self.env = env
        self.definition = definition
        // `matchDefinitions` only passes definitions of declared tensors.
        guard let tensor = env.tensors[definition.name] else {
            preconditionFailure("internal error: definition of undeclared \(definition.name)")
        }
        self.tensor = tensor
        self.defaultFloat = tensor.type.isFloat ? tensor.type : .f32
    }

    /// The stages this definition produces: lifted reductions first, the
    /// definition's own stage last.
    mutating func run() throws(HoneError) -> [ElaboratedStage] {
        let name = definition.name
        guard definition.indices.count == tensor.shape.count else {
            throw HoneError("\(name) has \(plural(tensor.shape.count, "dimension")), so its definition needs "
                            + "\(plural(tensor.shape.count, "index variable")), got \(definition.indices.count)", at: definition.location)
        }
        var ranges: [String: Interval] = [:]
        for (v, extent) in zip(definition.indices, tensor.shape) {
            if indexVariables.contains(where: { $0.name == v.name }) {
                throw HoneError("index variable \(v.name) appears twice in the left side of \(name)", at: v.location)
            }
            try checkFresh(v.name, kind: "index variable", at: v.location)
            indexVariables.append((v.name, extent))
            ranges[v.name] = Interval(extent: extent)
        }
        let full = IntervalContext(ranges: ranges)

        var reduction: Reduction?
        let value: Expr
        if case .reduction(let op, let axes, let body) = definition.value.kind {
            let (allAxes, inner) = flatten(op, axes, body)
            let bound = try bindAxes(allAxes)
            var context = full
            for a in bound { context = context.binding(a.name, to: Interval(extent: a.extent)) }
            reductionScope = bound
            let typed = try convert(inner, Bounds(narrowed: context, full: context), nil)
            reductionScope = []
            value = try store(typed, at: inner.location)
            reduction = Reduction(op: op, axes: bound.map { ReductionAxis(name: $0.name, extent: $0.extent) })
        } else {
            value = try store(try convert(definition.value, Bounds(narrowed: full, full: full), nil), at: definition.value.location)
        }
        let stage = Stage(name: name, indexVariables: indexVariables.map(\.name), reduction: reduction, value: value)
        produced.append(ElaboratedStage(stage: stage, tensor: tensor, reads: reads, location: definition.location))
        return produced
    }

    /// Rejects a variable name that would shadow something visible.
    func checkFresh(_ name: String, kind: String, at location: SourceLocation) throws(HoneError) {
        if env.parameters[name] != nil {
            throw HoneError("\(kind) \(name) shadows parameter \(name); choose another name", at: location)
        }
        if env.tensors[name] != nil {
            throw HoneError("\(kind) \(name) shadows tensor \(name); choose another name", at: location)
        }
    }

    /// The value converted to the tensor's element type: integers convert to
    /// floats and f32 to f64 implicitly; the other way needs a cast.
    func store(_ v: TypedExpr, at location: SourceLocation) throws(HoneError) -> Expr {
        let t = tensor.type, name = definition.name
        if v.isUntyped {
            guard t.isFloat else {
                throw HoneError("\(name) holds i32 but its value is a float; convert it with i32(…)", at: location)
            }
            return TypeRules.retype(v.expr, to: t)
        }
        let from = v.type
        if from == t { return v.expr }
        if from == .bool {
            throw HoneError("the value of \(name) is a condition (bool); store it with select(cond, 1.0, 0.0)", at: location)
        }
        if from.isFloat && !t.isFloat || from == .f64 && t == .f32 {
            throw HoneError("\(name) holds \(t.rawValue) but its value is \(from.rawValue); convert it with \(t.rawValue)(…)", at: location)
        }
        return TypeRules.cast(v.expr, to: t)
    }

    // MARK: Expressions

    private mutating func convert(_ e: ExprSyntax, _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        switch e.kind {
        case .integer(let v):
            return TypedExpr(.int(v, .index))
        case .float(let v):
            if let site { throw HoneError("\(site.ordinal) is a float; indices must be integers", at: e.location) }
            return TypedExpr(.float(v, defaultFloat), untyped: true)
        case .name(let name):
            return try resolve(name, at: e.location, b, site)
        case .load(let name, let indices):
            return try load(name, indices, at: e.location, b, site)
        case .unary(.neg, let a):
            let x = try convert(a, b, site)
            guard x.type != .bool else { throw HoneError("cannot negate a condition; use ! instead", at: e.location) }
            switch x.expr {
            case .int(let v, let t) where v != .min: return TypedExpr(.int(-v, t))
            case .float(let v, let t): return TypedExpr(.float(-v, t), untyped: x.isUntyped)
            default: return TypedExpr(.unary(.neg, x.expr), untyped: x.isUntyped)
            }
        case .unary(.not, let a):
            try notInIndex(site, "cannot be a condition", at: e.location)
            let x = try convert(a, b, nil)
            guard x.type == .bool else { throw HoneError("'!' needs a condition, got \(describe(x))", at: e.location) }
            return TypedExpr(.unary(.not, x.expr))
        case .binary(let op, let l, let r, let at):
            return try binary(op, l, r, at: at, b, site)
        case .power(let base, let exponent, let at):
            return try power(base, exponent, at: at, b, site)
        case .call(let name, let args):
            return try call(name, args, at: e.location, b, site)
        case .reduction(let op, let axes, let body):
            try notInIndex(site, "cannot contain a reduction", at: e.location)
            return try lift(op, axes, body, at: e.location, b)
        }
    }

    private func notInIndex(_ site: IndexSite?, _ what: String, at location: SourceLocation) throws(HoneError) {
        if let site { throw HoneError("\(site.ordinal) \(what); \(affineRule)", at: location) }
    }

    private func describe(_ x: TypedExpr) -> String {
        x.isUntyped ? "a float" : x.type == .bool ? "a condition (bool)" : "a value of type \(x.type.rawValue)"
    }

    private mutating func resolve(_ name: String, at location: SourceLocation, _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        if reductionScope.contains(where: { $0.name == name }) || indexVariables.contains(where: { $0.name == name }) {
            return TypedExpr(.variable(name, .index))
        }
        if let v = env.parameters[name] { return TypedExpr(.int(v, .index)) }
        if let t = env.tensors[name] {
            if t.shape.isEmpty { return try load(name, [], at: location, b, site) }
            throw HoneError("\(name) is a tensor with \(plural(t.shape.count, "dimension")); index it as \(name)[…]", at: location)
        }
        if builtinFunctions.contains(name) {
            throw HoneError("\(name) is a function; call it as \(name)(…)", at: location)
        }
        let visible = indexVariables.map(\.name) + reductionScope.map(\.name) + env.parameters.keys + env.tensors.keys
        throw HoneError("unknown name '\(name)'" + suggestion(for: name, among: visible), at: location)
    }

    private mutating func load(_ name: String, _ indices: [ExprSyntax], at location: SourceLocation,
                               _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        if let site {
            throw HoneError("\(site.ordinal) reads tensor \(name); indices cannot depend on tensor data", at: location)
        }
        guard let tensor = env.tensors[name] else {
            if env.parameters[name] != nil { throw HoneError("\(name) is a parameter, not a tensor; it cannot be indexed", at: location) }
            if (indexVariables + reductionScope).contains(where: { $0.name == name }) {
                throw HoneError("\(name) is a variable, not a tensor; it cannot be indexed", at: location)
            }
            throw HoneError("unknown tensor '\(name)'" + suggestion(for: name, among: env.tensors.keys), at: location)
        }
        guard indices.count == tensor.shape.count else {
            throw HoneError("\(name) expects \(plural(tensor.shape.count, "index", "indices")), got \(indices.count)", at: location)
        }
        var converted: [Expr] = []
        for (d, index) in indices.enumerated() {
            let here = IndexSite(tensor: name, dimension: d)
            let x = try convert(index, b, here)
            guard x.type == .index, !x.isUntyped else {
                throw HoneError("\(here.ordinal) has type \(x.type.rawValue); indices must be integers", at: index.location)
            }
            let extent = tensor.shape[d]
            switch classifyIndex(x.expr, extent: extent, narrowed: b.narrowed, full: b.full) {
            case .inBounds:
                converted.append(x.expr)
            case .needsClamp(let low, let high):
                converted.append(clampIndex(x.expr, extent: extent, low: low, high: high))
            case .outOfBounds(let reach):
                throw HoneError(outOfBoundsMessage(d, of: name, reach: reach, extent: extent), at: index.location)
            case .unbounded:
                throw HoneError("cannot bound \(here.ordinal); \(affineRule)", at: index.location)
            }
        }
        recordRead(name, at: location)
        return TypedExpr(.load(name, converted, tensor.type))
    }

    private mutating func recordRead(_ name: String, at location: SourceLocation) {
        if !reads.contains(where: { $0.name == name }) { reads.append((name, location)) }
    }

    private mutating func binary(_ op: BinaryOp, _ l: ExprSyntax, _ r: ExprSyntax, at: SourceLocation,
                                 _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        if op.isLogical {
            try notInIndex(site, "cannot be a condition", at: at)
            let x = try convert(l, b, nil), y = try convert(r, b, nil)
            for v in [x, y] where v.type != .bool {
                throw HoneError("'\(op.symbol)' needs conditions on both sides, got \(describe(v))", at: at)
            }
            return TypedExpr(.binary(op, x.expr, y.expr))
        }
        if op.isComparison {
            try notInIndex(site, "cannot be a comparison", at: at)
            let x = try convert(l, b, nil), y = try convert(r, b, nil)
            for v in [x, y] where v.type == .bool {
                throw HoneError("'\(op.symbol)' compares numbers, got a condition (bool); combine conditions with && and ||", at: at)
            }
            var (p, q, untyped) = TypeRules.unify(x, y, defaultFloat: defaultFloat)
            if untyped {
                p = TypeRules.retype(p, to: defaultFloat)
                q = TypeRules.retype(q, to: defaultFloat)
            }
            return TypedExpr(.binary(op, p, q))
        }
        let x = try convert(l, b, site), y = try convert(r, b, site)
        return try arithmetic(op, x, y, at: at, site)
    }

    /// `x op y` for + - * / % min max, typed, folded and (in an index) checked.
    private func arithmetic(_ op: BinaryOp, _ x: TypedExpr, _ y: TypedExpr, at: SourceLocation,
                            _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        let opName = op == .min || op == .max ? op.rawValue : "'\(op.symbol)'"
        for v in [x, y] where v.type == .bool {
            throw HoneError("\(opName) needs numbers, got a condition (bool)", at: at)
        }
        let (p, q, untyped) = TypeRules.unify(x, y, defaultFloat: defaultFloat)
        if op == .mod && (untyped || p.type.isFloat) {
            throw HoneError("'%' needs integers, got a float", at: at)
        }
        if let site {
            if op == .mul && p.integerConstant == nil && q.integerConstant == nil {
                throw HoneError("\(site.ordinal) multiplies two non-constant terms; \(affineRule)", at: at)
            }
            if (op == .div || op == .mod) && !(q.integerConstant.map { $0 > 0 } ?? false) {
                throw HoneError("\(site.ordinal) divides by \(q), not by a positive constant; \(affineRule)", at: at)
            }
        }
        switch TypeRules.fold(op, p, q) {
        case .success(let folded): return TypedExpr(folded, untyped: untyped)
        case .failure(.divisionByZero): throw HoneError("division by zero", at: at)
        case .failure(.overflow): throw HoneError("integer overflow in a constant expression", at: at)
        case nil: return TypedExpr(.binary(op, p, q), untyped: untyped)
        }
    }

    /// `x ^ n`: a small non-negative integer literal exponent multiplies out
    /// (`x^2` is `x * x`); anything else calls `pow`.
    private mutating func power(_ base: ExprSyntax, _ exponent: ExprSyntax, at: SourceLocation,
                                _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        try notInIndex(site, "cannot use '^'", at: at)
        let x = try convert(base, b, nil)
        guard x.type != .bool else { throw HoneError("'^' needs a number, got a condition (bool)", at: at) }
        let small = x.expr.nodeCount(upTo: 32) <= 32
        if case .integer(let n) = exponent.kind, n <= 8 && small || x.type.isInteger && !x.isUntyped {
            guard n <= 8, small else {
                throw HoneError("integer powers multiply out: the exponent must be at most 8 and the base small; "
                                + "convert the base to a float for pow", at: at)
            }
            if n == 0 {
                if x.isUntyped { return TypedExpr(.float(1, defaultFloat), untyped: true) }
                return TypedExpr(x.type.isFloat ? .float(1, x.type) : .int(1, x.type))
            }
            var result = x
            for _ in 1..<n { result = try arithmetic(.mul, result, x, at: at, nil) }
            return result
        }
        let y = try convert(exponent, b, nil)
        return try mathCall(.pow, [x, y], at: at)
    }

    private mutating func call(_ name: String, _ args: [ExprSyntax], at: SourceLocation,
                               _ b: Bounds, _ site: IndexSite?) throws(HoneError) -> TypedExpr {
        switch name {
        case "select":
            try notInIndex(site, "cannot use select", at: at)
            guard args.count == 3 else {
                throw HoneError("select takes 3 arguments (condition, value if true, value if false), got \(args.count)", at: at)
            }
            let c = try convert(args[0], b, nil)
            guard c.type == .bool else {
                throw HoneError("the condition of select must be a comparison or a boolean, got \(describe(c))", at: args[0].location)
            }
            // Each branch sees the ranges its condition implies (IndexRules.swift).
            let whenTrue = Bounds(narrowed: b.narrowed?.assuming(c.expr, true), full: b.full)
            let whenFalse = Bounds(narrowed: b.narrowed?.assuming(c.expr, false), full: b.full)
            let x = try convert(args[1], whenTrue, nil), y = try convert(args[2], whenFalse, nil)
            if x.type == .bool && y.type == .bool { return TypedExpr(.select(c.expr, x.expr, y.expr)) }
            if x.type == .bool || y.type == .bool {
                throw HoneError("the two values of select must both be numbers (or both conditions)", at: at)
            }
            let (p, q, untyped) = TypeRules.unify(x, y, defaultFloat: defaultFloat)
            return TypedExpr(.select(c.expr, p, q), untyped: untyped)
        case "min", "max":
            guard args.count >= 2 else {
                throw HoneError("\(name) takes two or more arguments, got \(args.count); a reduction reads \(name)(k < K) body", at: at)
            }
            var result = try convert(args[0], b, site)
            for arg in args.dropFirst() {
                result = try arithmetic(name == "min" ? .min : .max, result, try convert(arg, b, site), at: at, site)
            }
            return result
        case "f32", "f64", "i32":
            try notInIndex(site, "cannot use a cast", at: at)
            guard args.count == 1 else { throw HoneError("\(name)(…) converts one value, got \(args.count)", at: at) }
            let x = try convert(args[0], b, nil)
            let t: ScalarType = name == "f32" ? .f32 : name == "f64" ? .f64 : .i32
            if x.isUntyped {
                return TypedExpr(TypeRules.cast(TypeRules.retype(x.expr, to: t.isFloat ? t : defaultFloat), to: t))
            }
            return TypedExpr(TypeRules.cast(x.expr, to: t))
        case "sum":
            throw HoneError("sum is a reduction; write sum(k < K) body", at: at)
        default:
            guard let f = MathFunction(rawValue: name) else {
                var message = "unknown function '\(name)'" + suggestion(for: name, among: builtinFunctions)
                if env.tensors[name] != nil { message += "; \(name) is a tensor, index it with [ ]" }
                throw HoneError(message, at: at)
            }
            try notInIndex(site, "cannot call \(name)", at: at)
            guard args.count == f.arity else {
                throw HoneError("\(name) takes \(plural(f.arity, "argument")), got \(args.count)", at: at)
            }
            var typed: [TypedExpr] = []
            for arg in args { typed.append(try convert(arg, b, nil)) }
            return try mathCall(f, typed, at: at)
        }
    }

    /// A math function call: float arguments of one type (integers convert),
    /// except `abs`, which keeps an integer argument integer.
    private func mathCall(_ f: MathFunction, _ args: [TypedExpr], at: SourceLocation) throws(HoneError) -> TypedExpr {
        for a in args where a.type == .bool {
            throw HoneError("\(f.rawValue) needs numbers, got a condition (bool)", at: at)
        }
        if f == .abs, !args[0].isUntyped, args[0].type.isInteger { return TypedExpr(.call(f, [args[0].expr])) }
        if args.allSatisfy(\.isUntyped) { return TypedExpr(.call(f, args.map(\.expr)), untyped: true) }
        let floats = args.filter { !$0.isUntyped && $0.type.isFloat }.map(\.type)
        let t = floats.contains(.f64) ? ScalarType.f64 : floats.isEmpty ? defaultFloat : .f32
        return TypedExpr(.call(f, args.map { $0.isUntyped ? TypeRules.retype($0.expr, to: t) : TypeRules.cast($0.expr, to: t) }))
    }

    // MARK: Reductions

    private func flatten(_ op: Reduction.Operator, _ axes: [ReductionAxisSyntax], _ body: ExprSyntax) -> ([ReductionAxisSyntax], ExprSyntax) {
        var axes = axes, body = body
        while case .reduction(let inner, let more, let innerBody) = body.kind, inner == op {
            axes += more
            body = innerBody
        }
        return (axes, body)
    }

    private func bindAxes(_ axes: [ReductionAxisSyntax]) throws(HoneError) -> [(name: String, extent: Int)] {
        var bound: [(name: String, extent: Int)] = []
        let variables = Set(indexVariables.map(\.name) + reductionScope.map(\.name) + axes.map(\.name))
        for a in axes {
            if kernelKeywords.contains(a.name) {
                throw HoneError("'\(a.name)' is a keyword and cannot be used as a name", at: a.location)
            }
            if bound.contains(where: { $0.name == a.name }) {
                throw HoneError("reduction variable \(a.name) appears twice in the same reduction", at: a.location)
            }
            if indexVariables.contains(where: { $0.name == a.name }) {
                throw HoneError("reduction variable \(a.name) shadows the index variable \(a.name) of \(definition.name); choose another name", at: a.location)
            }
            if reductionScope.contains(where: { $0.name == a.name }) {
                throw HoneError("reduction variable \(a.name) shadows the variable \(a.name) of an enclosing reduction; choose another name", at: a.location)
            }
            try checkFresh(a.name, kind: "reduction variable", at: a.location)
            let extent = try env.evaluateConstant(a.extent, what: "the extent of reduction variable \(a.name)", variables: variables)
            guard extent > 0, extent <= Int64(Int32.max) else {
                throw HoneError("reduction variable \(a.name) has extent \(extent); extents must be positive", at: a.extent.location)
            }
            bound.append((a.name, Int(extent)))
        }
        return bound
    }

    /// Turns a reduction nested in a larger expression into a generated stage
    /// and returns the load of it.
    private mutating func lift(_ op: Reduction.Operator, _ axes: [ReductionAxisSyntax], _ body: ExprSyntax,
                               at location: SourceLocation, _ b: Bounds) throws(HoneError) -> TypedExpr {
        let (allAxes, inner) = flatten(op, axes, body)
        let bound = try bindAxes(allAxes)
        let enclosing = indexVariables + reductionScope
        // The generated stage is computed over its whole domain, so its body
        // sees the full ranges, not the enclosing select's narrowed ones.
        var context = b.full
        for a in bound { context = context.binding(a.name, to: Interval(extent: a.extent)) }
        let savedReads = reads
        reads = []
        reductionScope.append(contentsOf: bound)
        let typed = try convert(inner, Bounds(narrowed: context, full: context), nil)
        reductionScope.removeLast(bound.count)
        let liftedReads = reads
        reads = savedReads

        var value = TypeRules.settle(typed, default: defaultFloat)
        guard value.type != .bool else {
            throw HoneError("a \(op.rawValue) reduction needs numbers, got a condition (bool)", at: inner.location)
        }
        if value.type == .index { value = TypeRules.cast(value, to: .i32) }
        var used = Set<String>()
        value.collectVariables(into: &used)
        let dimensions = enclosing.filter { used.contains($0.name) }

        var name = "\(definition.name)_\(op.rawValue)\(liftCount)"
        liftCount += 1
        while env.takenNames.contains(name) { name += "_" }
        env.takenNames.insert(name)

        let decl = TensorDecl(name: name, role: .intermediate, type: value.type, shape: dimensions.map(\.extent))
        let stage = Stage(name: name, indexVariables: dimensions.map(\.name),
                          reduction: Reduction(op: op, axes: bound.map { ReductionAxis(name: $0.name, extent: $0.extent) }),
                          value: value)
        produced.append(ElaboratedStage(stage: stage, tensor: decl, reads: liftedReads, location: location))
        recordRead(name, at: location)
        return TypedExpr(.load(name, dimensions.map { .variable($0.name, .index) }, value.type))
    }
}

func plural(_ n: Int, _ singular: String, _ pluralForm: String? = nil) -> String {
    "\(n) " + (n == 1 ? singular : pluralForm ?? singular + "s")
}
