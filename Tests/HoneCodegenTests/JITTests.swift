import Testing
@testable import Hone

private func gemmKernel(m: Int, n: Int, k: Int) -> Kernel {
    Kernel(name: "gemm", tensors: [
        TensorDecl(name: "A", role: .input, type: .f32, shape: [m, k]),
        TensorDecl(name: "B", role: .input, type: .f32, shape: [k, n]),
        TensorDecl(name: "C", role: .output, type: .f32, shape: [m, n]),
    ], stages: [
        Stage(name: "C", indexVariables: ["i", "j"], reduction: Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: k)]),
              value: .binary(.mul, .load("A", [.indexVar("i"), .indexVar("k")], .f32), .load("B", [.indexVar("k"), .indexVar("j")], .f32))),
    ])
}

@Test func jitCompiledGemmMatchesNaiveLoops() throws {
    let (m, n, k) = (5, 7, 3)
    let kernel = gemmKernel(m: m, n: n, k: k)
    let compiled = try Compiler().jit(lower(kernel))
    let a = TensorBuffer(type: .f32, shape: [m, k]), b = TensorBuffer(type: .f32, shape: [k, n])
    let c = TensorBuffer(type: .f32, shape: [m, n])
    a.fill(with: (0..<(m * k)).map { Double($0 % 5) - 2 })
    b.fill(with: (0..<(k * n)).map { Double($0 % 3) + 0.5 })
    compiled.run([a.pointer, b.pointer, c.pointer])
    for i in 0..<m {
        for j in 0..<n {
            let expected = (0..<k).reduce(0.0) { $0 + a[flat: i * k + $1] * b[flat: $1 * n + j] }
            #expect(c[flat: i * n + j] == expected)
        }
    }
}
