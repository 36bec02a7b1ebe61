import HoneIR

/// The training rows quantized once, in the two layouts training needs.
///
/// - `columns`: one byte per (feature, row), column after column; partitioning
///   a node's rows on a split reads one column.
/// - `blocks`: the features cut into contiguous blocks (one or a few per
///   thread), each holding its rows sparsely: per row, the block-local bin
///   index of every feature whose bin is not that feature's most frequent
///   ("default") bin. Histogram building streams these entries; a default
///   bin's sums are recovered as the node total minus the other bins
///   (LightGBM's trick; about half the feature values here are zeros).
final class BinnedMatrix: @unchecked Sendable {
    let rowCount: Int
    let featureCount: Int
    /// Per feature, the cut points between bins (see Quantizer).
    let cuts: [[Float]]
    /// Bins of feature f: `binCount[f]`, at global histogram offset `binOffset[f]`.
    let binCount: [Int]
    let binOffset: [Int]
    let totalBins: Int
    let defaultBin: [Int]
    let columns: UnsafeMutableBufferPointer<UInt8>
    let blocks: [FeatureBlock]

    init(features: UnsafeBufferPointer<Float>, rowCount n: Int, featureCount d: Int, maxBins: Int,
         blockCount: Int, runner: ParallelRunner) {
        rowCount = n
        featureCount = d
        let columns = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, n * d))
        self.columns = columns
        let cuts = Quantizer.fit(features: features, rowCount: n, featureCount: d, maxBins: maxBins, columns: columns, runner: runner)
        self.cuts = cuts
        let featureBins = cuts.map { $0.count + 1 }
        binCount = featureBins
        var offsets = [Int]()
        var total = 0
        for c in featureBins { offsets.append(total); total += c }
        binOffset = offsets
        totalBins = total

        // The default (most frequent) bin of each feature.
        var defaults = [Int](repeating: 0, count: d)
        var nonDefault = [Int](repeating: 0, count: d)
        defaults.withUnsafeMutableBufferPointer { defaults in
            nonDefault.withUnsafeMutableBufferPointer { nonDefault in
                let out = UncheckedSendable((defaults, nonDefault))
                let bins = featureBins
                let chunk = 16
                runner.run(tasks: (d + chunk - 1) / chunk) { t in
                    var counts = [Int](repeating: 0, count: 256)
                    for f in t * chunk..<min(d, (t + 1) * chunk) {
                        for i in counts.indices { counts[i] = 0 }
                        let column = columns.baseAddress! + f * n
                        for r in 0..<n { counts[Int(column[r])] += 1 }
                        var best = 0
                        for b in 0..<bins[f] where counts[b] > counts[best] { best = b }
                        out.value.0[f] = best
                        out.value.1[f] = n - counts[best]
                    }
                }
            }
        }
        defaultBin = defaults

        // Contiguous feature blocks of about equal sparse size, each spanning at
        // most 65,536 bins so that a block-local bin fits in 16 bits.
        var ranges: [Range<Int>] = []
        let totalEntries = max(1, nonDefault.reduce(0, +))
        let wanted = max(1, min(blockCount, d))
        var start = 0, entries = 0
        for f in 0..<d {
            let bins = offsets[f] + featureBins[f] - offsets[start]
            if f > start && (bins > 65_536 || (entries >= totalEntries * (ranges.count + 1) / wanted && ranges.count + 1 < wanted)) {
                ranges.append(start..<f)
                start = f
            }
            entries += nonDefault[f]
        }
        ranges.append(start..<d)
        let defaultsCopy = defaults
        var built = [FeatureBlock?](repeating: nil, count: ranges.count)
        built.withUnsafeMutableBufferPointer { built in
            let out = UncheckedSendable(built)
            runner.run(tasks: ranges.count) { i in
                out.value[i] = FeatureBlock(features: ranges[i], rowCount: n, columns: columns, binCount: featureBins,
                                            binOffset: offsets, defaultBin: defaultsCopy)
            }
        }
        blocks = built.map { $0! }
    }

    deinit { columns.deallocate() }

    /// The bin of row r for feature f.
    @inline(__always) func bin(row r: Int, feature f: Int) -> Int { Int(columns[f * rowCount + r]) }
}

/// A contiguous range of features with its rows in sparse form (see BinnedMatrix).
final class FeatureBlock: @unchecked Sendable {
    let features: Range<Int>
    /// Global histogram offset of the block's first bin, and the block's bin count.
    let binBase: Int
    let binCount: Int
    /// Entries of row r are `entries[rowStart[r] ..< rowStart[r + 1]]`.
    let rowStart: UnsafeMutableBufferPointer<Int32>
    let entries: UnsafeMutableBufferPointer<UInt16>

    init(features: Range<Int>, rowCount n: Int, columns: UnsafeMutableBufferPointer<UInt8>, binCount featureBins: [Int],
         binOffset: [Int], defaultBin: [Int]) {
        self.features = features
        binBase = binOffset[features.lowerBound]
        binCount = binOffset[features.upperBound - 1] + featureBins[features.upperBound - 1] - binBase
        rowStart = .allocate(capacity: n + 1)
        var perRow = [Int32](repeating: 0, count: n)
        for f in features {
            let column = columns.baseAddress! + f * n
            let d = UInt8(defaultBin[f])
            for r in 0..<n where column[r] != d { perRow[r] += 1 }
        }
        entries = .allocate(capacity: max(1, perRow.reduce(0) { $0 + Int($1) }))
        // Row-major fill: per-row cursors, one column at a time.
        var cursor = [Int](repeating: 0, count: n)
        var total = 0
        for r in 0..<n {
            rowStart[r] = Int32(total)
            cursor[r] = total
            total += Int(perRow[r])
        }
        rowStart[n] = Int32(total)
        for f in features {
            let column = columns.baseAddress! + f * n
            let d = UInt8(defaultBin[f])
            let local = binOffset[f] - binBase
            for r in 0..<n where column[r] != d {
                entries[cursor[r]] = UInt16(local + Int(column[r]))
                cursor[r] += 1
            }
        }
    }

    deinit {
        rowStart.deallocate()
        entries.deallocate()
    }
}
