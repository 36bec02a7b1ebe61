import HoneIR

/// Simplifies a lowered loop nest, knowing each loop variable's range:
/// folds constants, gathers index arithmetic into `Σ c·v + k`, removes
/// divisions and remainders that bounds make trivial (`(8·i + j) / 8 = i`
/// and `(8·i + j) % 8 = j` when `0 ≤ j < 8`), decides comparisons that the
/// ranges settle (dropping guards that always hold), and replaces loops of
/// one iteration by a `let`. Clean indices let the code generator see
/// contiguous vector accesses; LLVM would find little of this by itself
/// through floor-division sequences.
public func simplify(_ stmt: Stmt) -> Stmt {
    var simplifier = Simplifier()
    return simplifier.simplify(stmt)
}

struct Simplifier {
    var context = IntervalContext()
    /// `let`s whose values are substituted where their names are used.
    var bindings = ScopedValues<Expr>()
    /// What is known of the other `let`s modulo small numbers (a tile origin
    /// `t / 56 * 16` is a multiple of 16), so divisions of sums with them fold.
    var alignments = ScopedValues<Alignment>()

    mutating func simplify(_ stmt: Stmt) -> Stmt {
        switch stmt {
        case .loop(var loop):
            loop.min = simplify(loop.min)
            loop.extent = simplify(loop.extent)
            // Every scope restores what it changed, so the loop puts back only
            // its variable's entries (a whole saved context would be copied
            // on the first write to it).
            let savedRange = context.ranges.removeValue(forKey: loop.variable)
            bindings.enter(loop.variable, nil)
            alignments.enter(loop.variable, nil)
            defer {
                context.ranges[loop.variable] = savedRange
                bindings.leave()
                alignments.leave()
            }
            if case .int(let m, _) = loop.min, case .int(let e, _) = loop.extent {
                if e <= 0 { return .block([]) }
                if e == 1 && loop.kind != .parallel {
                    return simplify(.letStmt(loop.variable, loop.min, loop.body))
                }
                context.ranges[loop.variable] = Interval(m, m + e - 1)
                // A loop whose body is guarded by `v < c` stops at c: splits by
                // factors larger than what is left of a loop (or of a region)
                // leave such guards, and their dead iterations make LLVM's
                // unroller build enormous code.
                if m == 0, loop.kind == .serial || loop.kind == .unrolled, case .ifThenElse(let condition, let then, nil, var facts) = loop.body,
                   let live = liveIterations(of: loop.variable, under: simplify(condition)), live < e {
                    loop.extent = .index(Int(max(live, 0)))
                    // The guard is the whole body: it is now evaluated `live` times in `e`.
                    facts.counts = facts.counts.flatMap { c in
                        c.evaluations % e == 0 ? IfFacts.Counts(evaluations: c.evaluations / e * max(live, 0), holds: c.holds) : nil
                    }
                    loop.body = .ifThenElse(condition, then, nil, facts)
                    return simplify(.loop(loop))
                }
            }
            loop.body = simplify(loop.body)
            return .loop(loop)
        case .store(let name, let indices, let value):
            return .store(name, indices.map { simplify($0) }, simplify(value))
        case .allocate(let buffer, let body):
            return .allocate(buffer, simplify(body))
        case .letStmt(let name, let value, let body):
            let v = simplify(value)
            // Constants and sums of variables are substituted, so indices
            // built on them fold further (`(16·j + r) / 16 = j`).
            let substituted = AffineForm(v, atoms: .indexExpressions)?.terms.allSatisfy { if case .variable = $0.atom { true } else { false } } ?? false
            // Both while an outer `name`, which `v` may read, is still in scope.
            let range = substituted ? nil : context.interval(of: v)
            let known = substituted ? .unknown : alignment(of: v, alignments)
            let savedRange = context.ranges.removeValue(forKey: name)
            bindings.enter(name, substituted ? v : nil)
            alignments.enter(name, known != .unknown ? known : nil)
            defer {
                context.ranges[name] = savedRange
                bindings.leave()
                alignments.leave()
            }
            if substituted { return simplify(body) }
            context.ranges[name] = range
            return .letStmt(name, v, simplify(body))
        case .ifThenElse(let condition, let then, let otherwise, let facts):
            let c = simplify(condition)
            if case .int(let truth, _) = c { return truth != 0 ? simplify(then) : otherwise.map { simplify($0) } ?? .block([]) }
            // Each branch knows its condition's outcome (a partitioned tile's
            // fast path drops the checks inside it that the test implies).
            let saved = context
            defer { context = saved }
            guard let thenContext = context.assuming(c, true) else { return otherwise.map { simplify($0) } ?? .block([]) }
            context = thenContext
            let simplifiedThen = simplify(then)
            context = saved
            guard let otherwise else { return .ifThenElse(c, simplifiedThen, nil, facts) }
            guard let elseContext = context.assuming(c, false) else { return simplifiedThen }
            context = elseContext
            return .ifThenElse(c, simplifiedThen, simplify(otherwise), facts)
        case .block(let stmts):
            return .sequence(stmts.map { simplify($0) }.filter { $0 != .block([]) })
        }
    }

    /// How many iterations from 0 of loop `variable` can pass `condition`:
    /// for a conjunct `a·v + rest < 0` with a > 0, none from the first `v`
    /// where `a·v + min(rest) ≥ 0`. Nil when no conjunct bounds `v`.
    func liveIterations(of variable: String, under condition: Expr) -> Int64? {
        switch condition {
        case .binary(.and, let a, let b):
            let (x, y) = (liveIterations(of: variable, under: a), liveIterations(of: variable, under: b))
            return x.map { l in y.map { min(l, $0) } ?? l } ?? y
        case .binary(let op, let a, let b) where [.lt, .le, .gt, .ge].contains(op) && a.type == .index && b.type == .index:
            // As `f < 0`.
            let difference: Expr = op == .lt || op == .le ? .binary(.sub, a, b) : .binary(.sub, b, a)
            guard var form = AffineForm(op == .le || op == .ge ? .binary(.sub, difference, .index(1)) : difference, atoms: .indexExpressions),
                  let term = form.terms.first(where: { $0.atom == .variable(variable, .index) }), term.coefficient > 0 else { return nil }
            form.terms.removeAll { $0.atom == .variable(variable, .index) }
            guard let rest = context.interval(of: form.expression), abs(rest.lo) < Int64(1) << 40 else { return nil }
            return Interval.floorDiv(-rest.lo + term.coefficient - 1, term.coefficient)
        default:
            return nil
        }
    }

    func simplify(_ expr: Expr) -> Expr {
        switch expr {
        case .int, .float: return expr
        case .variable(let name, _): return bindings[name] ?? expr
        case .load(let name, let indices, let t): return .load(name, indices.map(simplify), t)
        case .cast(let t, let a):
            let s = simplify(a)
            if s.type == t { return s }
            if case .int(let v, _) = s, t.isInteger { return .int(v, t) }
            if case .int(let v, _) = s, t.isFloat { return .float(Double(v), t) }
            return .cast(t, s)
        case .unary(let op, let a): return .unary(op, simplify(a))
        case .call(let f, let args): return .call(f, args.map(simplify))
        case .select(let c, let a, let b):
            let sc = simplify(c)
            if case .int(let truth, _) = sc { return truth != 0 ? simplify(a) : simplify(b) }
            return .select(sc, simplify(a), simplify(b))
        case .binary(let op, let a, let b):
            let type = expr.type
            if type == .index && (op == .add || op == .sub || op == .mul), let form = sumForm(expr) { return form.expression }
            let (sa, sb) = (simplify(a), simplify(b))
            if type == .index || (op.isComparison && sa.type == .index && sb.type == .index) {
                return simplifyIndex(op, sa, sb)
            }
            if op == .and || op == .or, case .int(let x, _) = sa { return (x != 0) == (op == .or) ? sa : sb }
            if op == .and || op == .or, case .int(let y, _) = sb { return (y != 0) == (op == .or) ? sb : sa }
            return .binary(op, sa, sb)
        }
    }

    /// The form `simplify` gives an index sum, difference or product, built
    /// from its operands' forms. Simplified level by level, each level is
    /// the expression of a form, and reading that expression back into the
    /// level above gives the same form (terms in the same order): combining
    /// the forms skips rebuilding and re-reading every partial sum, which
    /// made long index sums quadratic. Nil where a level is not affine; the
    /// caller then simplifies level by level.
    private func sumForm(_ e: Expr) -> AffineForm? {
        guard case .binary(let op, let a, let b) = e, let x = sumOperand(a), let y = sumOperand(b),
              ScalarType.promoted(x.type, y.type) == .index else { return nil }
        switch op {
        case .add: return x.form.adding(y.form, times: 1)
        case .sub: return x.form.adding(y.form, times: -1)
        default:
            // As reading `a * b` does: a literal factor scales the other side; otherwise the product is one term.
            if let k = y.literal { return x.form.scaled(by: k) }
            if let k = x.literal { return y.form.scaled(by: k) }
            return AffineForm(.binary(.mul, x.expression, y.expression), atoms: .indexExpressions)
        }
    }

    /// An operand of an index sum, simplified: its form, and its expression
    /// where that is not the form's own (nil: `form.expression`).
    private struct SumOperand {
        var form: AffineForm
        var simplified: Expr?
        /// The operand's type before it was simplified (`.index` for a sum: others fail).
        var type: ScalarType

        var expression: Expr { simplified ?? form.expression }
        var literal: Int64? {
            guard let simplified else { return form.isConstant ? form.constant : nil }
            if case .int(let v, _) = simplified { return v }
            return nil
        }
    }

    /// Nil for arithmetic of another type, which `simplifyIndex` leaves as
    /// it is. A sum's type comes from its operands' (`Expr.type` would walk
    /// the whole sum again at every level).
    private func sumOperand(_ e: Expr) -> SumOperand? {
        if case .binary(let op, _, _) = e, op == .add || op == .sub || op == .mul {
            return sumForm(e).map { SumOperand(form: $0, type: .index) }
        }
        let simplified = simplify(e)
        return AffineForm(simplified, atoms: .indexExpressions).map { SumOperand(form: $0, simplified: simplified, type: e.type) }
    }

    /// Integer index arithmetic on simplified operands.
    private func simplifyIndex(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> Expr {
        switch op {
        case .add, .sub, .mul:
            if let form = AffineForm(.binary(op, a, b), atoms: .indexExpressions) { return form.expression }
            return .binary(op, a, b)
        case .div, .mod:
            guard case .int(let d, _) = b, d > 0 else { return .binary(op, a, b) }
            if d == 1 { return op == .div ? a : .index(0) }
            if let form = AffineForm(a, atoms: .indexExpressions) {
                // a = d·q + r with r's range inside [0, d): a / d = q, a % d = r.
                let (quotient, remainder) = form.divided(by: d) { alignment(of: $0, alignments).isMultiple(of: $1) }
                if let range = context.interval(of: remainder.expression), range.lo >= 0, range.hi < d {
                    return op == .div ? quotient.expression : remainder.expression
                }
                if let (aligned, offset) = carryFreeSplit(form, d) {
                    let alignedResult = simplifyIndex(op, aligned, b)
                    if op == .div { return alignedResult }
                    return AffineForm(.binary(.add, alignedResult, offset), atoms: .indexExpressions)?.expression ?? .binary(op, a, b)
                }
                // Floor division is exact on the multiple: (d·q + r) / d = q + r / d and (d·q + r) % d = r % d
                // whatever r's range (a stride-2 window `(2·x + s) / 2` is `x + s / 2`, unit stride along x).
                if !quotient.terms.isEmpty && !remainder.terms.isEmpty {
                    let rest = simplifyIndex(op, remainder.expression, b)
                    if op == .mod { return rest }
                    return AffineForm(.binary(.add, quotient.expression, rest), atoms: .indexExpressions)?.expression ?? .binary(op, a, b)
                }
            }
            if let range = context.interval(of: a) {
                let (ql, qh) = (Interval.floorDiv(range.lo, d), Interval.floorDiv(range.hi, d))
                if ql == qh { return op == .div ? .index(Int(ql)) : AffineForm(.binary(.sub, a, .index(Int(ql * d))), atoms: .indexExpressions)?.expression ?? .binary(op, a, b) }
            }
            return .binary(op, a, b)
        case .min, .max:
            if let ra = context.interval(of: a), let rb = context.interval(of: b) {
                if ra.hi <= rb.lo { return op == .min ? a : b }
                if rb.hi <= ra.lo { return op == .min ? b : a }
            }
            return .binary(op, a, b)
        case .eq, .ne, .lt, .le, .gt, .ge:
            if let difference = AffineForm(.binary(.sub, a, b), atoms: .indexExpressions), let range = context.interval(of: difference.expression) {
                let always: Bool?
                switch op {
                case .lt: always = range.hi < 0 ? true : range.lo >= 0 ? false : nil
                case .le: always = range.hi <= 0 ? true : range.lo > 0 ? false : nil
                case .gt: always = range.lo > 0 ? true : range.hi <= 0 ? false : nil
                case .ge: always = range.lo >= 0 ? true : range.hi < 0 ? false : nil
                case .eq: always = range.isPoint && range.lo == 0 ? true : range.contains(0) ? nil : false
                default: always = range.isPoint && range.lo == 0 ? false : range.contains(0) ? nil : true
                }
                if let always { return .int(always ? 1 : 0, .bool) }
            }
            return .binary(op, a, b)
        default:
            return .binary(op, a, b)
        }
    }

    /// `a = A + B` where A is known modulo a divisor g of d (A ≡ r mod g)
    /// and B's range lies in [-r, g - r): adding B never carries A across a
    /// multiple of d, so `a / d = A / d` and `a % d = A % d + B`. A grouped
    /// convolution's channel tile reads `(origin + f) / FG` with the origin
    /// a multiple of the tile and f inside it: one group per tile, a value
    /// uniform across the tile's vector lanes instead of a gather.
    private func carryFreeSplit(_ form: AffineForm, _ d: Int64) -> (aligned: Expr, offset: Expr)? {
        var aligned = AffineForm(constant: form.constant), offset = AffineForm()
        for term in form.terms {
            let known = alignment(of: term.atom, alignments) * .exactly(term.coefficient)
            if known.modulus == 0 || greatestCommonDivisor(known.modulus, d) > 1 { aligned.terms.append(term) } else { offset.terms.append(term) }
        }
        guard !offset.terms.isEmpty, !aligned.terms.isEmpty, let range = context.interval(of: offset.expression) else { return nil }
        let known = alignment(of: aligned.expression, alignments)
        let g = known.modulus == 0 ? d : greatestCommonDivisor(known.modulus, d)
        let r = Interval.floorMod(known.remainder, g)
        guard g > 1, range.lo + r >= 0, range.hi + r < g else { return nil }
        return (aligned.expression, offset.expression)
    }
}
