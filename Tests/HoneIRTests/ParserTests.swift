import Testing
@testable import HoneIR

// The parser: structure of what it builds, and where syntax errors point.

private func parse(_ source: String) throws(HoneError) -> KernelSyntax { try parseKernel(source, file: "t.hone") }

/// The parsed right-hand side of `C[i] = <expression>`.
private func rhs(_ expression: String) throws -> ExprSyntax {
    try #require(try parse("kernel t\noutput C: f32[4]\nC[i] = \(expression)").definitions.first).value
}

/// The expression's shape without locations, for compact comparisons.
private func shape(_ e: ExprSyntax) -> String {
    switch e.kind {
    case .integer(let v): return "\(v)"
    case .float(let v): return "\(v)"
    case .name(let n): return n
    case .load(let n, let args): return "\(n)[\(args.map(shape).joined(separator: ","))]"
    case .call(let n, let args): return "\(n)(\(args.map(shape).joined(separator: ",")))"
    case .unary(let op, let a): return "(\(op == .neg ? "-" : "!")\(shape(a)))"
    case .binary(let op, let a, let b, _): return "(\(shape(a)) \(op.symbol) \(shape(b)))"
    case .power(let a, let b, _): return "(\(shape(a)) ^ \(shape(b)))"
    case .reduction(let op, let axes, let body):
        return "\(op.rawValue)[\(axes.map { "\($0.name)<\(shape($0.extent))" }.joined(separator: ","))]{\(shape(body))}"
    }
}

private func expectSyntaxError(_ source: String, at position: String, _ fragment: String,
                               sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        _ = try parse(source)
        Issue.record("expected a syntax error containing \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch {
        let where_ = error.location.map { "\($0.line):\($0.column)" } ?? "none"
        #expect(where_ == position, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    }
}

@Test func parsesDeclarationsWithLocations() throws {
    let source = """
    # gemm: C = A * B in fp32, row-major.
    # Second line of the summary.

    kernel gemm
    param M = 1024, N = 512,
          K = 256
    input  A: f32[M, K]   # a comment
    output C: f64[]
    C[] = 1.0
    """
    let syntax = try parse(source)
    #expect(syntax.name == "gemm")
    #expect(syntax.summary == "gemm: C = A * B in fp32, row-major.\nSecond line of the summary.")
    #expect(syntax.parameters.map(\.name) == ["M", "N", "K"])
    #expect(syntax.parameters.map(\.defaultValue) == [1024, 512, 256])
    #expect(syntax.parameters[2].location == HoneIR.SourceLocation(file: "t.hone", line: 6, column: 7))
    #expect(syntax.tensors.map(\.name) == ["A", "C"])
    #expect(syntax.tensors[0].role == .input && syntax.tensors[0].type == .f32)
    #expect(syntax.tensors[0].shape.map(shape) == ["M", "K"])
    #expect(syntax.tensors[1].shape.isEmpty && syntax.tensors[1].type == .f64 && syntax.tensors[1].role == .output)
    #expect(syntax.definitions.count == 1 && syntax.definitions[0].indices.isEmpty)
}

@Test func precedenceAndAssociativity() throws {
    #expect(shape(try rhs("a + b * c ^ 2")) == "(a + (b * (c ^ 2)))")
    #expect(shape(try rhs("a - b - c")) == "((a - b) - c)")
    #expect(shape(try rhs("-x ^ 2")) == "(-(x ^ 2))")
    #expect(shape(try rhs("x ^ 2 ^ 3")) == "(x ^ (2 ^ 3))")
    #expect(shape(try rhs("a < b && !c || d >= 1e-5")) == "(((a < b) && (!c)) || (d >= 1e-05))")
    #expect(shape(try rhs("(a + b) * c % 4")) == "(((a + b) * c) % 4)")
}

@Test func reductionBodyExtendsToTheRight() throws {
    #expect(shape(try rhs("sum(k < K) A[i, k] * B[k] + 1.0")) == "sum[k<K]{((A[i,k] * B[k]) + 1.0)}")
    #expect(shape(try rhs("sqrt(sum(i < M, j < N) A[i, j]^2)")) == "sqrt(sum[i<M,j<N]{(A[i,j] ^ 2)})")
    #expect(shape(try rhs("2.0 * sum(k < K + 1) x")) == "(2.0 * sum[k<(K + 1)]{x})")
}

@Test func minAndMaxAreCallsOrReductions() throws {
    #expect(shape(try rhs("min(a, b)")) == "min(a,b)")
    #expect(shape(try rhs("max(r < 3, s < 3) X[r, s]")) == "max[r<3,s<3]{X[r,s]}")
    #expect(shape(try rhs("min(k < K) -x")) == "min[k<K]{(-x)}")
    #expect(shape(try rhs("max(a < b, c) + 1")) == "(max((a < b),c) + 1)")
    #expect(shape(try rhs("max(x, 0.0) + min(y, 1.0)")) == "(max(x,0.0) + min(y,1.0))")
}

@Test func lineBreaksInsideBracketsAndAfterOperators() throws {
    #expect(shape(try rhs("select(i > 0,\n  A[i - 1],\n  0.0)")) == "select((i > 0),A[(i - 1)],0.0)")
    #expect(shape(try rhs("a +\n  b")) == "(a + b)")
    #expect(shape(try rhs("sum(k < K)\n  A[k]")) == "sum[k<K]{A[k]}")
}

@Test func missingClosingBracketIsReportedAtTheEndOfItsLine() {
    expectSyntaxError("kernel t\ninput A: f32[4\noutput C: f32[4]\n", at: "2:15", "expected ']' after the shape of A, found 'output'")
    expectSyntaxError(gemmLike("C[i, j] = sum(k < K) A[i, k * B[k, j]"), at: "6:38", "expected ']' after indices of A, found end of line")
    expectSyntaxError(gemmLike("C[i, j] = exp(A[i, j]"), at: "6:22", "expected ')' after the arguments of exp")
    expectSyntaxError(gemmLike("C[i, j] = (A[i, j] + 1.0"), at: "6:25", "expected ')' to close the '(' at 6:11")
}

@Test func unexpectedCharactersAndOperators() {
    expectSyntaxError(gemmLike("C[i, j] = A[i, 0] @ 2.0"), at: "6:19", "unexpected character '@'")
    expectSyntaxError(gemmLike("C[i, j] = select(i > 0 & j > 0, 1.0, 0.0)"), at: "6:24", "did you mean '&&'?")
    expectSyntaxError(gemmLike("C[i, j] = select(0 < i < 2, 1.0, 0.0)"), at: "6:24", "comparisons cannot be chained")
    expectSyntaxError(gemmLike("C[i, j] = 1e"), at: "6:12", "unexpected 'e' after the number 1")
    expectSyntaxError(gemmLike("C[i, j] = 99999999999999999999"), at: "6:11", "integer literal 99999999999999999999 is too large")
}

@Test func declarationErrors() {
    expectSyntaxError("input A: f32[4]\n", at: "1:1", "expected 'kernel NAME' to open the file")
    expectSyntaxError("kernel t x\n", at: "1:10", "expected end of line after the kernel's name, found 'x'")
    expectSyntaxError("kernel t\nparam M = -4\n", at: "2:11", "parameter M must be a non-negative integer")
    expectSyntaxError("kernel t\nparam M 4\n", at: "2:9", "expected '=' and a default value after parameter M")
    expectSyntaxError("kernel t\ninput A: f16[4]\n", at: "2:10", "unknown element type 'f16'; expected f32, f64 or i32")
    expectSyntaxError("kernel t\ninput A f32[4]\n", at: "2:9", "expected ':' and an element type after A")
    expectSyntaxError("kernel t\ninput stage: f32[4]\n", at: "2:7", "'stage' is a keyword")
    expectSyntaxError("kernel t\nkernel u\n", at: "2:1", "a file holds one kernel")
}

@Test func definitionErrors() {
    expectSyntaxError(gemmLike("C[i, j] A[i, 0]"), at: "6:9", "expected '=' after C[…]")
    expectSyntaxError(gemmLike("C = A[0, 0]"), at: "6:3", "expected '[' after C; a definition reads C[i, j] = …")
    expectSyntaxError(gemmLike("C[i, 1] = A[0, 0]"), at: "6:6", "expected an index variable name in the left side of C")
    expectSyntaxError(gemmLike("C[i, j] ="), at: "6:10", "expected an expression, found end of file")
    expectSyntaxError(gemmLike("C[i, j] = sum(k < K)"), at: "6:21", "expected the body of the sum reduction")
    expectSyntaxError(gemmLike("C[i, j] = sum(k, K) A[i, k]"), at: "6:16", "expected '<' and an extent after reduction variable k")
}

@Test func parametersAreListedForTheCommandLine() throws {
    let syntax = try parse("kernel t\nparam H = 2046, W = 2046\ninput X: f32[H, W]\noutput Y: f32[H, W]\nY[y, x] = X[y, x]")
    #expect(syntax.parameters == [
        ParameterSyntax(name: "H", defaultValue: 2046, location: HoneIR.SourceLocation(file: "t.hone", line: 2, column: 7)),
        ParameterSyntax(name: "W", defaultValue: 2046, location: HoneIR.SourceLocation(file: "t.hone", line: 2, column: 17)),
    ])
}

@Test func windowsLineEndingsAndTabs() throws {
    let syntax = try parse("# summary\r\nkernel t\r\ninput\tA: f32[4]\r\noutput C: f32[4]\r\nC[i] = A[i]\r\n")
    #expect(syntax.summary == "summary")
    #expect(syntax.tensors.count == 2 && syntax.definitions.count == 1)
}

@Test func pathologicalNestingIsAnErrorNotACrash() {
    let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
    expectSyntaxError(gemmLike("C[i, j] = \(deep)"), at: "6:75", "expression nests too deeply")
    let negations = String(repeating: "-", count: 100_000) + "1.0"
    expectSyntaxError(gemmLike("C[i, j] = \(negations)"), at: "6:75", "expression nests too deeply")
    let long = Array(repeating: "1.0", count: 100_000).joined(separator: " + ")
    expectSyntaxError(gemmLike("C[i, j] = \(long)"), at: "6:1545", "expression is too long")
    // Powers of powers stop multiplying out once the base grows.
    #expect(kernelError(gemmLike("C[i, j] = ((((((((A[i, 0]^8)^8)^8)^8)^8)^8)^8)^8)")) == nil)
}
