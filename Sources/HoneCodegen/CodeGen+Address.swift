import HoneIR

// Flattened addresses: `buffer[i₀, i₁, ...]` is element Σ iₖ·strideₖ.
extension CodeGen {
    /// The terms of a buffer access's flattened offset, each an index
    /// expression and its stride in elements. Adjacent dimensions indexed by
    /// `e / d` and `e % d` with `strideₖ = d·strideₖ₊₁` (a loop fused over
    /// both, as when two rows of a dense tile are one vector loop) make the
    /// single term `e` at strideₖ₊₁: the address then moves by one element
    /// per lane, and the access is a vector load rather than a gather.
    func offsetTerms(_ binding: BufferBinding, _ indices: [Expr]) -> [(index: Expr, stride: Int)] {
        var terms = zip(indices, binding.strides).map { (index: $0, stride: $1) }
        var k = 0
        while k + 1 < terms.count {
            if let merged = mergedDivisionAndRemainder(terms[k], terms[k + 1]) {
                terms.replaceSubrange(k...(k + 1), with: merged)
            }
            k += 1
        }
        return terms
    }

    private func mergedDivisionAndRemainder(_ outer: (index: Expr, stride: Int), _ inner: (index: Expr, stride: Int))
        -> [(index: Expr, stride: Int)]? {
        let outerTerms = additiveTerms(outer.index), innerTerms = additiveTerms(inner.index)
        for (i, term) in outerTerms.enumerated() {
            guard term.sign == 1, case .binary(.div, let e, .int(let d, _)) = term.expr, d > 0,
                  Int64(outer.stride) == d * Int64(inner.stride),
                  let j = innerTerms.firstIndex(where: { $0.sign == 1 && $0.expr == .binary(.mod, e, .int(d, .index)) }) else { continue }
            var restOuter = outerTerms, restInner = innerTerms
            restOuter.remove(at: i)
            restInner.remove(at: j)
            return [(sum(restOuter), outer.stride), (.binary(.add, sum(restInner), e), inner.stride)]
        }
        return nil
    }

    /// `a + b - c` as [(a, +1), (b, +1), (c, -1)].
    private func additiveTerms(_ expr: Expr, sign: Int = 1) -> [(expr: Expr, sign: Int)] {
        switch expr {
        case .binary(.add, let a, let b): return additiveTerms(a, sign: sign) + additiveTerms(b, sign: sign)
        case .binary(.sub, let a, let b): return additiveTerms(a, sign: sign) + additiveTerms(b, sign: -sign)
        default: return [(expr, sign)]
        }
    }

    private func sum(_ terms: [(expr: Expr, sign: Int)]) -> Expr {
        terms.reduce(Expr.index(0)) { $1.sign == 1 ? .binary(.add, $0, $1.expr) : .binary(.sub, $0, $1.expr) }
    }
}
