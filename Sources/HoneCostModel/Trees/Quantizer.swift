import HoneIR

/// Per-feature cut points found once from the training rows, and the rows'
/// bins.
///
/// `bin(x) = number of cuts < x`, so `bin(x) <= b` exactly when `x <= cuts[b]`:
/// a split "bin <= b" learned on bins is the float test "x <= cuts[b]" at
/// prediction time. NaN falls in bin 0 and, at prediction, goes left
/// (`!(x > t)`), consistently. Features with at most `maxBins` distinct values
/// get one bin per value (cuts at midpoints between neighbours); others get
/// quantile bins (each closes once it holds its share of the remaining rows).
enum Quantizer {
    /// Finds the cuts of every feature and writes each row's bin into
    /// `columns[f * n + r]`. Columns are sorted with a radix sort (rows with
    /// identical values keep their order), in chunks of features per task.
    static func fit(features: UnsafeBufferPointer<Float>, rowCount n: Int, featureCount d: Int, maxBins: Int,
                    columns: UnsafeMutableBufferPointer<UInt8>, runner: ParallelRunner) -> [[Float]] {
        var cuts = [[Float]](repeating: [], count: d)
        let chunk = 8
        cuts.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out)
            runner.run(tasks: (d + chunk - 1) / chunk) { t in
                let first = t * chunk, last = min(d, first + chunk)
                // Transpose the chunk's features once: contiguous columns.
                var transposed = [Float](repeating: 0, count: (last - first) * n)
                for r in 0..<n {
                    for f in first..<last { transposed[(f - first) * n + r] = features[r * d + f] }
                }
                let sorter = RadixSorter(capacity: n)
                for f in first..<last {
                    transposed.withUnsafeBufferPointer { all in
                        let column = UnsafeBufferPointer(rebasing: all[(f - first) * n..<(f - first + 1) * n])
                        out.value[f] = fitColumn(column, maxBins: maxBins, sorter: sorter,
                                                 bins: columns.baseAddress! + f * n)
                    }
                }
            }
        }
        return cuts
    }

    private static func fitColumn(_ x: UnsafeBufferPointer<Float>, maxBins: Int, sorter: borrowing RadixSorter,
                                  bins: UnsafeMutablePointer<UInt8>) -> [Float] {
        let order = sorter.sort(x)  // row ids of the non-NaN values, ascending by value
        for r in 0..<x.count where x[r].isNaN { bins[r] = 0 }
        var distinct: [Float] = []
        var counts: [Int] = []
        for r in order {
            let v = x[Int(r)]
            if let previous = distinct.last, previous == v { counts[counts.count - 1] += 1 } else { distinct.append(v); counts.append(1) }
        }
        let cuts = Self.cuts(distinct: distinct, counts: counts, maxBins: maxBins)
        var b = 0
        for r in order {
            let v = x[Int(r)]
            while b < cuts.count && v > cuts[b] { b += 1 }
            bins[Int(r)] = UInt8(b)
        }
        return cuts
    }

    /// Cut points from the sorted distinct values and their counts.
    static func cuts(distinct: [Float], counts: [Int], maxBins: Int) -> [Float] {
        guard distinct.count > 1 else { return [] }
        var cuts: [Float] = []
        if distinct.count <= maxBins {
            for i in 0..<distinct.count - 1 { cuts.append(midpoint(distinct[i], distinct[i + 1])) }
            return cuts
        }
        var remaining = counts.reduce(0, +)
        var binsLeft = maxBins
        var inBin = 0
        for i in 0..<distinct.count - 1 {
            inBin += counts[i]
            if Double(inBin) * Double(binsLeft) >= Double(remaining) {
                cuts.append(midpoint(distinct[i], distinct[i + 1]))
                remaining -= inBin
                inBin = 0
                binsLeft -= 1
                if binsLeft == 1 { break }
            }
        }
        return cuts
    }

    /// A cut c with a <= c < b, so that a goes left and b goes right.
    private static func midpoint(_ a: Float, _ b: Float) -> Float {
        let m = a + (b - a) / 2
        return m.isFinite && m < b && m >= a ? m : a
    }

    /// Number of cuts < x (0 for NaN).
    static func bin(_ x: Float, cuts: [Float]) -> Int {
        var lo = 0, hi = cuts.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cuts[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// LSD radix sort of float keys (8 bits a pass, passes where every key has
/// the same byte skipped), returning the permutation. Stable.
struct RadixSorter: ~Copyable {
    private let keys: UnsafeMutablePointer<UInt32>, keys2: UnsafeMutablePointer<UInt32>
    private let ids: UnsafeMutablePointer<UInt32>, ids2: UnsafeMutablePointer<UInt32>

    init(capacity: Int) {
        keys = .allocate(capacity: max(1, capacity)); keys2 = .allocate(capacity: max(1, capacity))
        ids = .allocate(capacity: max(1, capacity)); ids2 = .allocate(capacity: max(1, capacity))
    }

    deinit {
        keys.deallocate(); keys2.deallocate()
        ids.deallocate(); ids2.deallocate()
    }

    /// Row ids of the non-NaN values of `x`, in ascending order of value;
    /// valid until the next call.
    func sort(_ x: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<UInt32> {
        var m = 0
        for r in 0..<x.count where !x[r].isNaN {
            let bits = x[r].bitPattern
            keys[m] = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000  // order-preserving
            ids[m] = UInt32(r)
            m += 1
        }
        var (k, k2, i, i2) = (keys, keys2, ids, ids2)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { count in
            for shift in stride(from: UInt32(0), to: 32, by: 8) {
                count.initialize(repeating: 0)
                for j in 0..<m { count[Int((k[j] >> shift) & 0xFF)] += 1 }
                if m == 0 || count[Int((k[0] >> shift) & 0xFF)] == m { continue }
                var sum = 0
                for b in 0..<256 { let c = count[b]; count[b] = sum; sum += c }
                for j in 0..<m {
                    let key = k[j]
                    let bucket = Int((key >> shift) & 0xFF)
                    k2[count[bucket]] = key
                    i2[count[bucket]] = i[j]
                    count[bucket] += 1
                }
                swap(&k, &k2)
                swap(&i, &i2)
            }
        }
        return UnsafeBufferPointer(start: i, count: m)
    }
}
