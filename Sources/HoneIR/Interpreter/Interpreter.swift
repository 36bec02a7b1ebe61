/// The reference interpreter: computes a kernel straight from its stage
/// definitions. It is the oracle every schedule, lowering and generated code is
/// verified against, so it favors plain semantics over speed — but it is fast
/// enough to check large kernels on a sample of output elements.
///
/// ## Semantics
/// Those of `Expr` (see Expr.swift), evaluated as follows:
/// - **Precision.** Float values are computed in Double, whatever their type;
///   integer values (bool, i32, index) in exact 64-bit arithmetic (wrapping on
///   overflow). The oracle is thus at least as precise as the code it checks.
/// - **Storage.** A value stored into a tensor takes the tensor's storage
///   precision: f32 rounds to the nearest Float, i32 wraps to 32 bits (a float
///   truncates toward zero, saturating), bool is 0 or 1. Inputs are rounded
///   the same way when the interpreter is created, so every stage reads
///   exactly what a compiled kernel would read. Float constants and casts to
///   f32 round to Float too; f32 arithmetic in between does not.
/// - **Reductions** start at 0 (sum), -inf (max) or +inf (min) — for integer
///   stages the type's minimum or maximum — and visit the axes in order, the
///   first outermost. The accumulator is Double (float stages) or Int64
///   (integer stages; a float value is truncated per point first); the result
///   is rounded once, when stored.
/// - **Integer `/` and `%`** are floor division and modulo. Float `%` is a floor
///   modulo too (the result has the divisor's sign).
/// - **`min`/`max` on floats** propagate NaN.
/// - **`select`** evaluates only the branch it yields (equivalent to eager
///   evaluation, since evaluation has no effects, and robust to a branch that
///   is only in bounds under its condition).
/// - **Casts**: float → integer truncates toward zero, saturating at the
///   target type's bounds, NaN → 0; integer → i32 wraps; anything → bool is
///   `!= 0`; integer → f32 rounds to Float.
/// - **Math** uses the C library in Double (`exp`, `log`, `sqrt`, `tanh`,
///   `sin`, `cos`, `pow`); `floor`, `ceil`, `abs` are exact.
///
/// ## Evaluation
/// Each stage's value is compiled once into closures over a slot frame
/// (variables are resolved to slots up front). Stages are evaluated lazily and
/// memoized element by element: asking for one output element computes only
/// the producer elements it reads, each at most once, so a sample of a large
/// kernel's output costs time in proportion to the sample.
/// `evaluateOutput()` computes every output element the same way.
///
/// Errors in the kernel definition (unknown names, wrong ranks, a stage that
/// reads a later stage) and in the inputs (a missing or unknown input, a wrong
/// element count, a non-integer value for an integer tensor) throw a
/// `HoneError` from `init`. Errors found while evaluating — an out-of-bounds
/// load, an integer division by zero — throw from the evaluating method, and
/// every later call reports the same error.
///
/// Not thread-safe: use one interpreter per thread.
public final class Interpreter {
    public let kernel: Kernel
    private var stages: [String: InterpStage] = [:]
    private var stageOrder: [InterpStage] = []
    /// Owns the input storage the compiled loads point into.
    private var inputData: [InterpInput] = []
    private let output: InterpStage
    private let errors = InterpErrorState()

    /// Prepares `kernel` for evaluation on `inputs`: one row-major array per
    /// input tensor, keyed by the tensor's name.
    public init(kernel: Kernel, inputs: [String: [Double]]) throws {
        self.kernel = kernel

        var declarations: [String: TensorDecl] = [:]
        for t in kernel.tensors {
            guard declarations.updateValue(t, forKey: t.name) == nil else {
                throw HoneError("kernel \(kernel.name): tensor '\(t.name)' is declared twice")
            }
            guard t.shape.allSatisfy({ $0 > 0 }) else {
                throw HoneError("kernel \(kernel.name): tensor '\(t.name)' has shape \(t.shape); extents must be positive")
            }
        }
        let outputs = kernel.tensors.filter { $0.role == .output }
        guard outputs.count == 1 else {
            throw HoneError("kernel \(kernel.name): expected exactly one output tensor, found \(outputs.count)")
        }
        guard let last = kernel.stages.last, last.name == outputs[0].name else {
            throw HoneError("kernel \(kernel.name): the last stage must define the output '\(outputs[0].name)'")
        }

        var sources: [String: InterpSource] = [:]
        for decl in kernel.inputs {
            let input = try Interpreter.makeInput(decl, inputs[decl.name], kernel: kernel.name)
            inputData.append(input)
            sources[decl.name] = .input(input)
        }
        for name in inputs.keys.sorted() where sources[name] == nil {
            throw HoneError("kernel \(kernel.name) has no input named '\(name)' (inputs: \(kernel.inputs.map(\.name).joined(separator: ", ")))")
        }

        var parameters: [String: Int] = [:]
        for p in kernel.parameters { parameters[p.name] = p.value }

        for stage in kernel.stages {
            guard let decl = declarations[stage.name] else {
                throw HoneError("stage \(stage.name): no tensor of that name is declared")
            }
            guard decl.role != .input else {
                throw HoneError("stage \(stage.name): '\(stage.name)' is an input and cannot be defined by a stage")
            }
            guard sources[stage.name] == nil else {
                throw HoneError("stage \(stage.name): '\(stage.name)' is defined by more than one stage")
            }
            guard stage.indexVariables.count == decl.shape.count else {
                throw HoneError("stage \(stage.name): \(stage.indexVariables.count) index variables for a tensor of rank \(decl.shape.count)")
            }
            let runtime = InterpStage(decl: decl, stage: stage)
            var slots: [String: Int] = [:]
            let names = stage.indexVariables + (stage.reduction?.axes.map(\.name) ?? [])
            for (slot, name) in names.enumerated() {
                guard slots.updateValue(slot, forKey: name) == nil else {
                    throw HoneError("stage \(stage.name): variable '\(name)' is bound twice")
                }
            }
            if let reduction = stage.reduction {
                guard !reduction.axes.isEmpty else {
                    throw HoneError("stage \(stage.name): a reduction needs at least one axis")
                }
                for axis in reduction.axes where axis.extent < 0 {
                    throw HoneError("stage \(stage.name): reduction axis '\(axis.name)' has negative extent \(axis.extent)")
                }
            }
            let compiler = InterpStageCompiler(
                stageName: stage.name, slots: slots, frame: runtime.frame, sources: sources,
                allTensors: declarations, parameters: parameters, errors: errors)
            runtime.body = decl.type.isFloat
                ? .float(try compiler.compileFloat(stage.value, as: .f64))
                : .int(try compiler.compileInt(stage.value, as: decl.type))
            sources[stage.name] = .stage(runtime)
            stages[stage.name] = runtime
            stageOrder.append(runtime)
        }
        output = stages[outputs[0].name]!
    }

    /// Computes the whole output and interprets `kernel` on `inputs` in one call.
    public static func evaluate(_ kernel: Kernel, inputs: [String: [Double]]) throws -> [Double] {
        try Interpreter(kernel: kernel, inputs: inputs).evaluateOutput()
    }

    // MARK: Output

    /// The output tensor's declaration.
    public var outputTensor: TensorDecl { output.decl }

    /// Every output element, row-major, in the output's storage precision.
    public func evaluateOutput() throws -> [Double] {
        try evaluateAll(output)
    }

    /// The output element at a multi-dimensional index.
    public func value(at index: [Int]) throws -> Double {
        try value(of: output, at: index)
    }

    /// The output element at a row-major flat index.
    public func value(atFlat flat: Int) throws -> Double {
        try value(of: output, atFlat: flat)
    }

    // MARK: Any stage

    /// Every element of the tensor a stage defines.
    public func evaluate(stage name: String) throws -> [Double] {
        try evaluateAll(try runtime(of: name))
    }

    /// One element of the tensor a stage defines.
    public func value(ofStage name: String, atFlat flat: Int) throws -> Double {
        try value(of: try runtime(of: name), atFlat: flat)
    }

    /// How many elements of a stage have been computed so far. Each element is
    /// computed at most once (memoized), so after sampling output elements this
    /// is the number of producer elements the sample actually needed.
    public func computedElementCount(ofStage name: String) -> Int {
        stages[name]?.evaluations ?? 0
    }

    /// How many times a stage's value expression has been evaluated so far,
    /// over all stages (elements × reduction points). With the number of nodes
    /// in each expression this gives the interpreter's throughput.
    public var evaluatedPointCount: Int {
        stageOrder.reduce(0) { $0 + $1.points }
    }

    // MARK: Internals

    private func runtime(of name: String) throws -> InterpStage {
        guard let s = stages[name] else {
            throw HoneError("kernel \(kernel.name) has no stage named '\(name)'")
        }
        return s
    }

    private func checkErrors() throws {
        if let message = errors.message { throw HoneError(message) }
    }

    private func evaluateAll(_ stage: InterpStage) throws -> [Double] {
        try checkErrors()
        for flat in 0 ..< stage.count {
            stage.ensure(flat)
            if errors.message != nil { break }
        }
        try checkErrors()
        return Array(UnsafeBufferPointer(start: stage.storage, count: stage.count))
    }

    private func value(of stage: InterpStage, atFlat flat: Int) throws -> Double {
        try checkErrors()
        guard flat >= 0 && flat < stage.count else {
            throw HoneError("flat index \(flat) is out of bounds of \(stage.decl.name) (\(stage.count) elements)")
        }
        stage.ensure(flat)
        try checkErrors()
        return stage.storage[flat]
    }

    private func value(of stage: InterpStage, at index: [Int]) throws -> Double {
        let shape = stage.decl.shape
        guard index.count == shape.count, zip(index, shape).allSatisfy({ $0 >= 0 && $0 < $1 }) else {
            throw HoneError("index \(index) is out of bounds of \(stage.decl.name) with shape \(shape)")
        }
        let flat = zip(index, stage.strides).reduce(0) { $0 + $1.0 * $1.1 }
        return try value(of: stage, atFlat: flat)
    }

    private static func makeInput(_ decl: TensorDecl, _ values: [Double]?, kernel: String) throws -> InterpInput {
        guard let values else {
            throw HoneError("kernel \(kernel): missing input '\(decl.name)'")
        }
        guard values.count == decl.elementCount else {
            throw HoneError("kernel \(kernel): input '\(decl.name)' has \(values.count) elements; its shape \(decl.shape) needs \(decl.elementCount)")
        }
        if !decl.type.isFloat {
            let (lo, hi): (Double, Double) = switch decl.type {
            case .i32: (Double(Int32.min), Double(Int32.max))
            case .bool: (0, 1)
            default: (-9.007199254740992e15, 9.007199254740992e15)
            }
            if let bad = values.firstIndex(where: { !($0 >= lo && $0 <= hi) || $0.rounded(.towardZero) != $0 }) {
                throw HoneError("kernel \(kernel): input '\(decl.name)' element \(bad) is \(values[bad]), not a \(decl.type.rawValue) value")
            }
        }
        return InterpInput(decl: decl, values: values)
    }
}
