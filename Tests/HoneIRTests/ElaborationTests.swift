import Testing
@testable import HoneIR

// Elaboration: names, ranks, types, bounds, order — and where errors point.

private let i = Expr.indexVar("i"), j = Expr.indexVar("j"), k = Expr.indexVar("k")

private func a(_ x: Expr, _ y: Expr) -> Expr { .load("A", [x, y], .f32) }
private func b(_ x: Expr, _ y: Expr) -> Expr { .load("B", [x, y], .f32) }

@Test func gemmElaboratesToOneReduction() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = sum(k < K) A[i, k] * B[k, j]"))
    #expect(kernel.name == "t")
    #expect(kernel.parameters == [Parameter(name: "M", value: 4), Parameter(name: "N", value: 5), Parameter(name: "K", value: 3)])
    #expect(kernel.output.shape == [4, 5])
    let stage = try #require(kernel.stages.first)
    #expect(kernel.stages.count == 1)
    #expect(stage.indexVariables == ["i", "j"])
    #expect(stage.reduction == Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: 3)]))
    #expect(stage.value == .binary(.mul, a(i, k), b(k, j)))
    try kernel.validate()
}

@Test func overridesReplaceDefaults() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = sum(k < K) A[i, k] * B[k, j]"), overrides: ["K": 7, "M": 2])
    #expect(kernel.tensor(named: "A")?.shape == [2, 7])
    #expect(kernel.stages[0].reduction?.axes[0].extent == 7)
}

// MARK: Errors, each at its place

@Test func unknownTensorSuggestsTheClosestName() {
    expectKernelError(gemmLike("C[i, j] = sum(k < K) A[i, k] * Bx[k, j]"), at: "6:32", "unknown tensor 'Bx'; did you mean 'B'?")
}

@Test func unknownNameAndFunction() {
    expectKernelError(gemmLike("C[i, j] = A[i, q]"), at: "6:16", "unknown name 'q'")
    expectKernelError(gemmLike("C[i, j] = expp(A[i, 0])"), at: "6:11", "unknown function 'expp'; did you mean 'exp'?")
}

@Test func rankMismatchSaysHowManyIndices() {
    expectKernelError(gemmLike("C[i, j] = sum(k < K) A[i, k, 0] * B[k, j]"), at: "6:22", "A expects 2 indices, got 3")
    expectKernelError(gemmLike("C[i] = A[i, 0]"), at: "6:1", "C has 2 dimensions, so its definition needs 2 index variables, got 1")
}

@Test func outOfBoundsIndexIsRejected() {
    expectKernelError(gemmLike("C[i, j] = sum(k < K) A[i + 1, k] * B[k, j]"), at: "6:24", "index 1 of A can reach 4, outside 0..<4")
    expectKernelError(gemmLike("C[i, j] = A[i, j - 3]"), at: "6:16", "index 2 of A can reach -3, outside 0..<3")
}

@Test func selectNarrowedIndexIsAcceptedAndClamped() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = select(i >= 1, A[i - 1, 0], 0.0)"))
    let value = kernel.stages[0].value
    // Only the low side can leave A, so only it is clamped.
    let clamped = Expr.binary(.max, .binary(.sub, i, .index(1)), .index(0))
    #expect(value == .select(.binary(.ge, i, .index(1)), a(clamped, .index(0)), .float(0, .f32)))
    try kernel.validate()
}

@Test func narrowingIsNotEnoughWhenTheBranchStillEscapes() {
    expectKernelError(gemmLike("C[i, j] = select(i >= 1, A[i + 1, 0], 0.0)"), at: "6:28", "index 1 of A can reach 4, outside 0..<4")
    // The false branch sees the negation: i < 1 does not make i + 4 safe.
    expectKernelError(gemmLike("C[i, j] = select(i >= 1, 0.0, A[i + 4, 0])"), at: "6:33", "index 1 of A can reach 4, outside 0..<4")
}

@Test func falseBranchUsesTheNegatedCondition() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = select(i > 0, 0.0, A[i + 3, 0])"))
    // In the false branch i <= 0, so i + 3 <= 3; clamped at the top for eager evaluation.
    let index = Expr.binary(.min, .binary(.add, i, .index(3)), .index(3))
    #expect(kernel.stages[0].value == .select(.binary(.gt, i, .index(0)), .float(0, .f32), a(index, .index(0))))
}

@Test func narrowingUnderstandsSumsOfVariables() throws {
    // A convolution without a padding stage: the condition is on y + r.
    let source = """
    kernel t
    param H = 6
    input X: f32[H]
    input Wt: f32[3]
    output Y: f32[H]
    Y[y] = sum(r < 3) select(y + r >= 1 && y + r <= H, X[y + r - 1], 0.0) * Wt[r]
    """
    let kernel = try Kernel.parse(source)
    try kernel.validate()
    guard case .binary(.mul, .select(_, .load("X", let indices, _), _), _) = kernel.stages[0].value else {
        Issue.record("unexpected value \(kernel.stages[0].value)")
        return
    }
    let raw = Expr.binary(.sub, .binary(.add, .indexVar("y"), .indexVar("r")), .index(1))
    #expect(indices == [.binary(.max, .binary(.min, raw, .index(5)), .index(0))])
}

@Test func cycleBetweenTwoStagesIsRejected() {
    let source = """
    kernel t
    param N = 4
    input X: f32[N]
    stage a: f32[N]
    stage b: f32[N]
    output y: f32[N]
    a[i] = b[i] + X[i]
    b[i] = a[i] * 2.0
    y[i] = a[i]
    """
    expectKernelError(source, at: "8:8", "stages form a cycle: a → b → a")
}

@Test func selfReferenceIsRejected() {
    expectKernelError(gemmLike("C[i, j] = C[i, j] + A[i, 0]"), at: "6:11", "C reads itself")
}

@Test func duplicateDefinitionAndDeclaration() {
    expectKernelError(gemmLike("C[i, j] = A[i, 0]\nC[i, j] = B[0, j]"), at: "7:1", "duplicate definition of C (first defined at 6:1)")
    let twice = "kernel t\ninput A: f32[2]\ninput A: f32[3]\noutput C: f32[2]\nC[i] = A[i]"
    expectKernelError(twice, at: "3:7", "duplicate declaration of 'A' (first declared at 2:7)")
}

@Test func missingDefinitionAndDefiningAnInput() {
    let missing = "kernel t\ninput A: f32[2]\nstage s: f32[2]\noutput C: f32[2]\nC[i] = A[i]"
    expectKernelError(missing, at: "3:7", "stage s is declared but never defined")
    expectKernelError(gemmLike("A[i, k] = 1.0"), at: "6:1", "A is an input and cannot be defined")
    expectKernelError("kernel t\ninput A: f32[2]\n", at: "1:8", "declares no output")
}

@Test func repeatedIndexVariableIsRejected() {
    expectKernelError(gemmLike("C[i, i] = A[i, 0]"), at: "6:6", "index variable i appears twice in the left side of C")
    expectKernelError(gemmLike("C[i, M] = A[i, 0]"), at: "6:6", "index variable M shadows parameter M")
}

@Test func floatIndexIsRejected() {
    expectKernelError(gemmLike("C[i, j] = A[i, 0.0]"), at: "6:16", "index 2 of A is a float")
}

@Test func nonAffineIndicesAreRejected() {
    expectKernelError(gemmLike("C[i, j] = A[i * j, 0]"), at: "6:15", "index 1 of A multiplies two non-constant terms")
    expectKernelError(gemmLike("C[i, j] = A[i / j, 0]"), at: "6:15", "divides by j, not by a positive constant")
    expectKernelError(gemmLike("C[i, j] = A[i32(B[0, j]), 0]"), at: "6:13", "index 1 of A cannot use a cast")
    expectKernelError(gemmLike("C[i, j] = A[exp(i), 0]"), at: "6:13", "cannot call exp")
}

@Test func affineIndicesWithConstantsAreAccepted() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = A[(2 * i + j) / 4 % M, min(j, K - 1)]"))
    try kernel.validate()
    let first = Expr.binary(.mod, .binary(.div, .binary(.add, .binary(.mul, .index(2), i), j), .index(4)), .index(4))
    #expect(kernel.stages[0].value == a(first, .binary(.min, j, .index(2))))
}

@Test func reductionVariablesMustNotShadow() {
    expectKernelError(gemmLike("C[i, j] = sum(i < K) A[i, i] * B[i, j]"), at: "6:15", "reduction variable i shadows the index variable i of C")
    expectKernelError(gemmLike("C[i, j] = sum(K < 3) A[i, K]"), at: "6:15", "reduction variable K shadows parameter K")
    expectKernelError(gemmLike("C[i, j] = sum(k < K) A[i, k] * max(k < 2) B[k, j]"), at: "6:36", "shadows the variable k of an enclosing reduction")
    expectKernelError(gemmLike("C[i, j] = sum(k < j) A[i, 0]"), at: "6:19", "cannot depend on j")
}

@Test func unknownOverrideNamesTheKnownParameters() {
    expectKernelError(gemmLike("C[i, j] = A[i, 0]"), at: "none", "unknown parameter 'Q' in override; the parameters of t are M, N, K", overrides: ["Q": 3])
    expectKernelError(gemmLike("C[i, j] = A[i, 0]"), at: "none", "did you mean 'M'?", overrides: ["MM": 3])
    expectKernelError(gemmLike("C[i, j] = A[i, 0]"), at: "none", "parameter M must be a non-negative integer", overrides: ["M": -1])
    // Zero is a valid value (a padding), but not as an extent.
    expectKernelError(gemmLike("C[i, j] = A[i, 0]"), at: "3:15", "dimension 1 of A has extent 0; extents must be positive", overrides: ["M": 0])
}

@Test func nonPositiveExtentPointsAtTheShape() {
    let source = "kernel t\nparam M = 4\ninput A: f32[M, M - 4]\noutput C: f32[M]\nC[i] = A[i, 0]"
    expectKernelError(source, at: "3:17", "dimension 2 of A has extent 0; extents must be positive")
    expectKernelError("kernel t\ninput A: f32[Q]\noutput C: f32[2]\nC[i] = 1.0", at: "2:14", "unknown parameter 'Q' in the shape of A")
}

@Test func unusedStageIsRejected() {
    let source = "kernel t\ninput A: f32[2]\nstage s: f32[2]\noutput C: f32[2]\ns[i] = A[i]\nC[i] = A[i]"
    expectKernelError(source, at: "5:1", "stage s is never used to compute C")
}

// MARK: Types

@Test func floatLiteralsAdoptTheTypeTheyMeet() throws {
    let source = """
    kernel t
    param N = 4
    input X: f64[N]
    output Y: f64[N]
    Y[i] = X[i] * 2.0 + 1
    """
    let kernel = try Kernel.parse(source)
    let x = Expr.load("X", [i], .f64)
    #expect(kernel.stages[0].value == .binary(.add, .binary(.mul, x, .float(2, .f64)), .float(1, .f64)))
}

@Test func integersPromoteWithExplicitCasts() throws {
    let source = "kernel t\nparam N = 4\ninput X: f32[N]\noutput Y: f32[N]\nY[i] = X[i] + i\n"
    let kernel = try Kernel.parse(source)
    #expect(kernel.stages[0].value == .binary(.add, .load("X", [i], .f32), .cast(.f32, i)))
    // A standalone value adopts the stage's type; an integer one converts.
    let constant = try Kernel.parse("kernel t\noutput Y: f64[3]\nY[i] = 0.5")
    #expect(constant.stages[0].value == .float(0.5, .f64))
    let index = try Kernel.parse("kernel t\noutput Y: f32[3]\nY[i] = i / 2")
    #expect(index.stages[0].value == .cast(.f32, .binary(.div, i, .index(2))))
}

@Test func floatToIntegerNeedsAnExplicitCast() throws {
    let bad = "kernel t\ninput X: f32[3]\noutput Y: i32[3]\nY[i] = X[i] * 2.0"
    expectKernelError(bad, at: "4:8", "Y holds i32 but its value is f32; convert it with i32(…)")
    let good = try Kernel.parse("kernel t\ninput X: f32[3]\noutput Y: i32[3]\nY[i] = i32(X[i] * 2.0)")
    #expect(good.stages[0].value == .cast(.i32, .binary(.mul, .load("X", [i], .f32), .float(2, .f32))))
    expectKernelError("kernel t\noutput Y: f32[3]\nY[i] = i < 2", at: "3:8", "is a condition (bool)")
    expectKernelError("kernel t\ninput X: f32[3]\noutput Y: f32[3]\nY[i] = X[i] % 2.0", at: "4:13", "'%' needs integers")
}

@Test func powersExpandOrCallPow() throws {
    let source = "kernel t\ninput X: f32[3]\noutput Y: f32[3]\nY[i] = X[i]^2 + X[i]^3 - X[i]^2.5 + -X[i]^2"
    let kernel = try Kernel.parse(source)
    let x = Expr.load("X", [i], .f32)
    let square = Expr.binary(.mul, x, x)
    let cube = Expr.binary(.mul, square, x)
    let pow = Expr.call(.pow, [x, .float(2.5, .f32)])
    #expect(kernel.stages[0].value == .binary(.add, .binary(.sub, .binary(.add, square, cube), pow), .unary(.neg, square)))
}

@Test func minMaxCallsAndMathFunctions() throws {
    let source = "kernel t\ninput X: f32[3]\noutput Y: f32[3]\nY[i] = max(min(X[i], 1.0), 0.0) + sqrt(abs(X[i])) + f32(i)"
    let kernel = try Kernel.parse(source)
    let x = Expr.load("X", [i], .f32)
    let clamp = Expr.binary(.max, .binary(.min, x, .float(1, .f32)), .float(0, .f32))
    #expect(kernel.stages[0].value == .binary(.add, .binary(.add, clamp, .call(.sqrt, [.call(.abs, [x])])), .cast(.f32, i)))
    expectKernelError("kernel t\noutput Y: f32[3]\nY[i] = exp(1.0, 2.0)", at: "3:8", "exp takes 1 argument, got 2")
    expectKernelError("kernel t\noutput Y: f32[3]\nY[i] = select(i, 1.0, 0.0)", at: "3:15", "the condition of select must be a comparison")
}

// MARK: Nested reductions

@Test func nestedReductionIsLiftedIntoAStage() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = A[i, 0] + max(k < K) B[k, j]"))
    #expect(kernel.stages.map(\.name) == ["C_max0", "C"])
    let lifted = kernel.stages[0]
    #expect(lifted.indexVariables == ["j"])
    #expect(lifted.reduction == Reduction(op: .max, axes: [ReductionAxis(name: "k", extent: 3)]))
    #expect(lifted.value == b(k, j))
    #expect(kernel.tensor(named: "C_max0") == TensorDecl(name: "C_max0", role: .intermediate, type: .f32, shape: [5]))
    #expect(kernel.stages[1].value == .binary(.add, a(i, .index(0)), .load("C_max0", [j], .f32)))
    #expect(kernel.tensors.map(\.name) == ["A", "B", "C_max0", "C"])
    try kernel.validate()
}

@Test func nestedSameOperatorReductionsMerge() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = sum(k < K) sum(l < 2) A[i, k] * B[l, j]"))
    #expect(kernel.stages.count == 1)
    #expect(kernel.stages[0].reduction?.axes.map(\.name) == ["k", "l"])
}

@Test func reductionInsideReductionUsesTheOuterVariable() throws {
    let kernel = try Kernel.parse(gemmLike("C[i, j] = sum(k < K) exp(A[i, k] - max(l < N) B[k, l])"))
    #expect(kernel.stages.map(\.name) == ["C_max0", "C"])
    #expect(kernel.stages[0].indexVariables == ["k"])
    #expect(kernel.tensor(named: "C_max0")?.shape == [3])
    try kernel.validate()
}

// MARK: Order

@Test func stagesAreOrderedByTheirReads() throws {
    let source = """
    kernel t
    param N = 4
    input X: f32[N]
    output y: f32[N]
    stage b: f32[N]
    stage a: f32[N]
    y[i] = b[i] + a[i]
    b[i] = a[i] * 2.0
    a[i] = X[i] + 1.0
    """
    let kernel = try Kernel.parse(source)
    #expect(kernel.stages.map(\.name) == ["a", "b", "y"])
    try kernel.validate()
}

@Test func expressionsMayContinueOnTheNextLine() throws {
    let source = "kernel t\nparam M = 2,\n  N = 3\ninput A: f32[M,\n  N]\noutput C: f32[M]\nC[i] =\n  sum(j < N)\n  A[i, j] *\n  2.0"
    let kernel = try Kernel.parse(source)
    #expect(kernel.stages[0].value == .binary(.mul, a(i, j), .float(2, .f32)))
}

// MARK: Overrides text

@Test func overrideTextParses() throws {
    #expect(try parseParameterOverrides("M=512,N=256") == ["M": 512, "N": 256])
    #expect(try parseParameterOverrides(" M = 8 , K=2 ") == ["M": 8, "K": 2])
    #expect(try parseParameterOverrides("") == [:])
}

@Test func badOverrideTextSaysWhatWasExpected() {
    func message(_ text: String) -> String {
        do {
            _ = try parseParameterOverrides(text)
            return "no error"
        } catch {
            return error.message
        }
    }
    #expect(message("M512").contains("expected NAME=VALUE in 'M512'"))
    #expect(message("M=abc").contains("expected an integer value for M, got 'abc'"))
    #expect(message("=4").contains("expected a parameter name"))
    #expect(message("M=1,M=2").contains("parameter M is set twice"))
    #expect(message("M=-3").contains("expected a non-negative value for M"))
    #expect(message("P=0") == "no error")
}

@Test func loadReportsUnreadableFiles() {
    #expect(throws: HoneError.self) { try Kernel.load(path: "/nonexistent/kernel.hone") }
}
