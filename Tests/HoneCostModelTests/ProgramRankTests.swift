import Foundation
import Testing
@testable import HoneCostModel

/// The program-ranking objective: programs of several rows, scored by their
/// row sums, ordered as their labels are, within each query only.
@Suite struct ProgramRankTests {
    /// Programs of 1-4 rows whose label is a monotone function of the sum of a per-row value.
    func programs(_ count: Int, seed: UInt64, queries: Int = 1) -> TrainingData {
        var rng = TestRandom(seed)
        var x: [Float] = [], labels: [Float] = [], sizes: [Int] = []
        for q in 0..<queries {
            for _ in 0..<count {
                let size = 1 + Int(rng.next() % 4)
                var sum: Float = 0
                for _ in 0..<size {
                    let row = (0..<3).map { _ in rng.uniform(-1, 1) }
                    x += row
                    sum += 2 * row[0] + row[1] * row[1]
                }
                // Each query has its own scale: only the order within a query is comparable.
                labels.append(Float(q + 1) * 10 + 1 / (1 + exp(-sum)))
                sizes.append(size)
            }
        }
        return TrainingData(features: x, featureCount: 3, labels: labels, groupSizes: sizes,
                            queryProgramCounts: [Int](repeating: count, count: queries))
    }

    func programRows(_ data: TrainingData) -> [ProgramFeatures] {
        var result: [ProgramFeatures] = []
        var next = 0
        for size in data.groupSizes! {
            result.append((next..<next + size).map { data.row($0) })
            next += size
        }
        return result
    }

    @Test func ranksUnseenProgramsByTheirSums() throws {
        let train = programs(400, seed: 11, queries: 3)
        let test = programs(200, seed: 12)
        let model = try GradientBoostedTrees.train(
            on: train, parameters: .init(objective: .packSumRank, rounds: 100, maxDepth: 4, learningRate: 0.2), schemaVersion: 1)
        let scores = model.predict(programRows(test))
        let rho = try #require(spearmanCorrelation(scores, test.labels))
        #expect(rho > 0.9, "Spearman \(rho)")
    }

    @Test func refusesQueriesThatDoNotCoverThePrograms() {
        var data = programs(20, seed: 1)
        data.queryProgramCounts = [10, 5]
        #expect(throws: (any Error).self) {
            try GradientBoostedTrees.train(on: data, parameters: .init(objective: .packSumRank, rounds: 5), schemaVersion: 1)
        }
    }
}
