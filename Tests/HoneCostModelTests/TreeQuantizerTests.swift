import Testing
@testable import HoneCostModel
import HoneIR

@Suite struct TreeQuantizerTests {
    @Test func binTestsAgreeWithFloatThresholds() {
        var rng = TestRandom(31)
        let n = 5000
        // Feature 0: continuous; 1: three values; 2: mostly zeros; 3: constant.
        var x: [Float] = []
        for _ in 0..<n {
            x += [rng.normal(), Float(rng.next() % 3), rng.uniform() < 0.8 ? 0 : rng.uniform(1, 5), 7]
        }
        let matrix = x.withUnsafeBufferPointer {
            BinnedMatrix(features: $0, rowCount: n, featureCount: 4, maxBins: 64, blockCount: 2, runner: ParallelRunner(threads: 2))
        }
        #expect(matrix.binCount == [64, 3, matrix.binCount[2], 1])
        #expect(matrix.defaultBin[2] == 0, "zero is the most frequent value of feature 2")
        for f in 0..<4 {
            let cuts = matrix.cuts[f]
            #expect(cuts == cuts.sorted())
            for r in 0..<n {
                let b = matrix.bin(row: r, feature: f)
                #expect(b == Quantizer.bin(x[r * 4 + f], cuts: cuts))
                // bin <= k exactly when x <= cuts[k]: the split a tree learns on
                // bins is the float test it applies at prediction.
                if b > 0 { #expect(x[r * 4 + f] > cuts[b - 1]) }
                if b < cuts.count { #expect(x[r * 4 + f] <= cuts[b]) }
            }
        }
        // Quantile bins hold similar numbers of rows.
        var counts = [Int](repeating: 0, count: 64)
        for r in 0..<n { counts[matrix.bin(row: r, feature: 0)] += 1 }
        #expect(counts.max()! < 3 * n / 64)
        #expect(Quantizer.bin(.nan, cuts: matrix.cuts[0]) == 0)
    }

    @Test func sparseBlocksHoldExactlyTheNonDefaultBins() {
        var rng = TestRandom(32)
        let n = 300, d = 9
        var x: [Float] = []
        for _ in 0..<n * d { x.append(rng.uniform() < 0.6 ? 0 : Float(rng.next() % 5)) }
        let matrix = x.withUnsafeBufferPointer {
            BinnedMatrix(features: $0, rowCount: n, featureCount: d, maxBins: 256, blockCount: 3, runner: ParallelRunner(threads: 1))
        }
        #expect(matrix.blocks.count == 3)
        #expect(matrix.blocks.map(\.features.count).reduce(0, +) == d)
        for block in matrix.blocks {
            for r in 0..<n {
                var expected: [Int] = []
                for f in block.features where matrix.bin(row: r, feature: f) != matrix.defaultBin[f] {
                    expected.append(matrix.binOffset[f] + matrix.bin(row: r, feature: f) - block.binBase)
                }
                let stored = (Int(block.rowStart[r])..<Int(block.rowStart[r + 1])).map { Int(block.entries[$0]) }
                #expect(stored == expected)
            }
        }
    }
}
