import Testing
@testable import Hone
@testable import HoneCodegen

/// y[i] = a[i] * 2 + b[i % 3] + c[0], written as a loop nest by hand so each
/// loop kind can be checked against the plain scalar loop.
private func elementwiseNest(n: Int, outer: LoopKind, inner: LoopKind, lanes: Int, guarded: Bool) -> LoopNest {
    let i = Expr.binary(.add, .binary(.mul, .indexVar("io"), .index(lanes)), .indexVar("ii"))
    let value = Expr.binary(.add, .binary(.add, .binary(.mul, .load("a", [i], .f32), .float(2, .f32)),
                                          .load("b", [.binary(.mod, i, .index(3))], .f32)),
                            .load("c", [.index(0)], .f32))
    var store = Stmt.store("y", [i], value)
    if guarded { store = .ifThenElse(.binary(.lt, i, .index(n)), store, nil) }
    let tiles = (n + lanes - 1) / lanes
    let body = Stmt.loop(Loop("io", extent: .index(tiles), kind: outer,
                              body: .loop(Loop("ii", extent: .index(lanes), kind: inner, body: store))))
    return LoopNest(name: "elementwise", arguments: [
        Buffer(name: "a", type: .f32, shape: [n]), Buffer(name: "b", type: .f32, shape: [3]),
        Buffer(name: "c", type: .f32, shape: [1]), Buffer(name: "y", type: .f32, shape: [n]),
    ], body: body)
}

@Test(arguments: [
    (LoopKind.serial, LoopKind.vectorized, false), (.parallel, .vectorized, false), (.parallel, .serial, false),
    (.serial, .vectorized, true), (.parallel, .vectorized, true), (.serial, .unrolled, true),
])
func loopKindsComputeTheSameAsScalarLoops(outer: LoopKind, inner: LoopKind, guarded: Bool) throws {
    let n = guarded ? 53 : 64
    let lanes = 8
    let compiled = try Compiler().jit(elementwiseNest(n: n, outer: outer, inner: inner, lanes: lanes, guarded: guarded))
    let a = TensorBuffer(type: .f32, shape: [n]), b = TensorBuffer(type: .f32, shape: [3])
    let c = TensorBuffer(type: .f32, shape: [1]), y = TensorBuffer(type: .f32, shape: [n])
    a.fill(with: (0..<n).map { Double($0) * 0.5 - 3 })
    b.fill(with: [10, 20, 30])
    c.fill(with: [0.25])
    compiled.run([a.pointer, b.pointer, c.pointer, y.pointer])
    for i in 0..<n {
        #expect(y[flat: i] == a[flat: i] * 2 + b[flat: i % 3] + 0.25, "element \(i)")
    }
}

/// Eight f32 lanes are one 256-bit register for a fixed x86-64 CPU with AVX2
/// (whatever CPU runs the test), and 128-bit NEON registers on AArch64.
@Test func vectorizedLoopBecomesVectorInstructions() throws {
    let host = HostTarget.host
    let x86 = host.triple.hasPrefix("x86_64")
    let target = x86 ? HostTarget(triple: host.triple, cpu: "haswell", features: "+avx,+avx2,+fma") : host
    let asm = try Compiler(target: target).assembly(elementwiseNest(n: 64, outer: .serial, inner: .vectorized, lanes: 8, guarded: false))
    #expect(asm.contains(x86 ? "ymm" : ".4s"), "\(asm)")
}

@Test func parallelLoopCallsTheOpenMPRuntime() throws {
    let ir = try Compiler().llvmIR(elementwiseNest(n: 64, outer: .parallel, inner: .serial, lanes: 8, guarded: false), .unoptimized)
    #expect(ir.contains("GOMP_parallel"))
}
