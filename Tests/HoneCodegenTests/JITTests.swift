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

/// A heap intermediate is taken from and returned to its slot atomically,
/// so calls after the first reuse it; results stay right across calls and
/// after `releaseWorkspace`, which frees it (the next call allocates again).
@Test func heapIntermediatesAreKeptBetweenCallsUntilReleased() throws {
    let n = 1 << 16
    let i = Expr.indexVar("i")
    let body = Stmt.allocate(Buffer(name: "T", type: .f32, shape: [n], memory: .heap), .sequence([
        .loop(Loop("i", extent: .index(n), body: .store("T", [i], .binary(.mul, .load("A", [i], .f32), .float(2, .f32))))),
        .loop(Loop("i", extent: .index(n), body: .store("B", [i], .binary(.add, .load("T", [i], .f32), .float(1, .f32))))),
    ]))
    let nest = LoopNest(name: "twice", arguments: [Buffer(name: "A", type: .f32, shape: [n]), Buffer(name: "B", type: .f32, shape: [n])], body: body)
    let compiler = try Compiler()
    let ir = try compiler.llvmIR(nest, .unoptimized)
    #expect(ir.contains("atomicrmw xchg ptr @T.workspace") && ir.contains("cmpxchg ptr @T.workspace"), "\(ir)")
    #expect(ir.contains("define void @twice_release_workspace()"), "\(ir)")
    let compiled = try compiler.jit(nest)
    let a = TensorBuffer(type: .f32, shape: [n]), b = TensorBuffer(type: .f32, shape: [n])
    for call in 0..<4 {
        a.fill(with: (0..<n).map { Double(($0 + call) % 7) })
        compiled.run([a.pointer, b.pointer])
        #expect((0..<n).allSatisfy { b[flat: $0] == Double(($0 + call) % 7) * 2 + 1 }, "call \(call)")
        if call == 1 { compiled.releaseWorkspace() }
    }
}
