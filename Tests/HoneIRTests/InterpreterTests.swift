import Testing
import HoneIR

private typealias K = InterpTestKernels

@Suite("Interpreter")
struct InterpreterTests {
    @Test func gemm2x3x2ByHand() throws {
        let kernel = K.gemm(m: 2, n: 2, k: 3)
        let out = try Interpreter.evaluate(kernel, inputs: [
            "A": [1, 2, 3,
                  4, 5, 6],
            "B": [7, 8,
                  9, 10,
                  11, 12],
        ])
        // [1 2 3; 4 5 6] x [7 8; 9 10; 11 12]
        #expect(out == [58, 64, 139, 154])
    }

    @Test func maxReduction() throws {
        let kernel = Kernel(
            name: "rowmax",
            tensors: [TensorDecl(name: "A", role: .input, type: .f32, shape: [2, 3]),
                      TensorDecl(name: "m", role: .output, type: .f32, shape: [2])],
            stages: [Stage(name: "m", indexVariables: ["i"],
                           reduction: Reduction(op: .max, axes: [ReductionAxis(name: "k", extent: 3)]),
                           value: K.load("A", K.v("i"), K.v("k")))])
        let out = try Interpreter.evaluate(kernel, inputs: ["A": [1, -5, 3, -2, -7, -1]])
        #expect(out == [3, -1])
    }

    @Test func minReductionAndEmptyReductionIdentities() throws {
        func rowReduce(_ op: Reduction.Operator, extent: Int, type: ScalarType) -> Kernel {
            Kernel(
                name: "rowreduce",
                tensors: [TensorDecl(name: "A", role: .input, type: type, shape: [2, 3]),
                          TensorDecl(name: "m", role: .output, type: type, shape: [2])],
                stages: [Stage(name: "m", indexVariables: ["i"],
                               reduction: Reduction(op: op, axes: [ReductionAxis(name: "k", extent: extent)]),
                               value: K.load("A", K.v("i"), K.v("k"), type: type))])
        }
        let a: [Double] = [1, -5, 3, -2, -7, -1]
        #expect(try Interpreter.evaluate(rowReduce(.min, extent: 3, type: .f32), inputs: ["A": a]) == [-5, -7])
        #expect(try Interpreter.evaluate(rowReduce(.min, extent: 3, type: .i32), inputs: ["A": a]) == [-5, -7])
        #expect(try Interpreter.evaluate(rowReduce(.sum, extent: 3, type: .i32), inputs: ["A": a]) == [-1, -10])
        // Empty reductions yield the identity: 0, -inf, +inf (integer bounds for i32).
        #expect(try Interpreter.evaluate(rowReduce(.sum, extent: 0, type: .f32), inputs: ["A": a]) == [0, 0])
        #expect(try Interpreter.evaluate(rowReduce(.max, extent: 0, type: .f32), inputs: ["A": a]) == [-.infinity, -.infinity])
        #expect(try Interpreter.evaluate(rowReduce(.min, extent: 0, type: .f32), inputs: ["A": a]) == [.infinity, .infinity])
        #expect(try Interpreter.evaluate(rowReduce(.max, extent: 0, type: .i32), inputs: ["A": a]) == [Double(Int32.min), Double(Int32.min)])
    }

    @Test func twoAxisReductionVisitsEveryPoint() throws {
        // out[i, j] = sum(r < 2, s < 2) A[i + r, j + s] * W[r, s]
        let kernel = Kernel(
            name: "conv",
            tensors: [TensorDecl(name: "A", role: .input, type: .f32, shape: [3, 3]),
                      TensorDecl(name: "W", role: .input, type: .f32, shape: [2, 2]),
                      TensorDecl(name: "out", role: .output, type: .f32, shape: [2, 2])],
            stages: [Stage(name: "out", indexVariables: ["i", "j"],
                           reduction: Reduction(op: .sum, axes: [ReductionAxis(name: "r", extent: 2),
                                                                 ReductionAxis(name: "s", extent: 2)]),
                           value: K.mul(K.load("A", K.add(K.v("i"), K.v("r")), K.add(K.v("j"), K.v("s"))),
                                        K.load("W", K.v("r"), K.v("s"))))])
        let out = try Interpreter.evaluate(kernel, inputs: ["A": [1, 2, 3, 4, 5, 6, 7, 8, 9], "W": [1, 2, 3, 4]])
        // out[0,0] = 1*1 + 2*2 + 4*3 + 5*4 = 37, and so on.
        #expect(out == [37, 47, 67, 77])
    }

    @Test func twoStageBlurByHand() throws {
        // A[y, x] = 4y + x on a 4x4 grid: each 3-tap average of a linear
        // function is its middle value, so by[y, x] = A[y + 1, x + 1] = 4y + x + 5.
        let kernel = K.blur(h: 2, w: 2)
        let a = (0 ..< 16).map(Double.init)
        let interp = try Interpreter(kernel: kernel, inputs: ["A": a])
        #expect(try interp.evaluate(stage: "bx") == [1, 2, 5, 6, 9, 10, 13, 14])
        #expect(try interp.evaluateOutput() == [5, 6, 9, 10])
    }

    @Test func paddingWithSelectAndClampedIndex() throws {
        // P[i] = select(1 <= i <= 3, A[clamp(i - 1, 0, 2)], 0); out[i] = P[i] + P[i+1] + P[i+2]
        func kernel(clamped: Bool) -> Kernel {
            let shifted = K.sub(K.v("i"), K.c(1))
            let index = clamped ? Expr.binary(.max, .binary(.min, shifted, K.c(2)), K.c(0)) : shifted
            return Kernel(
                name: "pad",
                tensors: [TensorDecl(name: "A", role: .input, type: .f32, shape: [3]),
                          TensorDecl(name: "P", role: .intermediate, type: .f32, shape: [5]),
                          TensorDecl(name: "out", role: .output, type: .f32, shape: [3])],
                stages: [
                    Stage(name: "P", indexVariables: ["i"],
                          value: .select(.binary(.and, .binary(.ge, K.v("i"), K.c(1)), .binary(.le, K.v("i"), K.c(3))),
                                         K.load("A", index), K.f32(0))),
                    Stage(name: "out", indexVariables: ["i"],
                          value: K.add(K.add(K.load("P", K.v("i")), K.load("P", K.add(K.v("i"), K.c(1)))),
                                       K.load("P", K.add(K.v("i"), K.c(2))))),
                ])
        }
        let inputs: [String: [Double]] = ["A": [10, 20, 30]]
        let interp = try Interpreter(kernel: kernel(clamped: true), inputs: inputs)
        #expect(try interp.evaluate(stage: "P") == [0, 10, 20, 30, 0])
        #expect(try interp.evaluateOutput() == [30, 60, 50])
        // A branch that is only in bounds under its condition is never evaluated.
        #expect(try Interpreter.evaluate(kernel(clamped: false), inputs: inputs) == [30, 60, 50])
    }

    @Test func floorDivisionAndModuloOfIndices() throws {
        // out[i] = ((i - 3) / 2) * 10 + (i - 3) % 2 + A[(i - 3) / 2 + 2], i in 0..<6
        // (i - 3) / 2 = -2 -1 -1 0 0 1;  (i - 3) % 2 = 1 0 1 0 1 0
        let q = K.div(K.sub(K.v("i"), K.c(3)), K.c(2))
        let r = Expr.binary(.mod, K.sub(K.v("i"), K.c(3)), K.c(2))
        let value = K.add(.cast(.f32, K.add(K.mul(q, K.c(10)), r)), K.load("A", K.add(q, K.c(2))))
        let kernel = K.elementwise([TensorDecl(name: "A", role: .input, type: .f32, shape: [4])],
                                   out: .f32, count: 6, value: value)
        let out = try Interpreter.evaluate(kernel, inputs: ["A": [100, 200, 300, 400]])
        let expected: [Double] = [81, 190, 191, 300, 301, 410]  // -19+100, -10+200, -9+200, 0+300, 1+300, 10+400
        #expect(out == expected)
    }

    @Test func floorDivisionAndModuloOfI32DataWithAnySigns() throws {
        // out[i, j] = A[i] / B[j] * 10 + A[i] % B[j] with A = [7, -7], B = [2, -2]:
        //  7 / 2 = 3, 7 % 2 = 1;    7 / -2 = -4, 7 % -2 = -1
        // -7 / 2 = -4, -7 % 2 = 1;  -7 / -2 = 3, -7 % -2 = -1
        let a = K.load("A", K.v("i"), type: .i32), b = K.load("B", K.v("j"), type: .i32)
        let kernel = Kernel(
            name: "divmod",
            tensors: [TensorDecl(name: "A", role: .input, type: .i32, shape: [2]),
                      TensorDecl(name: "B", role: .input, type: .i32, shape: [2]),
                      TensorDecl(name: "out", role: .output, type: .i32, shape: [2, 2])],
            stages: [Stage(name: "out", indexVariables: ["i", "j"],
                           value: K.add(K.mul(K.div(a, b), .int(10, .i32)), .binary(.mod, a, b)))])
        #expect(try Interpreter.evaluate(kernel, inputs: ["A": [7, -7], "B": [2, -2]]) == [31, -41, -39, 29])
        // Division by zero is an evaluation error, not a trap.
        #expect(throws: HoneError.self) { try Interpreter.evaluate(kernel, inputs: ["A": [7, -7], "B": [0, 1]]) }
    }

    @Test func castsAndStorageRounding() throws {
        let f = TensorDecl(name: "F", role: .input, type: .f32, shape: [5])
        let n = TensorDecl(name: "N", role: .input, type: .i32, shape: [5])
        let inputs: [String: [Double]] = ["F": [1.75, -1.75, 2.5, -0.5, 0], "N": [3, -3, 0, 7, -8]]
        func run(_ type: ScalarType, _ value: Expr) throws -> [Double] {
            try Interpreter.evaluate(K.elementwise([f, n], out: type, count: 5, value: value), inputs: inputs)
        }
        // float → int truncates toward zero.
        #expect(try run(.i32, .cast(.i32, K.load("F", K.v("i")))) == [1, -1, 2, 0, 0])
        // int → float, then float arithmetic.
        #expect(try run(.f32, K.div(.cast(.f32, K.load("N", K.v("i"), type: .i32)), K.f32(2))) == [1.5, -1.5, 0, 3.5, -4])
        // bool is 0/1.
        #expect(try run(.i32, .cast(.i32, .cast(.bool, K.load("F", K.v("i"))))) == [1, 1, 1, 1, 0])
        #expect(try run(.i32, .cast(.i32, .binary(.lt, K.load("N", K.v("i"), type: .i32), .int(0, .i32)))) == [0, 1, 0, 0, 1])
        // Out-of-range float → int saturates; index → i32 wraps; storing into i32 wraps.
        #expect(try run(.i32, .cast(.i32, .float(1e10, .f64))) == Array(repeating: Double(Int32.max), count: 5))
        #expect(try run(.i32, .cast(.i32, K.c(1 << 31))) == Array(repeating: Double(Int32.min), count: 5))
        #expect(try run(.i32, K.add(K.c(1 << 32), K.c(5))) == Array(repeating: 5, count: 5))
        // Float values are computed in Double and rounded once, on store.
        #expect(try run(.f32, .float(0.1, .f64)) == Array(repeating: Double(Float(0.1)), count: 5))
        #expect(try run(.f64, .float(0.1, .f64)) == Array(repeating: 0.1, count: 5))
        // f32 inputs are held as Floats.
        #expect(try Interpreter.evaluate(K.elementwise([f], out: .f64, count: 5, value: K.load("F", K.v("i"))),
                                         inputs: ["F": [0.1, 0, 0, 0, 0]])[0] == Double(Float(0.1)))
    }

    @Test func mathFunctions() throws {
        let x = TensorDecl(name: "X", role: .input, type: .f64, shape: [1])
        let y = TensorDecl(name: "Y", role: .input, type: .f64, shape: [1])
        func call(_ fn: MathFunction, _ a: Double, _ b: Double = 0) throws -> Double {
            let args = fn.arity == 2 ? [K.load("X", K.c(0), type: .f64), K.load("Y", K.c(0), type: .f64)]
                                     : [K.load("X", K.c(0), type: .f64)]
            let kernel = K.elementwise([x, y], out: .f64, count: 1, value: .call(fn, args))
            return try Interpreter.evaluate(kernel, inputs: ["X": [a], "Y": [b]])[0]
        }
        #expect(try call(.exp, 0) == 1)
        #expect(try call(.log, 1) == 0)
        #expect(try call(.sqrt, 6.25) == 2.5)
        #expect(try call(.tanh, 0) == 0)
        #expect(try call(.abs, -3.5) == 3.5)
        #expect(try call(.floor, -1.5) == -2)
        #expect(try call(.ceil, -1.5) == -1)
        #expect(try call(.sin, 0) == 0)
        #expect(try call(.cos, 0) == 1)
        #expect(try call(.pow, 2, 10) == 1024)
        #expect(abs(try call(.exp, 1) - 2.718281828459045) < 1e-15)
        // Integer abs and float min/max.
        let n = TensorDecl(name: "N", role: .input, type: .i32, shape: [2])
        let absN = K.elementwise([n], out: .i32, count: 2, value: .call(.abs, [K.load("N", K.v("i"), type: .i32)]))
        #expect(try Interpreter.evaluate(absN, inputs: ["N": [-4, 5]]) == [4, 5])
    }

    @Test func softmaxRowsSumToOne() throws {
        let kernel = K.softmax(rows: 4, cols: 33)
        let out = try Interpreter.evaluate(kernel, inputs: makeInputs(for: kernel, seed: 7))
        for r in 0 ..< 4 {
            let row = out[r * 33 ..< (r + 1) * 33]
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            #expect(row.allSatisfy { $0 > 0 && $0 < 1 })
        }
    }

    @Test(arguments: [K.blur(h: 5, w: 7, relu: true), K.softmax(rows: 3, cols: 9), K.conv2d(channels: 2, filters: 3, size: 4)])
    func lazyElementsEqualFullEvaluation(kernel: Kernel) throws {
        let inputs = makeInputs(for: kernel, seed: 42)
        let full = try Interpreter(kernel: kernel, inputs: inputs).evaluateOutput()
        // Visit the elements in reverse, through both index forms, on a fresh interpreter.
        let lazy = try Interpreter(kernel: kernel, inputs: inputs)
        let shape = lazy.outputTensor.shape
        var values = [Double](repeating: .nan, count: full.count)
        for flat in stride(from: full.count - 1, through: 0, by: -1) {
            if flat % 2 == 0 {
                values[flat] = try lazy.value(atFlat: flat)
            } else {
                var index = [Int](repeating: 0, count: shape.count), rest = flat
                for d in stride(from: shape.count - 1, through: 0, by: -1) {
                    index[d] = rest % shape[d]
                    rest /= shape[d]
                }
                values[flat] = try lazy.value(at: index)
            }
        }
        #expect(values == full)
    }

    @Test func memoizationComputesEachProducerElementOnce() throws {
        let kernel = K.blur(h: 4, w: 4, relu: true)
        let interp = try Interpreter(kernel: kernel, inputs: makeInputs(for: kernel, seed: 1))
        _ = try interp.value(at: [0, 0])
        // out[0,0] needs by[0,0], which needs bx[0..2, 0].
        #expect(interp.computedElementCount(ofStage: "out") == 1)
        #expect(interp.computedElementCount(ofStage: "by") == 1)
        #expect(interp.computedElementCount(ofStage: "bx") == 3)
        _ = try interp.value(at: [0, 0])
        _ = try interp.value(at: [1, 0])  // shares bx[1..2, 0]; adds bx[3, 0]
        #expect(interp.computedElementCount(ofStage: "bx") == 4)
        #expect(interp.computedElementCount(ofStage: "out") == 2)
        _ = try interp.evaluateOutput()
        #expect(interp.computedElementCount(ofStage: "bx") == 6 * 4)
        #expect(interp.computedElementCount(ofStage: "by") == 16)
        #expect(interp.computedElementCount(ofStage: "out") == 16)

        let softmax = try Interpreter(kernel: K.softmax(rows: 3, cols: 5), inputs: makeInputs(for: K.softmax(rows: 3, cols: 5), seed: 1))
        _ = try softmax.value(at: [1, 2])
        _ = try softmax.value(at: [1, 4])
        #expect(softmax.computedElementCount(ofStage: "mx") == 1)
        #expect(softmax.computedElementCount(ofStage: "e") == 5)
        #expect(softmax.computedElementCount(ofStage: "s") == 1)
        // Points: mx 5 + e 5 + s 5 + out 2.
        #expect(softmax.evaluatedPointCount == 17)
    }

    @Test func i32Pipeline() throws {
        // hist-like: s[i] = sum(k) A[i, k] * A[i, k]; out[i] = s[i] / 3 - 1 (floor)
        let kernel = Kernel(
            name: "ints",
            tensors: [TensorDecl(name: "A", role: .input, type: .i32, shape: [2, 3]),
                      TensorDecl(name: "s", role: .intermediate, type: .i32, shape: [2]),
                      TensorDecl(name: "out", role: .output, type: .i32, shape: [2])],
            stages: [
                Stage(name: "s", indexVariables: ["i"],
                      reduction: Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: 3)]),
                      value: K.mul(K.load("A", K.v("i"), K.v("k"), type: .i32), K.load("A", K.v("i"), K.v("k"), type: .i32))),
                Stage(name: "out", indexVariables: ["i"],
                      value: K.sub(K.div(.unary(.neg, K.load("s", K.v("i"), type: .i32)), .int(3, .i32)), .int(1, .i32))),
            ])
        // s = [1 + 4 + 9, 16 + 0 + 64] = [14, 80]; -14 / 3 = -5, -80 / 3 = -27
        #expect(try Interpreter.evaluate(kernel, inputs: ["A": [1, -2, 3, 4, 0, -8]]) == [-6, -28])
    }

    @Test func badInputsThrow() throws {
        let kernel = K.gemm(m: 2, n: 2, k: 3)
        let a = [Double](repeating: 1, count: 6)
        #expect(throws: HoneError.self) { try Interpreter(kernel: kernel, inputs: ["A": a]) }              // B missing
        #expect(throws: HoneError.self) { try Interpreter(kernel: kernel, inputs: ["A": a, "B": [1]]) }   // wrong size
        #expect(throws: HoneError.self) { try Interpreter(kernel: kernel, inputs: ["A": a, "B": a, "Z": a]) }  // unknown
        let ints = K.gemm(m: 2, n: 2, k: 3, type: .i32)
        #expect(throws: HoneError.self) { try Interpreter(kernel: ints, inputs: ["A": a, "B": [1, 2, 3, 4, 5, 0.5]]) }
        #expect(throws: Never.self) { try Interpreter(kernel: ints, inputs: ["A": a, "B": a]) }
        let interp = try Interpreter(kernel: kernel, inputs: ["A": a, "B": a])
        #expect(throws: HoneError.self) { try interp.value(at: [2, 0]) }
        #expect(throws: HoneError.self) { try interp.value(atFlat: 4) }
        #expect(throws: HoneError.self) { try interp.evaluate(stage: "nope") }
    }

    @Test func badKernelsThrow() throws {
        let a = TensorDecl(name: "A", role: .input, type: .f32, shape: [3])
        let inputs: [String: [Double]] = ["A": [1, 2, 3]]
        // Unknown tensor, unknown variable, wrong rank.
        for value in [K.load("Q", K.v("i")), K.load("A", K.v("j")), K.load("A", K.v("i"), K.v("i"))] {
            #expect(throws: HoneError.self) { try Interpreter(kernel: K.elementwise([a], out: .f32, count: 3, value: value), inputs: inputs) }
        }
        // A stage that reads a later stage.
        let backwards = Kernel(
            name: "backwards",
            tensors: [a, TensorDecl(name: "T", role: .intermediate, type: .f32, shape: [3]),
                      TensorDecl(name: "out", role: .output, type: .f32, shape: [3])],
            stages: [Stage(name: "out", indexVariables: ["i"], value: K.load("T", K.v("i"))),
                     Stage(name: "T", indexVariables: ["i"], value: K.load("A", K.v("i")))])
        #expect(throws: HoneError.self) { try Interpreter(kernel: backwards, inputs: inputs) }
        // An out-of-bounds load is reported when evaluated, and stays reported.
        let oob = try Interpreter(kernel: K.elementwise([a], out: .f32, count: 3, value: K.load("A", K.add(K.v("i"), K.c(1)))),
                                  inputs: inputs)
        #expect(try oob.value(atFlat: 1) == 3)
        #expect(throws: HoneError.self) { try oob.value(atFlat: 2) }
        #expect(throws: HoneError.self) { try oob.value(atFlat: 0) }
        #expect(throws: HoneError.self) { try oob.evaluateOutput() }
    }

    @Test func parametersCanAppearAsVariables() throws {
        let kernel = Kernel(
            name: "param", parameters: [Parameter(name: "N", value: 3)],
            tensors: [TensorDecl(name: "out", role: .output, type: .i32, shape: [3])],
            stages: [Stage(name: "out", indexVariables: ["i"], value: K.sub(.variable("N", .index), K.v("i")))])
        #expect(try Interpreter.evaluate(kernel, inputs: [:]) == [3, 2, 1])
    }
}
