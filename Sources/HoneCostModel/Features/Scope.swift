import HoneIR

// What the first pass knows at its current point: the loops around it, the
// names it can use and the buffers they can name. Lookups scan short arrays
// from the innermost entry outwards: cheaper than hashing names, and
// shadowing comes for free.

/// A loop around the current point.
struct EnclosingLoop {
    /// Its iterations; an extent that is not a constant counts as its largest value.
    var extent: Double
    /// Whether `extent` is a constant (a loop LLVM may unroll fully).
    var hasConstantExtent: Bool
    var kind: LoopKind
    /// Loops are numbered in program order (`FeatureExtractor.nestLoops`).
    var id: Int32
    var start: LoopStart
    /// Trip product of this loop and the loops around it.
    var trip: Double
}

/// Where a loop variable starts: its iteration count `t` is added to it.
enum LoopStart {
    case constant(Double)
    /// The index form of a non-constant `min`, on the form stack while the loop runs.
    case form(Int)
}

/// A name in scope: a loop variable or a `let`.
struct ScopeEntry {
    enum Binding {
        /// The variable of `loops[level]`.
        case loop(level: Int)
        /// A `let` bound to an index: its form, on the form stack while the `let` is in scope.
        case letForm(Int)
    }

    var name: String
    var binding: Binding
}

/// A buffer a statement can name: an argument of the nest, or an
/// allocation met on the way (inactive once its `allocate` ends).
struct BufferInScope {
    var name: String
    var elementBytes: Double
    var rank: Int
    /// Where its dimensions start in `FeatureExtractor.dimensions`.
    var firstDimension: Int
    var memory: BufferMemory
    var isActive: Bool
    /// How often it is allocated: the trip product at its `allocate` (1 for an argument).
    var allocationTrip: Double
    /// Loops around its `allocate` (0 for an argument).
    var allocationDepth: Int
    var elements: Double
}

/// Where a buffer lives, in the order of the `store_mem` one-hot columns.
enum BufferMemory: Int {
    case argument, heap, stack, register

    init(_ kind: MemoryKind) {
        switch kind {
        case .heap: self = .heap
        case .stack: self = .stack
        case .register: self = .register
        }
    }
}

/// One dimension of a buffer's shape.
struct BufferDimension {
    var extent: Double
    /// Elements from one index to the next along this dimension (row-major).
    var stride: Double
}

extension FeatureExtractor {
    mutating func addBuffer(_ buffer: Buffer, memory: BufferMemory, allocationTrip: Double) {
        let first = dimensions.count
        var elements = 1.0
        for extent in buffer.shape {
            dimensions.append(BufferDimension(extent: Double(extent), stride: 1))
            elements *= Double(extent)
        }
        var stride = 1.0
        for d in buffer.shape.indices.reversed() {
            dimensions[first + d].stride = stride
            stride *= Double(buffer.shape[d])
        }
        buffers.append(BufferInScope(name: buffer.name, elementBytes: Double(buffer.type.byteSize),
                                     rank: buffer.shape.count, firstDimension: first, memory: memory, isActive: true,
                                     allocationTrip: allocationTrip, allocationDepth: depth, elements: elements))
    }

    /// The binding of the innermost name `name` in scope, if any.
    func resolve(_ name: String) -> ScopeEntry.Binding? {
        var i = scope.count - 1
        while i >= 0 {
            if scope[i].name == name { return scope[i].binding }
            i -= 1
        }
        return nil
    }

    /// The buffer in scope named `name`, or -1.
    func findBuffer(_ name: String) -> Int {
        var i = buffers.count - 1
        while i >= 0 {
            if buffers[i].isActive && buffers[i].name == name { return i }
            i -= 1
        }
        return -1
    }
}
