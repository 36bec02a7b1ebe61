// The parsed form of a kernel file: what was written, with locations, before
// any name is resolved or any type checked. `parseKernel` produces it;
// `elaborate` turns it into a `Kernel`.

/// A kernel file as written.
public struct KernelSyntax: Hashable, Sendable {
    /// The file name used in locations.
    public var file: String
    /// The comment lines that open the file (without `#`).
    public var summary: String
    public var name: String
    /// Where the kernel's name is written.
    public var location: SourceLocation
    /// `param` declarations in order, with their defaults.
    public var parameters: [ParameterSyntax]
    /// `input`, `stage` and `output` declarations in order.
    public var tensors: [TensorSyntax]
    /// `T[i, j] = …` definitions in order.
    public var definitions: [DefinitionSyntax]

    public init(file: String, summary: String, name: String, location: SourceLocation,
                parameters: [ParameterSyntax], tensors: [TensorSyntax], definitions: [DefinitionSyntax]) {
        self.file = file
        self.summary = summary
        self.name = name
        self.location = location
        self.parameters = parameters
        self.tensors = tensors
        self.definitions = definitions
    }
}

/// `param M = 1024`.
public struct ParameterSyntax: Hashable, Sendable {
    public var name: String
    public var defaultValue: Int
    public var location: SourceLocation

    public init(name: String, defaultValue: Int, location: SourceLocation) {
        self.name = name
        self.defaultValue = defaultValue
        self.location = location
    }
}

/// `input A: f32[M, K]`, `stage padded: f32[H + 2]`, `output C: f32[]`.
public struct TensorSyntax: Hashable, Sendable {
    public var name: String
    public var role: TensorDecl.Role
    public var type: ScalarType
    /// One integer expression over parameters per dimension.
    public var shape: [ExprSyntax]
    /// Where the tensor's name is written.
    public var location: SourceLocation

    public init(name: String, role: TensorDecl.Role, type: ScalarType, shape: [ExprSyntax], location: SourceLocation) {
        self.name = name
        self.role = role
        self.type = type
        self.shape = shape
        self.location = location
    }
}

/// A name and where it is written.
public struct NameSyntax: Hashable, Sendable {
    public var name: String
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

/// `C[i, j] = value`.
public struct DefinitionSyntax: Hashable, Sendable {
    public var name: String
    /// Where the defined tensor's name is written.
    public var location: SourceLocation
    /// The index variables of the left side, one per dimension.
    public var indices: [NameSyntax]
    public var value: ExprSyntax

    public init(name: String, location: SourceLocation, indices: [NameSyntax], value: ExprSyntax) {
        self.name = name
        self.location = location
        self.indices = indices
        self.value = value
    }
}

/// `k < K` in a reduction's header.
public struct ReductionAxisSyntax: Hashable, Sendable {
    public var name: String
    public var location: SourceLocation
    public var extent: ExprSyntax

    public init(name: String, location: SourceLocation, extent: ExprSyntax) {
        self.name = name
        self.location = location
        self.extent = extent
    }
}

/// An expression as written.
public struct ExprSyntax: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case integer(Int64)
        case float(Double)
        /// A parameter, an index or reduction variable, or a scalar tensor.
        case name(String)
        /// `T[e, …]` (`T[]` for a scalar tensor).
        case load(String, [ExprSyntax])
        /// `f(e, …)`: math functions, `min`, `max`, `select`, casts.
        case call(String, [ExprSyntax])
        case unary(UnaryOp, ExprSyntax)
        /// `a op b`; the location is the operator's.
        case binary(BinaryOp, ExprSyntax, ExprSyntax, operatorAt: SourceLocation)
        /// `base ^ exponent`.
        case power(ExprSyntax, ExprSyntax, operatorAt: SourceLocation)
        /// `sum(k < K) body`, `max(r < 3, s < 3) body`, `min(…) body`.
        case reduction(Reduction.Operator, [ReductionAxisSyntax], ExprSyntax)
    }

    public var kind: Kind
    /// Where the expression starts.
    public var location: SourceLocation
    /// The depth of the tree (1 for a leaf); the parser bounds it so that
    /// the recursive passes over expressions cannot exhaust the stack.
    let height: Int

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
        self.height = 1 + kind.children.reduce(0) { max($0, $1.height) }
    }
}

extension ExprSyntax.Kind {
    /// The direct subexpressions.
    var children: [ExprSyntax] {
        switch self {
        case .integer, .float, .name: []
        case .load(_, let args), .call(_, let args): args
        case .unary(_, let a): [a]
        case .binary(_, let a, let b, _), .power(let a, let b, _): [a, b]
        case .reduction(_, let axes, let body): axes.map(\.extent) + [body]
        }
    }
}
