// Elaboration: `KernelSyntax` → `Kernel`.
//
// Binds parameters (with overrides), evaluates shapes, resolves names,
// type-checks and converts every definition to `Expr` (see TypeRules.swift),
// lifts nested reductions into stages of their own, checks that every load
// stays in bounds (IndexRules.swift: loads that are in bounds only under a
// select condition get clamped), and orders the stages so that each follows
// the stages it reads, the output last. Every user error points at the
// source: `file:line:column: error: …`.

/// Checks a parsed kernel and binds it into a `Kernel`. `overrides` replace
/// parameter defaults (`--set M=512`); naming an unknown parameter is an error.
public func elaborate(_ syntax: KernelSyntax, overrides: [String: Int] = [:]) throws(HoneError) -> Kernel {
    var elaborator = Elaborator(syntax: syntax)
    return try elaborator.run(overrides: overrides)
}

/// A stage as elaboration produces it, before ordering.
struct ElaboratedStage {
    var stage: Stage
    var tensor: TensorDecl
    /// The tensors the stage reads, each with its first read's location.
    var reads: [(name: String, location: SourceLocation)]
    var location: SourceLocation
}

/// What every definition sees: parameters and tensors.
struct ElaborationEnvironment {
    var file: String
    var parameters: [String: Int64] = [:]
    var tensors: [String: TensorDecl] = [:]
    /// Every tensor name taken, including generated ones.
    var takenNames: Set<String> = []

    /// Evaluates a constant integer expression over parameters and literals
    /// (a shape entry or a reduction extent).
    func evaluateConstant(_ e: ExprSyntax, what: String, variables: Set<String> = []) throws(HoneError) -> Int64 {
        func fail(_ message: String, _ at: SourceLocation) -> HoneError { HoneError(message, at: at) }
        switch e.kind {
        case .integer(let v):
            return v
        case .name(let name):
            if let v = parameters[name] { return v }
            if variables.contains(name) {
                throw fail("\(what) must be a constant (parameters and integer literals); it cannot depend on \(name)", e.location)
            }
            if tensors[name] != nil {
                throw fail("\(what) must be an integer expression of parameters; \(name) is a tensor", e.location)
            }
            throw fail("unknown parameter '\(name)' in \(what)" + suggestion(for: name, among: parameters.keys), e.location)
        case .unary(.neg, let a):
            let v = try evaluateConstant(a, what: what, variables: variables)
            guard v != .min else { throw fail("integer overflow in \(what)", e.location) }
            return -v
        case .binary(let op, let a, let b, let at) where !op.isComparison && !op.isLogical:
            let x = try evaluateConstant(a, what: what, variables: variables)
            let y = try evaluateConstant(b, what: what, variables: variables)
            return try foldConstant(op, x, y, what: what, at: at)
        case .call(let name, let args) where (name == "min" || name == "max") && args.count >= 2:
            var values: [Int64] = []
            for arg in args { values.append(try evaluateConstant(arg, what: what, variables: variables)) }
            return name == "min" ? values.min()! : values.max()!
        case .power(let base, let exponent, let at):
            let x = try evaluateConstant(base, what: what, variables: variables)
            guard case .integer(let n) = exponent.kind, n >= 0 else {
                throw fail("the exponent in \(what) must be a non-negative integer literal", exponent.location)
            }
            var r: Int64 = 1
            for _ in 0..<n {
                guard let p = Checked.mul(r, x) else { throw fail("integer overflow in \(what)", at) }
                r = p
            }
            return r
        case .float:
            throw fail("\(what) must be an integer, not a float", e.location)
        default:
            throw fail("\(what) must be an integer expression of parameters and literals (+ - * / % min max)", e.location)
        }
    }

    func foldConstant(_ op: BinaryOp, _ x: Int64, _ y: Int64, what: String, at: SourceLocation) throws(HoneError) -> Int64 {
        switch TypeRules.fold(op, .int(x, .index), .int(y, .index)) {
        case .success(.int(let v, _)): return v
        case .failure(.divisionByZero): throw HoneError("division by zero in \(what)", at: at)
        default: throw HoneError("integer overflow in \(what)", at: at)
        }
    }
}

private struct Elaborator {
    let syntax: KernelSyntax
    var env: ElaborationEnvironment
    var parameterValues: [Parameter] = []
    var declarationLocations: [String: SourceLocation] = [:]

    init(syntax: KernelSyntax) {
        self.syntax = syntax
        self.env = ElaborationEnvironment(file: syntax.file)
    }

    mutating func run(overrides: [String: Int]) throws(HoneError) -> Kernel {
        try bindParameters(overrides: overrides)
        let declared = try declareTensors()
        let definitions = try matchDefinitions()

        var elaborated: [ElaboratedStage] = []
        var generated: [String: [TensorDecl]] = [:]
        for definition in definitions {
            var stage = StageElaborator(env: env, definition: definition)
            let produced = try stage.run()
            env.takenNames = stage.env.takenNames
            generated[definition.name] = produced.dropLast().map(\.tensor)
            elaborated.append(contentsOf: produced)
        }
        let ordered = try order(elaborated)

        // Generated tensors sit just before the tensor whose definition made them.
        var tensors: [TensorDecl] = []
        for tensor in declared {
            tensors.append(contentsOf: generated[tensor.name] ?? [])
            tensors.append(tensor)
        }
        return Kernel(name: syntax.name, parameters: parameterValues, tensors: tensors,
                      stages: ordered.map(\.stage), summary: syntax.summary)
    }

    // MARK: Declarations

    mutating func declare(_ name: String, at location: SourceLocation) throws(HoneError) {
        if let first = declarationLocations[name] {
            throw HoneError("duplicate declaration of '\(name)' (first declared at \(first.line):\(first.column))", at: location)
        }
        declarationLocations[name] = location
    }

    mutating func bindParameters(overrides: [String: Int]) throws(HoneError) {
        for p in syntax.parameters {
            try declare(p.name, at: p.location)
        }
        let known = syntax.parameters.map(\.name)
        for name in overrides.keys.sorted() where !known.contains(name) {
            let list = known.isEmpty ? "kernel \(syntax.name) has no parameters"
                                     : "the parameters of \(syntax.name) are " + known.joined(separator: ", ")
            throw HoneError("unknown parameter '\(name)' in override" + suggestion(for: name, among: known) + "; " + list)
        }
        for p in syntax.parameters {
            let value = overrides[p.name] ?? p.defaultValue
            // Zero is a value (a padding); a zero extent is caught at the shape.
            guard value >= 0, value <= Int(Int32.max) else {
                throw HoneError("parameter \(p.name) must be a non-negative integer below 2^31, got \(value)")
            }
            env.parameters[p.name] = Int64(value)
            parameterValues.append(Parameter(name: p.name, value: value))
        }
    }

    mutating func declareTensors() throws(HoneError) -> [TensorDecl] {
        var declared: [TensorDecl] = []
        var output: TensorSyntax?
        for t in syntax.tensors {
            try declare(t.name, at: t.location)
            if t.role == .output {
                if let output {
                    throw HoneError("a kernel has exactly one output; \(output.name) is already the output", at: t.location)
                }
                output = t
            }
            var shape: [Int] = []
            var elements: Int64 = 1
            for (d, e) in t.shape.enumerated() {
                let extent = try env.evaluateConstant(e, what: "the shape of \(t.name)")
                guard extent > 0 else {
                    throw HoneError("dimension \(d + 1) of \(t.name) has extent \(extent); extents must be positive", at: e.location)
                }
                guard let product = Checked.mul(elements, extent), product <= Int64(Int32.max) * 64 else {
                    throw HoneError("\(t.name) has too many elements", at: e.location)
                }
                elements = product
                shape.append(Int(extent))
            }
            let decl = TensorDecl(name: t.name, role: t.role, type: t.type, shape: shape)
            env.tensors[t.name] = decl
            env.takenNames.insert(t.name)
            declared.append(decl)
        }
        guard output != nil else {
            throw HoneError("kernel \(syntax.name) declares no output; add a line such as 'output C: f32[M, N]'", at: syntax.location)
        }
        return declared
    }

    /// Pairs each stage and the output with exactly one definition, in source order.
    func matchDefinitions() throws(HoneError) -> [DefinitionSyntax] {
        var seen: [String: SourceLocation] = [:]
        for d in syntax.definitions {
            guard let tensor = env.tensors[d.name] else {
                if env.parameters[d.name] != nil {
                    throw HoneError("\(d.name) is a parameter and cannot be defined", at: d.location)
                }
                throw HoneError("definition of undeclared tensor '\(d.name)'" + suggestion(for: d.name, among: env.tensors.keys)
                                + "; declare it first, e.g. 'stage \(d.name): f32[…]'", at: d.location)
            }
            if tensor.role == .input {
                throw HoneError("\(d.name) is an input and cannot be defined; inputs are given by the caller", at: d.location)
            }
            if let first = seen[d.name] {
                throw HoneError("duplicate definition of \(d.name) (first defined at \(first.line):\(first.column))", at: d.location)
            }
            seen[d.name] = d.location
        }
        for t in syntax.tensors where t.role != .input && seen[t.name] == nil {
            let kind = t.role == .output ? "output" : "stage"
            throw HoneError("\(kind) \(t.name) is declared but never defined; add a line \(t.name)[…] = …", at: t.location)
        }
        return syntax.definitions
    }

    // MARK: Order

    /// Orders stages so that each follows the stages it reads (keeping source
    /// order where the reads allow), rejecting cycles and stages the output
    /// does not need.
    func order(_ stages: [ElaboratedStage]) throws(HoneError) -> [ElaboratedStage] {
        var index: [String: Int] = [:]
        for (i, s) in stages.enumerated() { index[s.stage.name] = i }
        enum Mark { case unvisited, active, done }
        var marks = Array(repeating: Mark.unvisited, count: stages.count)
        var path: [Int] = []
        var ordered: [Int] = []

        func visit(_ i: Int) throws(HoneError) {
            marks[i] = .active
            path.append(i)
            for read in stages[i].reads {
                guard let j = index[read.name] else { continue }  // an input
                switch marks[j] {
                case .done: continue
                case .unvisited: try visit(j)
                case .active:
                    if j == i { throw HoneError("\(read.name) reads itself", at: read.location) }
                    let cycle = path[path.lastIndex(of: j)!...].map { stages[$0].stage.name } + [read.name]
                    throw HoneError("stages form a cycle: " + cycle.joined(separator: " → "), at: read.location)
                }
            }
            path.removeLast()
            marks[i] = .done
            ordered.append(i)
        }
        for i in stages.indices where marks[i] == .unvisited {
            try visit(i)
        }

        // Every stage must feed the output.
        var needed = Set<String>()
        var work = stages.filter { $0.tensor.role == .output }.map(\.stage.name)
        while let name = work.popLast() {
            guard needed.insert(name).inserted, let i = index[name] else { continue }
            work.append(contentsOf: stages[i].reads.map(\.name))
        }
        if let unused = stages.first(where: { !needed.contains($0.stage.name) }) {
            let output = stages.first { $0.tensor.role == .output }?.stage.name ?? "the output"
            throw HoneError("stage \(unused.stage.name) is never used to compute \(output)", at: unused.location)
        }
        return ordered.map { stages[$0] }
    }
}

// MARK: - Suggestions

/// "; did you mean 'B'?" when a candidate is a small edit away, else "".
func suggestion(for name: String, among candidates: some Sequence<String>) -> String {
    let limit = max(1, name.count / 3)
    var best: (String, Int)?
    for c in candidates.sorted() {
        let d = editDistance(name.lowercased(), c.lowercased())
        // A suggestion must keep part of what was typed ('Q' does not suggest 'K').
        if d <= limit, d < name.count, best == nil || d < best!.1 { best = (c, d) }
    }
    return best.map { "; did you mean '\($0.0)'?" } ?? ""
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...b.count {
            let substitution = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
            previous = row[j]
            row[j] = min(substitution, row[j] + 1, row[j - 1] + 1)
        }
    }
    return row[b.count]
}
