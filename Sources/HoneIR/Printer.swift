// Readable text for expressions and loop nests (`hone ir --emit loops`).

extension Expr: CustomStringConvertible {
    public var description: String { printed(precedence: 0) }

    private func printed(precedence outer: Int) -> String {
        switch self {
        case .int(let v, let t): return t == .bool ? (v != 0 ? "true" : "false") : String(v)
        case .float(let v, _):
            if v.isInfinite { return v < 0 ? "-inf" : "inf" }
            return v == v.rounded() && abs(v) < 1e15 ? String(format1: v) : "\(v)"
        case .variable(let name, _): return name
        case .load(let name, let indices, _): return "\(name)[\(indices.map(\.description).joined(separator: ", "))]"
        case .unary(.neg, let a): return "-" + a.printed(precedence: 7)
        case .unary(.not, let a): return "!" + a.printed(precedence: 7)
        case .binary(let op, let a, let b) where op == .min || op == .max:
            return "\(op.rawValue)(\(a), \(b))"
        case .binary(let op, let a, let b):
            let p = op.precedence
            let text = "\(a.printed(precedence: p)) \(op.symbol) \(b.printed(precedence: p + 1))"
            return p < outer ? "(\(text))" : text
        case .call(let f, let args): return "\(f.rawValue)(\(args.map(\.description).joined(separator: ", ")))"
        case .select(let c, let a, let b): return "select(\(c), \(a), \(b))"
        case .cast(let t, let a): return "\(t.rawValue)(\(a))"
        }
    }
}

extension BinaryOp {
    /// Binding strength for printing: higher binds tighter.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .eq, .ne, .lt, .le, .gt, .ge: 3
        case .add, .sub: 4
        case .mul, .div, .mod: 5
        case .min, .max: 8
        }
    }
}

private extension String {
    /// `3.0` rather than `3`, so float constants read as floats.
    init(format1 v: Double) { self = String(Int64(v)) + ".0" }
}

extension Buffer: CustomStringConvertible {
    public var description: String { "\(name): \(type.rawValue)[\(shape.map(String.init).joined(separator: ", "))]" }
}

extension Stmt: CustomStringConvertible {
    public var description: String {
        var out = ""
        print(into: &out, indent: 0)
        return out
    }

    func print(into out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent)
        switch self {
        case .loop(let loop):
            let kind = loop.kind == .serial ? "" : loop.kind.rawValue + " "
            let range: String
            if case .int(0, _) = loop.min { range = "0..<\(loop.extent)" } else { range = "\(loop.min)..<\(loop.min) + \(loop.extent)" }
            out += "\(pad)\(kind)for \(loop.variable) in \(range) {\n"
            loop.body.print(into: &out, indent: indent + 1)
            out += "\(pad)}\n"
        case .store(let name, let indices, let value):
            out += "\(pad)\(name)[\(indices.map(\.description).joined(separator: ", "))] = \(value)\n"
        case .allocate(let buffer, let body):
            out += "\(pad)allocate \(buffer) in \(buffer.memory.rawValue)\n"
            body.print(into: &out, indent: indent)
        case .letStmt(let name, let value, let body):
            out += "\(pad)let \(name) = \(value)\n"
            body.print(into: &out, indent: indent)
        case .ifThenElse(let cond, let then, let otherwise, let facts):
            out += "\(pad)if \(cond) {\(facts.comment)\n"
            then.print(into: &out, indent: indent + 1)
            if let otherwise {
                out += "\(pad)} else {\n"
                otherwise.print(into: &out, indent: indent + 1)
            }
            out += "\(pad)}\n"
        case .block(let stmts):
            for s in stmts { s.print(into: &out, indent: indent) }
        }
    }
}

extension LoopNest: CustomStringConvertible {
    public var description: String {
        var out = "func \(name)(\(arguments.map(\.description).joined(separator: ", "))) {\n"
        body.print(into: &out, indent: 1)
        return out + "}\n"
    }
}

extension IfFacts {
    /// What the printer says after an `if`'s brace: its kind and counts.
    var comment: String {
        guard kind != .other else { return "" }
        let name = kind == .partition ? "partition" : "tail guard"
        return counts.map { "  // \(name): holds \($0.holds) of \($0.evaluations) per \($0.scope == .kernelRun ? "kernel run" : "run")" }
            ?? "  // \(name)"
    }
}
