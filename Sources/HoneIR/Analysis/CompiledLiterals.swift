import HoneIR

/// The literals of a `PointCounter`, each compiled to an integer program
/// over loop positions (Hone's integer semantics: floor division and
/// remainder) in postfix order, all of them in one array: built, scanned
/// and freed at once.
struct CompiledLiterals {
    enum Op {
        case constant(Int64)
        case loop(Int)
        case unary(UnaryOp)
        case binary(BinaryOp)
        case select
    }

    private var ops: [Op] = []
    /// Per literal: the end of its ops, which start where the previous
    /// literal's end. A literal that cannot be compiled has none.
    private var ends: [Int] = []

    /// Room for a few literals of a few ops (a split's guard and tile test
    /// take 5 to 10). Kept well under 1 KB: glibc's malloc consolidates its
    /// free lists for every larger block, which costs more than the counting.
    init() {
        ops.reserveCapacity(24)
        ends.reserveCapacity(4)
    }

    var count: Int { ends.count }

    private func range(_ literal: Int) -> Range<Int> { (literal == 0 ? 0 : ends[literal - 1])..<ends[literal] }

    func isCompiled(_ literal: Int) -> Bool { !range(literal).isEmpty }

    /// Compiles `e` as the next literal; it has no program if `e` reads
    /// memory, floats or a variable that is not one of the first 64 loops.
    /// `reads` gets the loops read, up to the first part that cannot be compiled.
    mutating func append(_ e: Expr, _ position: (String) -> Int?, _ reads: inout UInt64) {
        let start = ops.count
        if !compile(e, position, &reads) { ops.removeSubrange(start...) }
        ends.append(ops.count)
    }

    private mutating func compile(_ e: Expr, _ position: (String) -> Int?, _ reads: inout UInt64) -> Bool {
        switch e {
        case .int(let v, _):
            ops.append(.constant(v))
        case .variable(let name, _):
            guard let p = position(name), p < 64 else { return false }
            reads |= 1 << UInt64(p)
            ops.append(.loop(p))
        case .cast(let t, let a):
            return !t.isFloat && compile(a, position, &reads)
        case .unary(let op, let a):
            guard compile(a, position, &reads) else { return false }
            ops.append(.unary(op))
        case .binary(let op, let a, let b):
            guard compile(a, position, &reads), compile(b, position, &reads) else { return false }
            ops.append(.binary(op))
        case .select(let c, let a, let b):
            guard compile(c, position, &reads), compile(a, position, &reads), compile(b, position, &reads) else { return false }
            ops.append(.select)
        case .float, .load, .call:
            return false
        }
        return true
    }

    /// The loops a literal reads, as bits.
    func loopsRead(by literal: Int) -> UInt64 {
        var mask: UInt64 = 0
        for i in range(literal) { if case .loop(let p) = ops[i] { mask |= 1 << UInt64(p) } }
        return mask
    }

    // MARK: Fused loops

    /// Whether `ops[i...i+2]` is `p / b` or `p % b`: (p, b).
    private func division(at i: Int, before end: Int) -> (loop: Int, divisor: Int64)? {
        guard i + 2 < end, case .loop(let p) = ops[i], case .constant(let b) = ops[i + 1] else { return nil }
        switch ops[i + 2] {
        case .binary(.div), .binary(.mod): return (p, b)
        default: return nil
        }
    }

    /// Records how each loop is read: `divisor[p]` is B when every read is
    /// `p / B` or `p % B`, 0 when some other read is, nil when none is.
    func recordDivisions(_ divisor: inout [Int64?]) {
        for literal in ends.indices {
            let end = range(literal).upperBound
            for i in range(literal) {
                guard case .loop(let p) = ops[i], p < divisor.count else { continue }
                if let (_, b) = division(at: i, before: end) {
                    divisor[p] = divisor[p].map { $0 == b ? b : 0 } ?? b
                } else {
                    divisor[p] = 0
                }
            }
        }
    }

    /// Every `p / b` read as loop `p`, every `p % b` as loop `remainder`.
    mutating func unfuse(_ p: Int, _ b: Int64, _ remainder: Int) {
        var result: [Op] = []
        result.reserveCapacity(ops.count)
        var start = 0
        for literal in ends.indices {
            let end = ends[literal]
            var i = start
            while i < end {
                if let d = division(at: i, before: end), d.loop == p, d.divisor == b {
                    if case .binary(.mod) = ops[i + 2] { result.append(.loop(remainder)) } else { result.append(.loop(p)) }
                    i += 3
                } else {
                    result.append(ops[i])
                    i += 1
                }
            }
            start = end
            ends[literal] = result.count
        }
        ops = result
    }

    // MARK: Affine literals

    /// A compiled literal as `Σ a_l·v_l + k < 0` over the loops (a
    /// comparison of affine index expressions): writes a per loop into
    /// `coefficients` (zeros) and returns k; nil when it is not one.
    func affineForm(of literal: Int, into coefficients: UnsafeMutableBufferPointer<Int64>) -> Int64? {
        let end = range(literal).upperBound - 1
        guard end >= 0, case .binary(let op) = ops[end], op == .lt || op == .le || op == .gt || op == .ge else { return nil }
        let (a, b) = operands(of: end)
        var constant: Int64 = 0
        // a < b: a - b < 0; a <= b: a - b - 1 < 0; a > b: b - a < 0; a >= b: b - a - 1 < 0.
        let sign: Int64 = op == .lt || op == .le ? 1 : -1
        guard addLinear(a, sign, coefficients, &constant), addLinear(b, -sign, coefficients, &constant) else { return nil }
        if op == .le || op == .ge {
            let (k, overflow) = constant.subtractingReportingOverflow(1)
            guard !overflow else { return nil }
            constant = k
        }
        return constant
    }

    /// The start of the subexpression that ends at `end`.
    private func start(ofOperandEndingAt end: Int) -> Int {
        var needed = 1, i = end
        while true {
            switch ops[i] {
            case .constant, .loop: needed -= 1
            case .unary: break
            case .binary: needed += 1
            case .select: needed += 2
            }
            if needed == 0 { return i }
            i -= 1
        }
    }

    /// `(left operand's end, right operand's end)` of the binary op at `end`.
    private func operands(of end: Int) -> (Int, Int) {
        let right = end - 1
        return (start(ofOperandEndingAt: right) - 1, right)
    }

    /// Adds `scale·` the subexpression ending at `end` when it is affine in
    /// the loops; false otherwise or on overflow.
    private func addLinear(_ end: Int, _ scale: Int64, _ coefficients: UnsafeMutableBufferPointer<Int64>, _ constant: inout Int64) -> Bool {
        switch ops[end] {
        case .constant(let v):
            let (p, o1) = v.multipliedReportingOverflow(by: scale)
            let (sum, o2) = constant.addingReportingOverflow(p)
            constant = sum
            return !o1 && !o2
        case .loop(let p):
            let (sum, overflow) = coefficients[p].addingReportingOverflow(scale)
            coefficients[p] = sum
            return !overflow
        case .unary(.neg):
            let (negated, overflow) = scale.multipliedReportingOverflow(by: -1)
            return !overflow && addLinear(end - 1, negated, coefficients, &constant)
        case .binary(.add):
            let (a, b) = operands(of: end)
            return addLinear(a, scale, coefficients, &constant) && addLinear(b, scale, coefficients, &constant)
        case .binary(.sub):
            let (a, b) = operands(of: end)
            let (negated, overflow) = scale.multipliedReportingOverflow(by: -1)
            return !overflow && addLinear(a, scale, coefficients, &constant) && addLinear(b, negated, coefficients, &constant)
        case .binary(.mul):
            let (a, b) = operands(of: end)
            let factor: Int64, other: Int
            if case .constant(let c) = ops[b] { (factor, other) = (c, a) } else if case .constant(let c) = ops[a] { (factor, other) = (c, b) } else { return false }
            let (product, overflow) = scale.multipliedReportingOverflow(by: factor)
            return !overflow && addLinear(other, product, coefficients, &constant)
        default:
            return false
        }
    }

    // MARK: Evaluation

    /// A literal's value at `values`; `stack` is scratch space.
    func evaluate(_ literal: Int, _ values: [Int64], _ stack: inout [Int64]) -> Int64 {
        stack.removeAll(keepingCapacity: true)
        for i in range(literal) {
            switch ops[i] {
            case .constant(let v): stack.append(v)
            case .loop(let p): stack.append(values[p])
            case .unary(let op):
                let x = stack.removeLast()
                stack.append(op == .neg ? 0 &- x : (x == 0 ? 1 : 0))
            case .select:
                let b = stack.removeLast(), a = stack.removeLast(), c = stack.removeLast()
                stack.append(c != 0 ? a : b)
            case .binary(let op):
                let y = stack.removeLast(), x = stack.removeLast()
                let r: Int64
                switch op {
                case .add: r = x &+ y
                case .sub: r = x &- y
                case .mul: r = x &* y
                case .div: r = y == 0 ? 0 : Interval.floorDiv(x, y)
                case .mod: r = y == 0 ? 0 : Interval.floorMod(x, y)
                case .min: r = Swift.min(x, y)
                case .max: r = Swift.max(x, y)
                case .eq: r = x == y ? 1 : 0
                case .ne: r = x != y ? 1 : 0
                case .lt: r = x < y ? 1 : 0
                case .le: r = x <= y ? 1 : 0
                case .gt: r = x > y ? 1 : 0
                case .ge: r = x >= y ? 1 : 0
                case .and: r = x != 0 && y != 0 ? 1 : 0
                case .or: r = x != 0 || y != 0 ? 1 : 0
                }
                stack.append(r)
            }
        }
        return stack[stack.count - 1]
    }
}
