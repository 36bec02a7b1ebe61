import Testing
import HoneIR
@testable import HoneCostModel

/// y = x0^2 + 2 * step(x1 > 0.3), with two distractor features.
private func knownFunction(_ x: [Float]) -> Float { x[0] * x[0] + (x[1] > 0.3 ? 2 : 0) }

@Suite struct GradientBoostedTreesTests {
    @Test func fitsASimpleKnownFunction() throws {
        let train = makeRegression(rows: 3000, features: 4, seed: 1, knownFunction)
        let test = makeRegression(rows: 1000, features: 4, seed: 2, knownFunction)
        let model = try GradientBoostedTrees.train(on: train, parameters: .init(rounds: 150, maxDepth: 4), schemaVersion: 1)
        let error = rmse(model.predict(rowMajor: test.features), test.labels)
        // The target's standard deviation is about 0.95; the fit reaches about 0.085.
        #expect(error < 0.15 * standardDeviation(test.labels), "held-out RMSE \(error)")
        #expect(model.trees.count == 150)
        #expect(model.trees.allSatisfy { $0.depth <= 4 })
    }

    @Test func leafWiseGrowthSplitsTheBestLeavesFirst() throws {
        let train = makeRegression(rows: 3000, features: 4, seed: 1, knownFunction)
        let test = makeRegression(rows: 1000, features: 4, seed: 2, knownFunction)
        let model = try GradientBoostedTrees.train(
            on: train, parameters: .init(rounds: 150, maxDepth: 30, maxLeaves: 8), schemaVersion: 1)
        for tree in model.trees { #expect(tree.feature.filter { $0 < 0 }.count <= 8) }
        #expect(model.trees.contains { $0.depth > 3 }, "best-first trees are not balanced")
        let error = rmse(model.predict(rowMajor: test.features), test.labels)
        #expect(error < 0.15 * standardDeviation(test.labels), "held-out RMSE \(error)")

        // Enough leaves for a full tree: the same splits as depth-wise growth
        // (only the node numbering differs), so the same scores.
        let depthWise = try GradientBoostedTrees.train(on: train, parameters: .init(rounds: 20, maxDepth: 4), schemaVersion: 1)
        let leafWise = try GradientBoostedTrees.train(on: train, parameters: .init(rounds: 20, maxDepth: 4, maxLeaves: 16), schemaVersion: 1)
        #expect(depthWise.predict(rowMajor: test.features) == leafWise.predict(rowMajor: test.features))
    }

    @Test func fitsAStepExactlyWithOneSplit() throws {
        // A single step at x0 = 0.5 is one split: one tree of depth 1 with a
        // learning rate of 1 and no regularization recovers it exactly.
        let data = makeRegression(rows: 400, features: 2, seed: 3) { $0[0] > 0.5 ? 3 : -1 }
        let model = try GradientBoostedTrees.train(
            on: data, parameters: .init(rounds: 1, maxDepth: 1, lambda: 0, learningRate: 1), schemaVersion: 1)
        #expect(model.trees[0].feature[0] == 0)
        for r in 0..<data.rowCount { #expect(abs(model.predict(data.row(r)) - data.labels[r]) < 1e-5) }
    }

    @Test func recoversAKnownRankingWithThePairwiseObjective() throws {
        // Groups of 32 candidates; within a group the order is that of
        // s = 3 x0 - 2 x1 + x2^2, plus a per-group offset the ranking must ignore.
        func ranking(groups: Int, seed: UInt64) -> TrainingData {
            var rng = TestRandom(seed)
            var x: [Float] = [], y: [Float] = []
            for _ in 0..<groups {
                let offset = 10 * rng.normal()
                for _ in 0..<32 {
                    let row = (0..<5).map { _ in rng.uniform(-1, 1) }
                    x += row
                    y.append(3 * row[0] - 2 * row[1] + row[2] * row[2] + offset)
                }
            }
            return TrainingData(features: x, featureCount: 5, labels: y, groupSizes: Array(repeating: 32, count: groups))
        }
        let train = ranking(groups: 60, seed: 4), test = ranking(groups: 20, seed: 5)
        let model = try GradientBoostedTrees.train(
            on: train, parameters: .init(objective: .pairwiseRank, rounds: 100, maxDepth: 4), schemaVersion: 1)
        let scores = model.predict(rowMajor: test.features)
        var worst = 1.0, total = 0.0
        for g in 0..<20 {
            let range = g * 32..<(g + 1) * 32
            let rho = spearman(Array(scores[range]), Array(test.labels[range]))
            worst = min(worst, rho)
            total += rho
        }
        #expect(total / 20 > 0.9, "mean within-group Spearman \(total / 20)")
        #expect(worst > 0.75, "worst group Spearman \(worst)")
    }

    @Test func rankingSamplesPairsInLargeGroups() throws {
        // One group of 1,000 rows: more than `exhaustivePairLimit`, so each row
        // meets a seeded sample of partners per round instead of all 999.
        let train = makeRegression(rows: 1000, features: 4, seed: 15) { 2 * $0[0] - $0[1] }
        var data = train
        data.groupSizes = [1000]
        let test = makeRegression(rows: 500, features: 4, seed: 16) { 2 * $0[0] - $0[1] }
        let p = GradientBoostingParameters(objective: .pairwiseRank, rounds: 60, maxDepth: 4, seed: 9)
        let model = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        let rho = spearman(model.predict(rowMajor: test.features), test.labels)
        #expect(rho > 0.9, "Spearman \(rho)")
        #expect(try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1).trees == model.trees)
    }

    @Test func packSumRecoversPerProgramSums() throws {
        // Each program has 1-4 rows (its stores); its label is the sum over its
        // rows of v(row) = 2 x0 + x1^2. Only the sums are ever seen.
        func programs(_ count: Int, seed: UInt64) -> (TrainingData, perRow: [Float]) {
            var rng = TestRandom(seed)
            var x: [Float] = [], labels: [Float] = [], sizes: [Int] = [], perRow: [Float] = []
            for _ in 0..<count {
                let size = 1 + Int(rng.next() % 4)
                var sum: Float = 0
                for _ in 0..<size {
                    let row = (0..<3).map { _ in rng.uniform(-1, 1) }
                    let v = 2 * row[0] + row[1] * row[1]
                    x += row
                    perRow.append(v)
                    sum += v
                }
                labels.append(sum)
                sizes.append(size)
            }
            return (TrainingData(features: x, featureCount: 3, labels: labels, groupSizes: sizes,
                                 weights: Array(repeating: 1, count: count)), perRow)
        }
        let (train, _) = programs(1500, seed: 6)
        let (test, perRow) = programs(300, seed: 7)
        let model = try GradientBoostedTrees.train(
            on: train, parameters: .init(objective: .packSum, rounds: 200, maxDepth: 4, learningRate: 0.1), schemaVersion: 1)
        // Programs: a program = its rows, score = sum.
        var rows: [ProgramFeatures] = []
        var next = 0
        for size in test.groupSizes! {
            rows.append((next..<next + size).map { test.row($0) })
            next += size
        }
        let sums = model.predict(rows)
        let error = rmse(sums, test.labels)
        #expect(error < 0.15 * standardDeviation(test.labels), "program-sum RMSE \(error)")
        // The per-row function itself is learned, not only the sums.
        let rowError = rmse(model.predict(rowMajor: test.features), perRow)
        #expect(rowError < 0.2 * standardDeviation(perRow), "per-row RMSE \(rowError)")
    }

    @Test func rowSharesCountACopiedStoreOnce() throws {
        // Programs of 1-3 stores, v(row) = 2 x0 + x1^2 each; a store may be
        // copied 1-3 times (as tile partitions copy stores), the copies'
        // shares (column 3) summing to 1. Labels are sums over stores.
        func programs(_ count: Int, seed: UInt64) -> (programs: [ProgramFeatures], labels: [Float]) {
            var rng = TestRandom(seed)
            var result: [ProgramFeatures] = [], labels: [Float] = []
            for _ in 0..<count {
                var program: ProgramFeatures = [], sum: Float = 0
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let x = (0..<3).map { _ in rng.uniform(-1, 1) }
                    sum += 2 * x[0] + x[1] * x[1]
                    let copies = 1 + Int(rng.next() % 3)
                    let cuts = (0..<copies).map { _ in rng.uniform(0.1, 1) }
                    for cut in cuts { program.append(x + [cut / cuts.reduce(0, +)]) }
                }
                result.append(program)
                labels.append(sum)
            }
            return (result, labels)
        }
        func data(_ p: (programs: [ProgramFeatures], labels: [Float])) -> TrainingData {
            TrainingData(rows: p.programs.flatMap { $0 }, labels: p.labels, groupSizes: p.programs.map(\.count),
                         weights: Array(repeating: 1, count: p.labels.count))
        }
        let train = programs(1500, seed: 6), test = programs(300, seed: 7)
        let parameters = GradientBoostingParameters(objective: .packSum, rounds: 200, maxDepth: 4, learningRate: 0.1, rowShareColumn: 3)
        let model = try GradientBoostedTrees.train(on: data(train), parameters: parameters, schemaVersion: 1)
        let error = rmse(model.predict(test.programs), test.labels)
        #expect(error < 0.15 * standardDeviation(test.labels), "program-sum RMSE \(error)")
        // Splitting a store into more copies leaves its program's score as it was.
        let program = test.programs[0]
        var split: ProgramFeatures = []
        for row in program {
            let x = Array(row.prefix(3))
            split.append(x + [row[3] * 0.25])
            split.append(x + [row[3] * 0.75])
        }
        let scores = model.predict([program, split])
        #expect(abs(scores[0] - scores[1]) <= 1e-4 * max(1, abs(scores[0])), "\(scores)")
        // Without shares the copies count in full, and the sums are far off.
        var plain = parameters
        plain.rowShareColumn = nil
        let plainModel = try GradientBoostedTrees.train(on: data(train), parameters: plain, schemaVersion: 1)
        #expect(rmse(plainModel.predict(test.programs), test.labels) > 2 * error)
        #expect(throws: HoneError.self) {
            var bad = parameters
            bad.rowShareColumn = 4
            _ = try GradientBoostedTrees.train(on: data(train), parameters: bad, schemaVersion: 1)
        }
    }

    @Test func isDeterministicForASeedAndAnyThreadCount() throws {
        let data = makeRegression(rows: 2000, features: 12, seed: 8, noise: 0.3) { $0[0] * $0[1] + $0[2] }
        var p = GradientBoostingParameters(rounds: 30, rowSubsample: 0.7, columnSubsample: 0.6, seed: 42)
        let a = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        let b = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        #expect(a.trees == b.trees)
        #expect(a.baseScore == b.baseScore)
        p.threads = 2
        let c = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        #expect(a.trees == c.trees, "2 threads must grow the same trees as 1")
        p.threads = 3
        let e = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        #expect(a.trees == e.trees, "3 threads must grow the same trees as 1")
        p.threads = 1
        p.seed = 43
        let d = try GradientBoostedTrees.train(on: data, parameters: p, schemaVersion: 1)
        #expect(a.trees != d.trees, "another seed samples other rows and features")

        var q = GradientBoostingParameters(rounds: 20, maxDepth: 30, maxLeaves: 12, rowSubsample: 0.8, seed: 3)
        let l1 = try GradientBoostedTrees.train(on: data, parameters: q, schemaVersion: 1)
        q.threads = 2
        let l2 = try GradientBoostedTrees.train(on: data, parameters: q, schemaVersion: 1)
        #expect(l1.trees == l2.trees, "leaf-wise growth too")
    }

    @Test func earlyStoppingStopsAndKeepsTheBestRound() throws {
        // Pure noise: the validation error stops improving almost at once.
        let train = makeRegression(rows: 500, features: 5, seed: 9, noise: 1) { _ in 0 }
        let valid = makeRegression(rows: 500, features: 5, seed: 10, noise: 1) { _ in 0 }
        let model = try GradientBoostedTrees.train(
            on: train, validation: valid, parameters: .init(rounds: 500, learningRate: 0.5, earlyStoppingRounds: 5), schemaVersion: 1)
        let best = try #require(model.bestRound)
        #expect(model.trees.count == best + 1)
        #expect(model.trees.count < 100, "stopped after \(model.trees.count) trees")
        #expect(model.validationHistory.count == best + 1 + 5)
        let bestMetric = model.validationHistory[best]
        #expect(model.validationHistory.allSatisfy { $0 >= bestMetric })
        // The kept model scores exactly the best round's validation RMSE.
        #expect(abs(rmse(model.predict(rowMajor: valid.features), valid.labels) - bestMetric) < 1e-5)
    }

    @Test func rowAndColumnSubsamplingWork() throws {
        let data = makeRegression(rows: 3000, features: 10, seed: 11) { $0[0] + $0[3] - $0[7] }
        let test = makeRegression(rows: 500, features: 10, seed: 12) { $0[0] + $0[3] - $0[7] }
        let full = try GradientBoostedTrees.train(on: data, parameters: .init(rounds: 80, maxDepth: 3), schemaVersion: 1)
        let sampled = try GradientBoostedTrees.train(
            on: data, parameters: .init(rounds: 80, maxDepth: 3, rowSubsample: 0.5, columnSubsample: 0.3, seed: 5), schemaVersion: 1)
        // Each tree splits on at most round(0.3 * 10) = 3 features...
        var used = Set<Int32>()
        for tree in sampled.trees {
            let features = Set(tree.feature.filter { $0 >= 0 })
            #expect(features.count <= 3)
            used.formUnion(features)
        }
        // ...different trees on different ones, and the model still fits.
        #expect(used.isSuperset(of: [0, 3, 7]))
        #expect(sampled.trees != full.trees)
        let error = rmse(sampled.predict(rowMajor: test.features), test.labels)
        #expect(error < 0.25 * standardDeviation(test.labels), "RMSE with subsampling \(error)")
        // Row subsampling: a leaf's value comes from the sampled rows only, so
        // a tree on half the rows differs from the same tree on all of them.
        let oneFull = try GradientBoostedTrees.train(on: data, parameters: .init(rounds: 1, maxDepth: 2), schemaVersion: 1)
        let oneHalf = try GradientBoostedTrees.train(on: data, parameters: .init(rounds: 1, maxDepth: 2, rowSubsample: 0.5), schemaVersion: 1)
        #expect(oneFull.trees[0].value != oneHalf.trees[0].value)
    }

    @Test func predictsAHandBuiltTree() throws {
        // root: x1 > 0.5 ? (x0 > -2 ? 20 : 10) : 1
        let tree = RegressionTree(feature: [1, -1, 0, -1, -1], threshold: [0.5, 0, -2, 0, 0],
                                  left: [1, -1, 3, -1, -1], right: [2, -1, 4, -1, -1], value: [0, 1, 0, 10, 20])
        let model = try GradientBoostedTrees(trees: [tree, .leaf(0.25)], baseScore: 0.5, featureCount: 2, schemaVersion: 1)
        #expect(model.predict([0, 0.3]) == 1.75)
        #expect(model.predict([0, 0.5]) == 1.75, "x == threshold goes left")
        #expect(model.predict([-3, 0.7]) == 10.75)
        #expect(model.predict([0, 0.7]) == 20.75)
        #expect(model.predict([0, .nan]) == 1.75, "NaN goes left")
        #expect(model.predict(rows: [[0, 0.3], [-3, 0.7], [0, 0.7]]) == [1.75, 10.75, 20.75])
        #expect(model.predict([[[0, 0.3], [0, 0.7]], [[-3, 0.7]], []]) == [22.5, 10.75, 0])
        #expect(tree.depth == 2)
        #expect(model.trees[1].depth == 0)
    }

    @Test func batchAndSingleRowPredictionAgreeBitForBit() throws {
        let data = makeRegression(rows: 1000, features: 6, seed: 13, noise: 0.1) { $0[0] * 3 + $0[5] }
        let model = try GradientBoostedTrees.train(on: data, parameters: .init(rounds: 40), schemaVersion: 1)
        let batch = model.predict(rowMajor: data.features)
        for r in stride(from: 0, to: data.rowCount, by: 7) { #expect(batch[r] == model.predict(data.row(r))) }
    }

    @Test func rejectsMalformedInputsWithClearErrors() throws {
        let data = makeRegression(rows: 50, features: 3, seed: 14) { $0[0] }
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as HoneError { return e.message } catch { return "\(error)" }
            return ""
        }
        var bad = data
        bad.labels.removeLast()
        #expect(message { _ = try GradientBoostedTrees.train(on: bad, schemaVersion: 1) }.contains("49 labels for 50 rows"))
        #expect(message { _ = try GradientBoostedTrees.train(on: data, parameters: .init(earlyStoppingRounds: 3), schemaVersion: 1) }
            .contains("needs a validation set"))
        #expect(message { _ = try GradientBoostedTrees.train(on: data, parameters: .init(objective: .pairwiseRank), schemaVersion: 1) }
            .contains("needs groupSizes"))
        #expect(message { _ = try GradientBoostedTrees.train(on: data, parameters: .init(bins: 1000), schemaVersion: 1) }
            .contains("bins must be in 2...256"))
        let loop = RegressionTree(feature: [0, -1], threshold: [0, 0], left: [1, -1], right: [0, -1], value: [0, 1])
        #expect(message { _ = try GradientBoostedTrees(trees: [loop], featureCount: 1, schemaVersion: 1) }.contains("invalid child"))
    }
}
