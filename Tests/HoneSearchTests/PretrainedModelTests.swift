import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// The model a tune starts from: loaded, or refused with a reason while the run goes on.
@Suite struct PretrainedModelTests {
    @Test func theShippedModelScoresEverySketchOfEveryKernel() throws {
        let (trees, warning) = PretrainedModel.load(.pretrained)
        let model = try #require(trees, "\(warning ?? "")")
        #expect(model.schemaVersion == FeatureSchema.version)
        for name in ShippedKernels.names {
            let kernel = try ShippedKernels.tiny(name)
            let space = SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2)
            var rng = SplitMix64(seed: 7)
            var covered = Set<Int>()
            var programs: [ProgramFeatures] = []
            var extractor = FeatureExtractor(registers: HostTarget.host.registers, threads: 2)
            for _ in 0..<200 where covered.count < space.sketches.count {
                let candidate = space.sample(&rng)
                guard !covered.contains(candidate.sketch),
                      let nest = try? lower(kernel, schedule: space.schedule(for: candidate)) else { continue }
                covered.insert(candidate.sketch)
                programs.append(extractor.extract(nest))
            }
            #expect(covered.count == space.sketches.count, "\(name): \(covered.count) of \(space.sketches.count) sketches lowered")
            let scores: [Float] = model.predict(programs)
            #expect(scores.count == programs.count && scores.allSatisfy(\.isFinite), "\(name)")
        }
    }

    @Test func aCorruptOrStaleModelFileIsRefusedWithAReason() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corrupt = directory.appendingPathComponent("corrupt.json")
        try Data("{\"format\": \"hone-gradient-boosted-trees\", \"formatVersion\": 1, \"schemaVersion\": \(FeatureSchema.version), \"trees\": 3}".utf8)
            .write(to: corrupt)
        let (none, reason) = PretrainedModel.load(.file(corrupt.path))
        #expect(none == nil && reason?.contains("corrupt") == true, "\(reason ?? "")")

        // A model of another feature schema reads the wrong columns: refused, naming both versions.
        let data = TrainingData(rows: [[1, 2], [3, 4], [5, 6]], labels: [1, 0, 0.5], groupSizes: [1, 1, 1])
        let trees = try GradientBoostedTrees.train(on: data, parameters: .init(objective: .packSumRank, rounds: 2),
                                                   schemaVersion: FeatureSchema.version - 1)
        let stale = directory.appendingPathComponent("stale.json")
        try trees.save(to: stale)
        let (refused, why) = PretrainedModel.load(.file(stale.path))
        #expect(refused == nil && why?.contains("schema version \(FeatureSchema.version - 1)") == true, "\(why ?? "")")
        #expect(PretrainedModel.load(.file(directory.appendingPathComponent("missing.json").path)).warning?.contains("cannot read") == true)
        #expect(PretrainedModel.load(.none).trees == nil && PretrainedModel.load(.none).warning == nil)
    }

    @Test func aPriorScoresBeforeTrainingAndAddsToTheOwnModelAfter() throws {
        let rows: [ProgramFeatures] = (0..<40).map { i in [[Float(i % 7), Float(i % 5)]] }
        let labels = rows.map { Float($0[0][0]) / 6 }
        let prior = try TreeCostModel.pretrain([(rows, labels)], parameters: .init(objective: .packSumRank, rounds: 20, maxDepth: 3))
        let model = TreeCostModel(minimumPrograms: 16, seed: 1, threads: 1, prior: prior)
        model.parameters.rowShareColumn = nil  // two-column rows, without the schema's share column
        #expect(model.isTrained)
        #expect(model.predict(rows) == prior.predict(rows))
        try model.update(programs: rows, relativeThroughput: labels)
        let own = try #require(model.trees)
        // 40 of the programs after which the prior no longer counts.
        let weight = Float(1 - 40.0 / Double(model.priorFadePrograms))
        #expect(model.predict(rows) == zip(own.predict(rows), prior.predict(rows)).map { $0 + weight * $1 })
        let copies = model.priorFadePrograms / rows.count + 1  // past the fade
        try model.update(programs: Array(repeating: rows, count: copies).flatMap { $0 },
                         relativeThroughput: Array(repeating: labels, count: copies).flatMap { $0 })
        #expect(model.predict(rows) == model.trees!.predict(rows))
    }
}
