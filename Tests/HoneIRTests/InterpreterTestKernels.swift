import HoneIR

/// Kernels built in code for the interpreter, verification and cost tests
/// (independent of the parser). Namespaced so helpers cannot collide with other
/// test files of the target.
enum InterpTestKernels {
    static func v(_ name: String) -> Expr { .indexVar(name) }
    static func c(_ value: Int) -> Expr { .index(value) }
    static func f32(_ value: Double) -> Expr { .float(value, .f32) }
    static func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
    static func sub(_ a: Expr, _ b: Expr) -> Expr { .binary(.sub, a, b) }
    static func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }
    static func div(_ a: Expr, _ b: Expr) -> Expr { .binary(.div, a, b) }
    static func load(_ tensor: String, _ indices: Expr..., type: ScalarType = .f32) -> Expr {
        .load(tensor, indices, type)
    }

    /// C[M, N] = sum(k < K) A[M, K] * B[K, N].
    static func gemm(m: Int, n: Int, k: Int, type: ScalarType = .f32) -> Kernel {
        Kernel(
            name: "gemm",
            parameters: [Parameter(name: "M", value: m), Parameter(name: "N", value: n), Parameter(name: "K", value: k)],
            tensors: [
                TensorDecl(name: "A", role: .input, type: type, shape: [m, k]),
                TensorDecl(name: "B", role: .input, type: type, shape: [k, n]),
                TensorDecl(name: "C", role: .output, type: type, shape: [m, n]),
            ],
            stages: [
                Stage(name: "C", indexVariables: ["i", "j"],
                      reduction: Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: k)]),
                      value: mul(load("A", v("i"), v("k"), type: type), load("B", v("k"), v("j"), type: type))),
            ])
    }

    /// A separable 3x3 box blur: bx averages along rows, by along columns.
    /// Input A[h + 2, w + 2], output by[h, w]; with `relu` a third stage
    /// out = max(by, 0) * 2 follows.
    static func blur(h: Int, w: Int, relu: Bool = false) -> Kernel {
        let third = f32(1.0 / 3.0)
        var tensors = [
            TensorDecl(name: "A", role: .input, type: .f32, shape: [h + 2, w + 2]),
            TensorDecl(name: "bx", role: .intermediate, type: .f32, shape: [h + 2, w]),
            TensorDecl(name: "by", role: relu ? .intermediate : .output, type: .f32, shape: [h, w]),
        ]
        var stages = [
            Stage(name: "bx", indexVariables: ["y", "x"],
                  value: mul(add(add(load("A", v("y"), v("x")), load("A", v("y"), add(v("x"), c(1)))),
                                 load("A", v("y"), add(v("x"), c(2)))), third)),
            Stage(name: "by", indexVariables: ["y", "x"],
                  value: mul(add(add(load("bx", v("y"), v("x")), load("bx", add(v("y"), c(1)), v("x"))),
                                 load("bx", add(v("y"), c(2)), v("x"))), third)),
        ]
        if relu {
            tensors.append(TensorDecl(name: "out", role: .output, type: .f32, shape: [h, w]))
            stages.append(Stage(name: "out", indexVariables: ["y", "x"],
                                value: mul(.binary(.max, load("by", v("y"), v("x")), f32(0)), f32(2))))
        }
        return Kernel(name: "blur", tensors: tensors, stages: stages)
    }

    /// Row softmax: mx = max over the row, e = exp(X - mx), s = sum of e,
    /// out = e / s.
    static func softmax(rows: Int, cols: Int) -> Kernel {
        Kernel(
            name: "softmax",
            tensors: [
                TensorDecl(name: "X", role: .input, type: .f32, shape: [rows, cols]),
                TensorDecl(name: "mx", role: .intermediate, type: .f32, shape: [rows]),
                TensorDecl(name: "e", role: .intermediate, type: .f32, shape: [rows, cols]),
                TensorDecl(name: "s", role: .intermediate, type: .f32, shape: [rows]),
                TensorDecl(name: "out", role: .output, type: .f32, shape: [rows, cols]),
            ],
            stages: [
                Stage(name: "mx", indexVariables: ["i"],
                      reduction: Reduction(op: .max, axes: [ReductionAxis(name: "k", extent: cols)]),
                      value: load("X", v("i"), v("k"))),
                Stage(name: "e", indexVariables: ["i", "j"],
                      value: .call(.exp, [sub(load("X", v("i"), v("j")), load("mx", v("i")))])),
                Stage(name: "s", indexVariables: ["i"],
                      reduction: Reduction(op: .sum, axes: [ReductionAxis(name: "k", extent: cols)]),
                      value: load("e", v("i"), v("k"))),
                Stage(name: "out", indexVariables: ["i", "j"],
                      value: div(load("e", v("i"), v("j")), load("s", v("i")))),
            ])
    }

    /// conv2d, NCHW without batch, with a zero-padding stage:
    /// pad[c, y, x] = select(in bounds, I[c, y-1, x-1] (clamped), 0);
    /// out[f, y, x] = sum(c, r, s) pad[c, y + r, x + s] * W[f, c, r, s].
    static func conv2d(channels: Int, filters: Int, size: Int) -> Kernel {
        let n = size
        func clamp(_ e: Expr) -> Expr { .binary(.max, .binary(.min, e, c(n - 1)), c(0)) }
        func inside(_ e: Expr) -> Expr { .binary(.and, .binary(.ge, e, c(0)), .binary(.lt, e, c(n))) }
        let yy = sub(v("y"), c(1)), xx = sub(v("x"), c(1))
        return Kernel(
            name: "conv2d",
            tensors: [
                TensorDecl(name: "I", role: .input, type: .f32, shape: [channels, n, n]),
                TensorDecl(name: "W", role: .input, type: .f32, shape: [filters, channels, 3, 3]),
                TensorDecl(name: "pad", role: .intermediate, type: .f32, shape: [channels, n + 2, n + 2]),
                TensorDecl(name: "out", role: .output, type: .f32, shape: [filters, n, n]),
            ],
            stages: [
                Stage(name: "pad", indexVariables: ["c", "y", "x"],
                      value: .select(.binary(.and, inside(yy), inside(xx)),
                                     load("I", v("c"), clamp(yy), clamp(xx)), f32(0))),
                Stage(name: "out", indexVariables: ["f", "y", "x"],
                      reduction: Reduction(op: .sum, axes: [
                          ReductionAxis(name: "c", extent: channels),
                          ReductionAxis(name: "r", extent: 3),
                          ReductionAxis(name: "s", extent: 3),
                      ]),
                      value: mul(load("pad", v("c"), add(v("y"), v("r")), add(v("x"), v("s"))),
                                 load("W", v("f"), v("c"), v("r"), v("s")))),
            ])
    }

    /// A one-stage kernel `out[i] = value` over inputs `inputs`.
    static func elementwise(_ inputs: [TensorDecl], out type: ScalarType, count: Int, value: Expr) -> Kernel {
        Kernel(name: "ew",
               tensors: inputs + [TensorDecl(name: "out", role: .output, type: type, shape: [count])],
               stages: [Stage(name: "out", indexVariables: ["i"], value: value)])
    }

    /// Nodes in an expression (for throughput figures).
    static func nodeCount(_ e: Expr) -> Int {
        switch e {
        case .int, .float, .variable: 1
        case .load(_, let idx, _): 1 + idx.reduce(0) { $0 + nodeCount($1) }
        case .unary(_, let a), .cast(_, let a): 1 + nodeCount(a)
        case .binary(_, let a, let b): 1 + nodeCount(a) + nodeCount(b)
        case .call(_, let args): 1 + args.reduce(0) { $0 + nodeCount($1) }
        case .select(let c, let a, let b): 1 + nodeCount(c) + nodeCount(a) + nodeCount(b)
        }
    }
}
