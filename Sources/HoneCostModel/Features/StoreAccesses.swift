import HoneIR

// The accesses of the store being visited (its write and the loads in its
// value), grouped by buffer, and the regions each group touches as the
// loops around the store vary.

/// Read, written or both.
struct AccessKind: OptionSet {
    let rawValue: UInt8
    static let write = AccessKind(rawValue: 1)
    static let read = AccessKind(rawValue: 2)

    /// Offset of its one-hot column among `acc.{read, write, readwrite}`.
    var column: Int { self == [.read, .write] ? 2 : self == .write ? 1 : 0 }
}

/// An access of the current store: its write or one of its loads.
struct StoreAccess {
    var buffer: Int
    /// The form of its first index; the others follow on the form stack.
    var firstForm: Int
    var kind: AccessKind
    /// Bit `levelBit(l)`: an index depends on the loop at level `l`.
    var levels: UInt64
    /// Its group in `accessGroups` (set by `groupAccesses`).
    var group: Int
}

/// The current store's accesses to one buffer.
struct AccessGroup {
    var buffer: Int
    var kind: AccessKind
    var accessCount: Int
    /// The loop levels any of its accesses depends on.
    var levels: UInt64
    /// Elements it touches while the loops inside the level being measured vary.
    var touched: Double
}

/// The values an index form takes while some of the loops vary.
struct IndexRange {
    var low: Double
    var high: Double
}

extension FeatureExtractor {
    /// Records an access of the current store. Accesses to one buffer with
    /// the same index forms are one: a repeat only adds its kind, and its
    /// forms are popped.
    mutating func addAccess(_ name: String, _ indices: [Expr], isWrite: Bool) {
        let b = findBuffer(name)
        guard b >= 0, indices.count == buffers[b].rank else { return }
        let start = forms.top
        var levels: UInt64 = 0
        for index in indices {
            let f = linearize(index)  // before reading `forms`, which it pushes to
            levels |= forms.mask(f)
        }
        let kind: AccessKind = isWrite ? .write : .read
        for a in accesses.indices where accesses[a].buffer == b {
            if forms.sameForms(accesses[a].firstForm, start, count: indices.count) {
                accesses[a].kind.formUnion(kind)
                forms.top = start
                return
            }
        }
        accesses.append(StoreAccess(buffer: b, firstForm: start, kind: kind, levels: levels & levelBits, group: -1))
    }

    /// Groups the current store's accesses by buffer.
    mutating func groupAccesses() {
        accessGroups.removeAll(keepingCapacity: true)
        for a in accesses.indices {
            let b = accesses[a].buffer
            var g = 0
            while g < accessGroups.count && accessGroups[g].buffer != b { g += 1 }
            if g == accessGroups.count {
                accessGroups.append(AccessGroup(buffer: b, kind: [], accessCount: 0, levels: 0, touched: 0))
            }
            accesses[a].group = g
            accessGroups[g].kind.formUnion(accesses[a].kind)
            accessGroups[g].accessCount += 1
            accessGroups[g].levels |= accesses[a].levels
        }
    }

    /// Elements of group `g`'s buffer touched by the current `ranges`: per
    /// dimension the union over the group's accesses, clamped to the shape.
    /// With `sizes`, the per-dimension sizes are left in `dimensionSizes`.
    mutating func touchedElements(_ g: Int, firstForm: Int, sizes: Bool) -> Double {
        let b = accessGroups[g].buffer
        let rank = buffers[b].rank
        let firstDimension = buffers[b].firstDimension
        if sizes {
            dimensionSizes.removeAll(keepingCapacity: true)
        }
        var product = 1.0
        for k in 0..<rank {
            let top = dimensions[firstDimension + k].extent - 1
            var low = Double.infinity, high = -Double.infinity
            for a in accesses.indices where accesses[a].group == g {
                let f = accesses[a].firstForm + k
                var l: Double, h: Double
                if forms.mask(f) & opaqueBit != 0 {
                    l = 0
                    h = top
                } else {
                    let range = ranges[f - firstForm]
                    l = max(max(range.low, forms.lower(f)), 0)
                    h = min(min(range.high, forms.upper(f)), top)
                    if h < l {
                        l = min(max(range.low, 0), top)
                        h = l
                    }
                }
                low = min(low, l)
                high = max(high, h)
            }
            let n = max(1, (high.rounded(.down) - low.rounded(.down)) + 1)
            if sizes { dimensionSizes.append(n) }
            product *= n
        }
        return product
    }

    /// Bytes, lines and stride of group `g`, once every loop varies (its
    /// reuse is filled in by the second pass).
    mutating func measureGroup(_ g: Int, firstForm: Int, trip: Double) -> BufferTraffic {
        let b = accessGroups[g].buffer
        let rank = buffers[b].rank
        let firstDimension = buffers[b].firstDimension
        let elementBytes = buffers[b].elementBytes
        let unique = touchedElements(g, firstForm: firstForm, sizes: true)
        let line = Double(FeatureSchema.cacheLineBytes)
        // The innermost loop that moves the address, and by how many elements (flattened row-major).
        var stride = 0.0
        var lines = 1.0
        var level = depth - 1
        while level >= 0 {
            let bit = levelBit(level)
            if accessGroups[g].levels & bit != 0 {
                var best = Double.infinity
                for a in accesses.indices where accesses[a].group == g && accesses[a].levels & bit != 0 {
                    var derivative = 0.0
                    for k in 0..<rank {
                        derivative += forms.slope(accesses[a].firstForm + k, level) * dimensions[firstDimension + k].stride
                    }
                    derivative = abs(derivative)
                    best = min(best, derivative == 0 ? 1 : derivative)
                }
                stride = best
                lines = max(1, loops[level].trip * fraction * min(1, stride * elementBytes / line))
                break
            }
            level -= 1
        }
        // Distinct lines of the whole region: contiguous runs times lines per run.
        var run = 1.0
        var k = rank - 1
        while k >= 0 {
            let size = k < dimensionSizes.count ? dimensionSizes[k] : 1
            run *= size
            if size < dimensions[firstDimension + k].extent { break }
            k -= 1
        }
        let uniqueLines = max(1, (unique / run) * (run * elementBytes / line).rounded(.up))
        return BufferTraffic(buffer: Int32(b), kind: accessGroups[g].kind,
                             bytes: Double(accessGroups[g].accessCount) * trip * elementBytes,
                             uniqueBytes: unique * elementBytes, lines: lines, uniqueLines: uniqueLines,
                             stride: stride, levels: accessGroups[g].levels)
    }
}
