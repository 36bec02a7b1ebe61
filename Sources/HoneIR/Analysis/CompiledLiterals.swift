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

    /// A read of a fused loop's part: `p / B`, `p % B` or `p / B % C`, the
    /// digits of p between two cuts (1, B, B·C or its extent) when p is
    /// written in a mixed radix with those cuts; `length` ops long.
    private struct DigitRead {
        var loop: Int
        /// The read is `(p / below) % (above / below)`; nil `above`: `p / below`.
        var below: Int64
        var above: Int64?
        var length: Int
    }

    /// The digit read that `ops[i...]` starts with (before `end`), if any;
    /// divisors must exceed 1 (a fused loop never reads a part of extent 1:
    /// that part is the constant 0).
    private func digitRead(at i: Int, before end: Int) -> DigitRead? {
        guard i + 2 < end, case .loop(let p) = ops[i], case .constant(let b) = ops[i + 1], b > 1 else { return nil }
        switch ops[i + 2] {
        case .binary(.mod):
            return DigitRead(loop: p, below: 1, above: b, length: 3)
        case .binary(.div):
            if i + 4 < end, case .constant(let c) = ops[i + 3], c > 1, case .binary(.mod) = ops[i + 4] {
                let (above, overflow) = b.multipliedReportingOverflow(by: c)
                if !overflow { return DigitRead(loop: p, below: b, above: above, length: 5) }
            }
            return DigitRead(loop: p, below: b, above: nil, length: 3)
        default:
            return nil
        }
    }

    /// Records how the loops are read: `wholeReads` gets the loops read
    /// other than by a digit read, `cuts` the cuts (other than 1) of every
    /// digit read.
    func recordDigitReads(wholeReads: inout UInt64, cuts: inout [(loop: Int, cut: Int64)]) {
        var start = 0
        for end in ends {
            var i = start
            while i < end {
                if let read = digitRead(at: i, before: end) {
                    if read.below > 1 { cuts.append((read.loop, read.below)) }
                    if let above = read.above { cuts.append((read.loop, above)) }
                    i += read.length
                    continue
                }
                if case .loop(let p) = ops[i] { wholeReads |= 1 << UInt64(p) }
                i += 1
            }
            start = end
        }
    }

    /// Every digit read of loop `p` as the sum of its digits: `cuts` are the
    /// loop's cuts below its extent, ascending, each dividing the next;
    /// digit k (between cuts k - 1 and k, the first from 1, the last to the
    /// extent) is loop `digits[k]` and weighs its lower cut over the read's.
    /// A cut past the extent reads as the extent: `p % C` is `p`, `p / C` is 0.
    mutating func unfuse(_ p: Int, extent: Int64, cuts: [Int64], digits: [Int]) {
        func lowerCut(_ k: Int) -> Int64 { k == 0 ? 1 : cuts[k - 1] }
        func digit(below cut: Int64) -> Int { cut == 1 ? 0 : cut >= extent ? digits.count : cuts.firstIndex(of: cut)! + 1 }
        var result: [Op] = []
        result.reserveCapacity(ops.count + 8)
        var start = 0
        for literal in ends.indices {
            let end = ends[literal]
            var i = start
            while i < end {
                guard let read = digitRead(at: i, before: end), read.loop == p else {
                    result.append(ops[i])
                    i += 1
                    continue
                }
                let first = digit(below: read.below), last = read.above.map(digit(below:)) ?? digits.count
                if first == last { result.append(.constant(0)) }  // `p / B` with B past the extent
                for k in first..<last {
                    result.append(.loop(digits[k]))
                    guard k > first else { continue }
                    result.append(.constant(lowerCut(k) / read.below))
                    result.append(.binary(.mul))
                    result.append(.binary(.add))
                }
                i += read.length
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
