// The kernel language's parser: tokens → `KernelSyntax`.
//
// Grammar (newlines end declarations; inside ( ) or [ ], after a binary
// operator, after ',' in a param list, after '=' of a definition and after a
// reduction's header a line may break):
//
//   file        := 'kernel' NAME NL { declaration NL }
//   declaration := 'param' NAME '=' INT { ',' NAME '=' INT }
//                | ('input' | 'stage' | 'output') NAME ':' TYPE '[' [ expr { ',' expr } ] ']'
//                | NAME '[' [ NAME { ',' NAME } ] ']' '=' expr
//   expr        := and { '||' and }
//   and         := comparison { '&&' comparison }
//   comparison  := additive [ ('<' | '<=' | '>' | '>=' | '==' | '!=') additive ]
//   additive    := term { ('+' | '-') term }
//   term        := unary { ('*' | '/' | '%') unary }
//   unary       := ('-' | '!') unary | power
//   power       := primary [ '^' unary ]                    (right-associative)
//   primary     := INT | FLOAT | '(' expr ')' | NAME | NAME '[' [ expr { ',' expr } ] ']'
//                | NAME '(' [ expr { ',' expr } ] ')'     (calls, select, casts)
//                | ('sum' | 'max' | 'min') '(' NAME '<' additive { ',' NAME '<' additive } ')' expr
//
// A reduction's body extends as far right as possible, like a lambda's.
// `max(…)`/`min(…)` is a reduction when its parentheses hold `NAME < …` axes
// and an expression follows the closing parenthesis; otherwise it is a call.

/// Parses a kernel file. Errors carry `file:line:column`.
public func parseKernel(_ source: String, file: String) throws(HoneError) -> KernelSyntax {
    var parser = KernelParser(tokens: try tokenize(source, file: file), file: file)
    return try parser.parseFile(summary: leadingComment(of: source))
}

/// Words that start declarations; they cannot name tensors, parameters or variables.
let kernelKeywords: Set<String> = ["kernel", "param", "input", "output", "stage"]

private struct KernelParser {
    let tokens: [Token]
    let file: String
    var position = 0
    /// Open expression levels (parentheses, calls, unary operators): bounded,
    /// like the height of the trees built, so no pass over an expression can
    /// exhaust the stack on a pathological input.
    var nesting = 0
    static let maxNesting = 64
    static let maxHeight = 256

    init(tokens: [Token], file: String) {
        self.tokens = tokens
        self.file = file
    }

    var current: Token { tokens[position] }

    mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    /// Where to report that something expected is missing: just after the
    /// previous token when the current one starts a later line (a forgotten
    /// `]` is reported at the end of its line, not on the next declaration).
    var missingLocation: SourceLocation {
        if position > 0 {
            let previous = tokens[position - 1]
            if current.kind == .newline || current.kind == .end || current.location.line > previous.end.line {
                return previous.end
            }
        }
        return current.location
    }

    func expected(_ what: String) -> HoneError {
        HoneError("expected \(what), found \(current.spelling)", at: missingLocation)
    }

    mutating func expect(_ symbol: String, _ what: String) throws(HoneError) {
        guard current.isSymbol(symbol) else { throw expected(what) }
        advance()
    }

    mutating func skipNewlines() {
        while current.kind == .newline { advance() }
    }

    mutating func name(_ what: String) throws(HoneError) -> NameSyntax {
        guard let name = current.identifier else { throw expected(what) }
        if kernelKeywords.contains(name) {
            throw HoneError("'\(name)' is a keyword and cannot be used as a name", at: current.location)
        }
        let syntax = NameSyntax(name: name, location: current.location)
        advance()
        return syntax
    }

    // MARK: Declarations

    mutating func parseFile(summary: String) throws(HoneError) -> KernelSyntax {
        skipNewlines()
        guard current.identifier == "kernel" else {
            throw HoneError("expected 'kernel NAME' to open the file, found \(current.spelling)", at: current.location)
        }
        advance()
        let kernelName = try name("the kernel's name after 'kernel'")
        try endOfLine(after: "the kernel's name")
        var syntax = KernelSyntax(file: file, summary: summary, name: kernelName.name, location: kernelName.location,
                                  parameters: [], tensors: [], definitions: [])
        while true {
            skipNewlines()
            if current.kind == .end { break }
            switch current.identifier {
            case "kernel":
                throw HoneError("a file holds one kernel; 'kernel' may appear only on its first line", at: current.location)
            case "param":
                advance()
                try parseParameters(into: &syntax)
                try endOfLine(after: "the parameter list")
            case "input", "output", "stage":
                let tensor = try parseTensor()
                syntax.tensors.append(tensor)
                try endOfLine(after: "the declaration of \(tensor.name)")
            case .some(let word):
                if tokens[position + 1].identifier != nil {
                    // `otput C: f32[4]`: a misspelled declaration, not a definition.
                    throw HoneError("unknown declaration '\(word)'" + suggestion(for: word, among: ["param", "input", "stage", "output"])
                                    + "; a line declares with param, input, stage or output, or defines as in C[i, j] = …",
                                    at: current.location)
                }
                let definition = try parseDefinition()
                syntax.definitions.append(definition)
                try endOfLine(after: "the definition of \(definition.name)")
            case nil:
                throw HoneError("expected a declaration (param, input, stage, output) or a definition such as C[i, j] = …, found \(current.spelling)",
                                at: current.location)
            }
        }
        return syntax
    }

    mutating func endOfLine(after what: String) throws(HoneError) {
        guard current.kind == .newline || current.kind == .end else {
            throw HoneError("expected end of line after \(what), found \(current.spelling)", at: current.location)
        }
    }

    mutating func parseParameters(into syntax: inout KernelSyntax) throws(HoneError) {
        repeat {
            if current.isSymbol(",") {
                advance()
                skipNewlines()
            }
            let param = try name("a parameter name")
            try expect("=", "'=' and a default value after parameter \(param.name)")
            let valueLocation = current.location
            if current.isSymbol("-") {
                throw HoneError("parameter \(param.name) must be a non-negative integer", at: valueLocation)
            }
            guard case .integer(let value) = current.kind else {
                throw expected("an integer default value for parameter \(param.name)")
            }
            guard value >= 0, value <= Int64(Int32.max) else {
                throw HoneError("parameter \(param.name) must be a non-negative integer below 2^31, got \(value)", at: valueLocation)
            }
            advance()
            syntax.parameters.append(ParameterSyntax(name: param.name, defaultValue: Int(value), location: param.location))
        } while current.isSymbol(",")
    }

    mutating func parseTensor() throws(HoneError) -> TensorSyntax {
        let role: TensorDecl.Role = switch current.identifier {
        case "input": .input
        case "output": .output
        default: .intermediate
        }
        let keyword = current.identifier ?? ""
        advance()
        let tensor = try name("a tensor name after '\(keyword)'")
        try expect(":", "':' and an element type after \(tensor.name), as in \(tensor.name): f32[N]")
        guard let typeName = current.identifier else {
            throw expected("an element type (f32, f64 or i32) for \(tensor.name)")
        }
        guard let type = ScalarType(rawValue: typeName), type == .f32 || type == .f64 || type == .i32 else {
            throw HoneError("unknown element type '\(typeName)'; expected f32, f64 or i32", at: current.location)
        }
        advance()
        try expect("[", "'[' and the shape of \(tensor.name) (a scalar is written \(typeName)[])")
        var shape: [ExprSyntax] = []
        if !current.isSymbol("]") {
            repeat {
                if current.isSymbol(",") { advance() }
                shape.append(try parseExpression())
            } while current.isSymbol(",")
        }
        try expect("]", "']' after the shape of \(tensor.name)")
        return TensorSyntax(name: tensor.name, role: role, type: type, shape: shape, location: tensor.location)
    }

    mutating func parseDefinition() throws(HoneError) -> DefinitionSyntax {
        let tensor = try name("a tensor name")
        try expect("[", "'[' after \(tensor.name); a definition reads \(tensor.name)[i, j] = …")
        var indices: [NameSyntax] = []
        if !current.isSymbol("]") {
            repeat {
                if current.isSymbol(",") { advance() }
                indices.append(try name("an index variable name in the left side of \(tensor.name)"))
            } while current.isSymbol(",")
        }
        try expect("]", "']' after the index variables of \(tensor.name)")
        try expect("=", "'=' after \(tensor.name)[…]")
        skipNewlines()
        let value = try parseExpression()
        return DefinitionSyntax(name: tensor.name, location: tensor.location, indices: indices, value: value)
    }

    // MARK: Expressions

    mutating func parseExpression() throws(HoneError) -> ExprSyntax {
        try enter()
        defer { nesting -= 1 }
        return try parseBinary(level: 0)
    }

    mutating func enter() throws(HoneError) {
        nesting += 1
        if nesting > Self.maxNesting {
            throw HoneError("expression nests too deeply (more than \(Self.maxNesting) levels)", at: current.location)
        }
    }

    /// Binary operators by level, loosest first; each level is left-associative.
    static let levels: [[String: BinaryOp]] = [
        ["||": .or],
        ["&&": .and],
        ["<": .lt, "<=": .le, ">": .gt, ">=": .ge, "==": .eq, "!=": .ne],
        ["+": .add, "-": .sub],
        ["*": .mul, "/": .div, "%": .mod],
    ]
    static let comparisonLevel = 2

    mutating func parseBinary(level: Int) throws(HoneError) -> ExprSyntax {
        if level == Self.levels.count { return try parseUnary() }
        var left = try parseBinary(level: level + 1)
        while case .symbol(let s) = current.kind, let op = Self.levels[level][s] {
            let at = current.location
            advance()
            skipNewlines()
            let right = try parseBinary(level: level + 1)
            left = ExprSyntax(.binary(op, left, right, operatorAt: at), at: left.location)
            if left.height > Self.maxHeight {
                throw HoneError("expression is too long (more than \(Self.maxHeight) levels); split it into stages", at: at)
            }
            if level == Self.comparisonLevel, case .symbol(let next) = current.kind, Self.levels[level][next] != nil {
                throw HoneError("comparisons cannot be chained; combine them with &&", at: current.location)
            }
        }
        return left
    }

    mutating func parseUnary() throws(HoneError) -> ExprSyntax {
        let at = current.location
        if current.isSymbol("-") || current.isSymbol("!") {
            let op: UnaryOp = current.isSymbol("-") ? .neg : .not
            advance()
            try enter()
            defer { nesting -= 1 }
            return ExprSyntax(.unary(op, try parseUnary()), at: at)
        }
        let base = try parsePrimary()
        if current.isSymbol("^") {
            let opAt = current.location
            advance()
            skipNewlines()
            let exponent = try parseUnary()
            return ExprSyntax(.power(base, exponent, operatorAt: opAt), at: at)
        }
        return base
    }

    var startsExpression: Bool {
        switch current.kind {
        case .identifier, .integer, .float: true
        case .symbol(let s): s == "(" || s == "-" || s == "!"
        case .newline, .end: false
        }
    }

    mutating func parsePrimary() throws(HoneError) -> ExprSyntax {
        let at = current.location
        switch current.kind {
        case .integer(let v):
            advance()
            return ExprSyntax(.integer(v), at: at)
        case .float(let v):
            advance()
            return ExprSyntax(.float(v), at: at)
        case .symbol("("):
            advance()
            var inner = try parseExpression()
            try expect(")", "')' to close the '(' at \(at.line):\(at.column)")
            inner.location = at
            return inner
        case .identifier(let name):
            if kernelKeywords.contains(name) {
                throw HoneError("'\(name)' is a keyword; expected an expression", at: at)
            }
            advance()
            if current.isSymbol("[") {
                advance()
                let indices = try parseList(closing: "]", "']' after indices of \(name)")
                return ExprSyntax(.load(name, indices), at: at)
            }
            if current.isSymbol("(") {
                if name == "sum" { return try parseReduction(.sum, at: at) }
                if name == "max" || name == "min" {
                    let saved = position
                    do {
                        return try parseReduction(name == "max" ? .max : .min, at: at, tentative: true)
                    } catch let error where error.message.isEmpty {
                        position = saved  // not a reduction header: a call
                    }
                }
                advance()
                let args = try parseList(closing: ")", "')' after the arguments of \(name)")
                return ExprSyntax(.call(name, args), at: at)
            }
            return ExprSyntax(.name(name), at: at)
        default:
            throw expected("an expression")
        }
    }

    /// Comma-separated expressions up to `closing` (already past the opener).
    mutating func parseList(closing: String, _ what: String) throws(HoneError) -> [ExprSyntax] {
        var items: [ExprSyntax] = []
        if !current.isSymbol(closing) {
            repeat {
                if current.isSymbol(",") { advance() }
                items.append(try parseExpression())
            } while current.isSymbol(",")
        }
        try expect(closing, what)
        return items
    }

    /// `op(k < K, …) body`, the current token being '('. When `tentative`, a
    /// header that is not `NAME < …` throws an error with an empty message so
    /// the caller can parse a call instead.
    mutating func parseReduction(_ op: Reduction.Operator, at: SourceLocation, tentative: Bool = false) throws(HoneError) -> ExprSyntax {
        func fail(_ error: HoneError) -> HoneError { tentative ? HoneError("") : error }
        advance()
        var axes: [ReductionAxisSyntax] = []
        repeat {
            if current.isSymbol(",") { advance() }
            guard let variable = current.identifier else {
                throw fail(expected("a reduction variable, as in \(op.rawValue)(k < K) body"))
            }
            let variableAt = current.location
            advance()
            guard current.isSymbol("<") else {
                throw fail(expected("'<' and an extent after reduction variable \(variable)"))
            }
            advance()
            let extent: ExprSyntax
            do {
                extent = try parseBinary(level: Self.comparisonLevel + 1)
            } catch {
                throw fail(error)
            }
            axes.append(ReductionAxisSyntax(name: variable, location: variableAt, extent: extent))
        } while current.isSymbol(",")
        guard current.isSymbol(")") else {
            throw fail(expected("')' after the axes of the \(op.rawValue) reduction"))
        }
        advance()
        if tentative && !startsExpression && current.kind != .newline { throw HoneError("") }
        skipNewlines()
        guard startsExpression else {
            throw expected("the body of the \(op.rawValue) reduction after its axes, as in \(op.rawValue)(k < K) A[k]")
        }
        let body = try parseExpression()
        return ExprSyntax(.reduction(op, axes, body), at: at)
    }
}
