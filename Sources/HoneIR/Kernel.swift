/// A kernel with every parameter bound: concrete shapes, checked stages in
/// dependency order. This is what the interpreter evaluates and what
/// lowering turns into a loop nest.
///
/// Produced by `elaborate(_:overrides:)` from a parsed `KernelSyntax`, or built
/// in code (then call `validate()`).
public struct Kernel: Hashable, Sendable {
    public var name: String
    /// Parameter values after `--set` overrides, in declaration order.
    public var parameters: [Parameter]
    /// Every tensor: inputs, intermediate stages and the output.
    public var tensors: [TensorDecl]
    /// The stages in an order where each stage follows the stages it reads.
    /// The last stage defines the output.
    public var stages: [Stage]
    /// The comment that opens the kernel file, if any (what it computes).
    public var summary: String

    public init(name: String, parameters: [Parameter] = [], tensors: [TensorDecl], stages: [Stage], summary: String = "") {
        self.name = name
        self.parameters = parameters
        self.tensors = tensors
        self.stages = stages
        self.summary = summary
    }

    public var inputs: [TensorDecl] { tensors.filter { $0.role == .input } }
    public var output: TensorDecl { tensors.first { $0.role == .output }! }

    public func tensor(named name: String) -> TensorDecl? { tensors.first { $0.name == name } }
    public func stage(named name: String) -> Stage? { stages.first { $0.name == name } }
    /// The stages whose values read `tensor`, in stage order.
    public func readers(of tensor: String) -> [Stage] { stages.filter { tensorsRead(by: $0.value).contains(tensor) } }
    /// Every tensor's readers (stage names, in stage order), in one walk of the stages.
    public var readersByTensor: [String: [String]] {
        var readers: [String: [String]] = [:]
        for stage in stages {
            for tensor in tensorsRead(by: stage.value) { readers[tensor, default: []].append(stage.name) }
        }
        return readers
    }

    /// The kernel's buffer arguments in calling order: inputs, then the output.
    public var arguments: [TensorDecl] { inputs + [output] }
}

public struct Parameter: Hashable, Sendable, Codable {
    public var name: String
    public var value: Int
    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}

public struct TensorDecl: Hashable, Sendable {
    public enum Role: String, Hashable, Sendable, Codable { case input, intermediate, output }
    public var name: String
    public var role: Role
    public var type: ScalarType
    /// Extents, outermost first; empty for a scalar. Storage is row-major.
    public var shape: [Int]

    public init(name: String, role: Role, type: ScalarType, shape: [Int]) {
        self.name = name
        self.role = role
        self.type = type
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * type.byteSize }
}

/// One definition `T[i, j, ...] = value` or `T[i, j] = sum(k < K) value`.
public struct Stage: Hashable, Sendable {
    /// The tensor this stage defines.
    public var name: String
    /// One pure index variable per dimension of the tensor (type `.index`).
    public var indexVariables: [String]
    /// Present when the stage reduces: the value is combined over the axes.
    public var reduction: Reduction?
    /// The value at one point (of the index and reduction variables).
    public var value: Expr

    public init(name: String, indexVariables: [String], reduction: Reduction? = nil, value: Expr) {
        self.name = name
        self.indexVariables = indexVariables
        self.reduction = reduction
        self.value = value
    }
}

public struct Reduction: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable, Codable, CaseIterable {
        case sum, max, min
    }
    public var op: Operator
    /// Reduction axes, outermost first; each runs over `0 ..< extent`.
    public var axes: [ReductionAxis]

    public init(op: Operator, axes: [ReductionAxis]) {
        self.op = op
        self.axes = axes
    }
}

public struct ReductionAxis: Hashable, Sendable {
    public var name: String
    public var extent: Int
    public init(name: String, extent: Int) {
        self.name = name
        self.extent = extent
    }
}
