import Testing
import HoneIR

private typealias K = InterpTestKernels

@Suite("KernelCost")
struct KernelCostTests {
    @Test(arguments: [(2, 3, 4), (1024, 1024, 1024), (7, 1, 13)])
    func gemmIsTwoMNK(m: Int, n: Int, k: Int) {
        let cost = KernelCost(K.gemm(m: m, n: n, k: k))
        #expect(cost.flops == 2 * m * n * k)
        #expect(cost.integerOps == 0)
        #expect(cost.bytesMoved == 4 * (m * k + k * n + m * n))
        #expect(cost.stages.count == 1)
        let c = cost.stages[0]
        #expect(c.elements == m * n && c.reductionPoints == k && c.flopsPerPoint == 2)
        #expect(c.bytesRead == 4 * (m * k + k * n) && c.bytesWritten == 4 * m * n)
    }

    @Test func softmaxByHand() {
        // mx: 1 (max combine) per point, R*C points
        // e:  sub + exp = 2 per element, R*C elements
        // s:  1 (sum combine) per point, R*C points
        // out: div = 1 per element, R*C elements
        let (r, c) = (6, 10)
        let cost = KernelCost(K.softmax(rows: r, cols: c))
        #expect(cost.stages.map(\.name) == ["mx", "e", "s", "out"])
        #expect(cost.stages.map(\.flopsPerPoint) == [1, 2, 1, 1])
        #expect(cost.stages.map(\.points) == [r * c, r * c, r * c, r * c])
        #expect(cost.flops == 5 * r * c)
        // Compulsory traffic: X read once, out written once; intermediates excluded.
        #expect(cost.inputBytes == 4 * r * c && cost.outputBytes == 4 * r * c)
        #expect(cost.bytesMoved == 8 * r * c)
        // Per stage: what it reads and writes if materialized.
        #expect(cost.stages[1].bytesRead == 4 * r * c + 4 * r)  // X and mx
        #expect(cost.stages[3].bytesRead == 4 * r * c + 4 * r)  // e and s
        #expect(cost.stages[2].bytesWritten == 4 * r)
        #expect(cost.arithmeticIntensity == 5.0 / 8.0)
    }

    @Test func paddedConvolutionByHand() {
        // pad: select 0 + float ops 0 (the bounds test is index arithmetic) per element;
        // out: mul + combine = 2 per point, points = F*N*N * C*3*3.
        let (ch, f, n) = (3, 4, 5)
        let cost = KernelCost(K.conv2d(channels: ch, filters: f, size: n))
        #expect(cost.stages[0].flops == 0)
        #expect(cost.stages[1].reductionPoints == ch * 9)
        #expect(cost.flops == 2 * f * n * n * ch * 9)
        #expect(cost.bytesMoved == 4 * (ch * n * n + f * ch * 9 + f * n * n))
    }

    @Test func countingRules() {
        let x = TensorDecl(name: "X", role: .input, type: .f32, shape: [8])
        let n = TensorDecl(name: "N", role: .input, type: .i32, shape: [8])
        let xi = K.load("X", K.v("i")), ni = K.load("N", K.v("i"), type: .i32)
        func flops(_ value: Expr, out: ScalarType = .f32) -> (Int, Int) {
            let cost = KernelCost(K.elementwise([x, n], out: out, count: 8, value: value))
            return (cost.stages[0].flopsPerPoint, cost.stages[0].integerOpsPerPoint)
        }
        // select(X > 0, X * 2, -X): comparison on floats 1, mul 1, neg 1, select 0.
        #expect(flops(.select(.binary(.gt, xi, K.f32(0)), K.mul(xi, K.f32(2)), .unary(.neg, xi))) == (3, 0))
        // Math calls count 1 each; casts 0.
        #expect(flops(.call(.sqrt, [.call(.exp, [.cast(.f32, ni)])])) == (2, 0))
        // Index arithmetic inside loads never counts.
        #expect(flops(K.load("X", K.div(K.add(K.v("i"), K.c(1)), K.c(2)))) == (0, 0))
        // i32 data arithmetic (comparisons included) is counted apart from FLOPs; logic is free.
        #expect(flops(K.add(K.mul(ni, ni), .int(1, .i32)), out: .i32) == (0, 2))
        #expect(flops(.cast(.i32, .binary(.and, .binary(.lt, ni, .int(0, .i32)), .binary(.lt, xi, K.f32(0)))), out: .i32) == (1, 1))
        // min/max are one op.
        #expect(flops(.binary(.max, .binary(.min, xi, K.f32(1)), K.f32(-1))) == (2, 0))
    }
}
