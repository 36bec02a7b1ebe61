import HoneIR

// Index expressions to forms (IndexFormStack.swift), over the loops and
// `let`s in scope.

extension FeatureExtractor {
    /// The form of an index expression, pushed on the form stack (its
    /// temporaries are popped again).
    mutating func linearize(_ e: Expr) -> Int {
        switch e {
        case .int(let v, _):
            let f = forms.push()
            forms.setConstant(f, Double(v))
            return f
        case .float(let v, _):
            let f = forms.push()
            forms.setConstant(f, v)
            return f
        case .variable(let name, _):
            switch resolve(name) {
            case .letForm(let bound)?:
                // A copy of the form computed where it was bound.
                let f = forms.push()
                forms.copy(bound, to: f)
                return f
            case .loop(let level)?:
                let f = forms.push()
                switch loops[level].start {
                case .constant(let m): forms.setConstant(f, m)
                case .form(let m): forms.copy(m, to: f)
                }
                forms.addLoop(f, level: level)
                return f
            case nil:
                return forms.push()
            }
        case .load, .call:
            let f = forms.push()
            forms.makeOpaque(f)
            return f
        case .cast(_, let a):
            return linearize(a)
        case .unary(.neg, let a):
            let f = linearize(a)
            forms.scale(f, by: -1)
            return f
        case .unary(.not, let a):
            let f = linearize(a)
            forms.booleanize(f)
            return f
        case .select(_, let a, let b):
            let fa = linearize(a), fb = linearize(b)
            forms.join(fa, fb)
            forms.top = fa + 1
            return fa
        case .binary(let op, let a, let b):
            let fa = linearize(a), fb = linearize(b)
            forms.combine(op, fa, fb)
            forms.top = fa + 1
            return fa
        }
    }

    /// The largest value of form `f` over the enclosing loops, plus one
    /// (for loop extents that are not constants).
    func largestValue(_ f: Int) -> Double {
        var v = forms.constant(f)
        for l in 0..<depth { v += max(0, forms.slope(f, l) * (loops[l].extent - 1)) }
        return min(v, forms.upper(f)) + 1
    }
}
