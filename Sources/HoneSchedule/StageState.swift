import HoneIR

/// One loop of a stage's current nest.
public struct LoopIterator: Hashable, Sendable {
    public var name: String
    public var extent: Int
    public var isReduction: Bool
    public var kind: LoopKind

    public init(name: String, extent: Int, isReduction: Bool, kind: LoopKind = .serial) {
        self.name = name
        self.extent = extent
        self.isReduction = isReduction
        self.kind = kind
    }
}

/// Where a stage's values are computed.
public enum ComputeLocation: Hashable, Sendable {
    /// In full, before the stages that read it.
    case root
    /// Inside `loop` of `consumer`, one region per iteration.
    case at(consumer: String, loop: String)
}

/// A change to a stage's loops, recorded so the loops can be rebuilt for any
/// extents: a stage computed at a consumer's loop iterates over a region
/// smaller than its tensor, with the same splits.
public enum LoopTransform: Hashable, Sendable {
    case split(String, [Int])
    case fuse([String])
    case reorder([String])
    case annotate(String, LoopKind)
}

/// A stage's loops for given extents: the loops in order, how every retired
/// loop name is computed from them (`i = i.0 * 8 + i.1`; `i.0 = f / 4`), and
/// the conditions a point must meet to be computed (`i < 1000` after a split
/// that does not divide 1000).
public struct LoopLayout: Hashable, Sendable {
    public var loops: [LoopIterator]
    public var derivations: [String: Expr]
    public var guards: [Expr]

    public func loop(named name: String) -> LoopIterator? { loops.first { $0.name == name } }
    public func position(of name: String) -> Int? { loops.firstIndex { $0.name == name } }

    /// `name` (an index variable, reduction axis or retired loop) in terms of the current loops.
    public func expression(for name: String) -> Expr {
        guard let derived = derivations[name] else { return .indexVar(name) }
        return substitute(derived) { derivations[$0] != nil ? expression(for: $0) : nil }
    }

    /// The guards in terms of the current loops.
    public func currentGuards() -> [Expr] {
        guards.map { substitute($0) { derivations[$0] != nil ? expression(for: $0) : nil } }
    }

    /// Applies one transform (already validated).
    mutating func apply(_ transform: LoopTransform) {
        switch transform {
        case .split(let name, let factors):
            let index = position(of: name)!
            let old = loops[index]
            let product = factors.reduce(1, *)
            let extents = [(old.extent + product - 1) / product] + factors
            let names = extents.indices.map { LoopName.split(name, level: $0) }
            var value: Expr? = nil
            var stride = 1
            for (part, extent) in zip(names, extents).reversed() {
                let term = stride == 1 ? Expr.indexVar(part) : .binary(.mul, .indexVar(part), .index(stride))
                value = value.map { .binary(.add, term, $0) } ?? term
                stride *= extent
            }
            loops.replaceSubrange(index...index, with: zip(names, extents).map {
                LoopIterator(name: $0, extent: $1, isReduction: old.isReduction)
            })
            derivations[name] = value!
            if old.extent % product != 0 { guards.append(.binary(.lt, .indexVar(name), .index(old.extent))) }
        case .fuse(let names):
            let first = position(of: names[0])!
            let fused = Array(loops[first..<(first + names.count)])
            let name = LoopName.fused(names)
            var inner = 1
            for loop in fused.reversed() {
                // A part of extent 1 is always 0: derived so, rather than as
                // `(v / inner) % 1`, which no analysis would see is constant.
                guard loop.extent != 1 else {
                    derivations[loop.name] = .index(0)
                    continue
                }
                var value = inner == 1 ? Expr.indexVar(name) : .binary(.div, .indexVar(name), .index(inner))
                if loop.name != fused[0].name { value = .binary(.mod, value, .index(loop.extent)) }
                derivations[loop.name] = value
                inner *= loop.extent
            }
            loops.replaceSubrange(first..<(first + names.count), with: [LoopIterator(name: name, extent: inner, isReduction: fused[0].isReduction)])
        case .reorder(let order):
            loops = order.map { loop(named: $0)! }
        case .annotate(let name, let kind):
            loops[position(of: name)!].kind = kind
        }
    }
}

/// The schedule of one stage: the transforms of its loops and where it is computed.
public struct StageState: Hashable, Sendable {
    /// The default loops: one per dimension of the tensor, then one per reduction axis.
    public private(set) var initialLoops: [LoopIterator]
    public private(set) var transforms: [LoopTransform] = []
    /// The loops after the transforms, for the tensor's full extents.
    public private(set) var layout: LoopLayout
    public var location: ComputeLocation = .root
    /// Ansor's auto_unroll_max_step for this stage (0: off).
    public var unrollMaxStep = 0
    /// The dimensions of the stage's buffer, outermost first, when a
    /// `storage_order` step changed them (nil: the tensor's own order).
    public var storageOrder: [Int]?

    init(stage: Stage, shape: [Int]) {
        initialLoops = zip(stage.indexVariables, shape).map { LoopIterator(name: $0, extent: $1, isReduction: false) }
            + (stage.reduction?.axes ?? []).map { LoopIterator(name: $0.name, extent: $0.extent, isReduction: true) }
        layout = LoopLayout(loops: initialLoops, derivations: [:], guards: [])
    }

    public var loops: [LoopIterator] { layout.loops }
    public func loop(named name: String) -> LoopIterator? { layout.loop(named: name) }
    public func position(of name: String) -> Int? { layout.position(of: name) }

    mutating func record(_ transform: LoopTransform) {
        transforms.append(transform)
        layout.apply(transform)
    }

    /// True while no step has changed the stage's loops.
    var isUntransformed: Bool { transforms.isEmpty && unrollMaxStep == 0 && storageOrder == nil }

    /// The loops when the stage's dimensions have these extents (a region).
    public func layout(extents: [Int]) -> LoopLayout {
        var loops = initialLoops
        for (i, extent) in extents.enumerated() { loops[i].extent = extent }
        var layout = LoopLayout(loops: loops, derivations: [:], guards: [])
        for transform in transforms { layout.apply(transform) }
        return layout
    }
}
