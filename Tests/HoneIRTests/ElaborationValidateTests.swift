import Testing
@testable import HoneIR

// `Kernel.validate()` on kernels built in Swift code.

private let i = Expr.indexVar("i"), j = Expr.indexVar("j"), k = Expr.indexVar("k")

private func gemm(value: Expr, reduction: Reduction? = Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: 3)])) -> Kernel {
    Kernel(name: "gemm",
           tensors: [TensorDecl(name: "A", role: .input, type: .f32, shape: [4, 3]),
                     TensorDecl(name: "B", role: .input, type: .f32, shape: [3, 5]),
                     TensorDecl(name: "C", role: .output, type: .f32, shape: [4, 5])],
           stages: [Stage(name: "C", indexVariables: ["i", "j"], reduction: reduction, value: value)])
}

private func validationMessage(_ kernel: Kernel) -> String {
    do {
        try kernel.validate()
        return "valid"
    } catch {
        #expect(error.location == nil)
        return error.message
    }
}

@Test func handBuiltGemmValidates() throws {
    try gemm(value: .binary(.mul, .load("A", [i, k], .f32), .load("B", [k, j], .f32))).validate()
}

@Test func validateFindsOutOfBoundsLoads() {
    let kernel = gemm(value: .load("A", [.binary(.add, i, .index(1)), k], .f32))
    #expect(validationMessage(kernel) == "stage C: index 1 of A can reach 4, outside 0..<4")
}

@Test func validateFindsNamesRanksAndTypes() {
    #expect(validationMessage(gemm(value: .load("Q", [i, k], .f32))).contains("unknown tensor 'Q'"))
    #expect(validationMessage(gemm(value: .load("A", [i], .f32))) == "stage C: A expects 2 indices, got 1")
    #expect(validationMessage(gemm(value: .load("A", [i, .indexVar("q")], .f32))) == "stage C: unknown variable q")
    #expect(validationMessage(gemm(value: .load("A", [i, k], .f64))).contains("load of A has type f64 but A holds f32"))
    let mixed = Expr.binary(.add, .load("A", [i, k], .f32), .float(1, .f64))
    #expect(validationMessage(gemm(value: mixed)).contains("have types f32 and f64"))
    #expect(validationMessage(gemm(value: .load("A", [.binary(.mul, i, k), k], .f32))).contains("multiplies two non-constant terms"))
    #expect(validationMessage(gemm(value: .float(0, .f64), reduction: nil)).contains("the value has type f64 but C holds f32"))
}

@Test func validateFindsOrderProblems() {
    var kernel = gemm(value: .load("T", [i, j], .f32), reduction: nil)
    kernel.tensors.append(TensorDecl(name: "T", role: .intermediate, type: .f32, shape: [4, 5]))
    kernel.stages.append(Stage(name: "T", indexVariables: ["i", "j"], value: .load("A", [i, .index(0)], .f32)))
    #expect(validationMessage(kernel).contains("the last stage must define the output C"))
    kernel.stages.reverse()
    #expect(validationMessage(kernel) == "valid")
    kernel.stages.removeFirst()
    #expect(validationMessage(kernel).contains("T is declared but no stage defines it"))
    #expect(validationMessage(gemm(value: .load("C", [i, j], .f32))) == "stage C: C reads itself")
}

@Test func guardedLoadsMustBeClampedAndCanBe() throws {
    let guarded = Expr.select(.binary(.ge, i, .index(1)), .load("A", [.binary(.sub, i, .index(1)), .index(0)], .f32), .float(0, .f32))
    let kernel = gemm(value: guarded, reduction: nil)
    #expect(validationMessage(kernel).contains("is in bounds only under its select condition"))
    let clamped = try kernel.clampingGuardedLoads()
    try clamped.validate()
    // The same kernel written in the language elaborates to the same clamped value.
    let parsed = try Kernel.parse(gemmLike("C[i, j] = select(i >= 1, A[i - 1, 0], 0.0)"))
    #expect(clamped.stages[0].value == parsed.stages[0].value)
}
