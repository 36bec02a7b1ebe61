import Foundation
import Testing
import HoneIR
@testable import HoneCostModel

@Suite struct TreeModelFileTests {
    private func trainedModel(schemaVersion: Int) throws -> (GradientBoostedTrees, TrainingData) {
        let data = makeRegression(rows: 800, features: 7, seed: 21, noise: 0.2) { $0[0] * $0[1] + sin($0[2] * 3) }
        let model = try GradientBoostedTrees.train(
            on: data, parameters: .init(rounds: 25, maxDepth: 5, rowSubsample: 0.8), schemaVersion: schemaVersion)
        return (model, data)
    }

    private func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("hone-gbt-\(UUID().uuidString).json")
    }

    @Test func saveAndLoadRoundTripGivesIdenticalPredictions() throws {
        let (model, data) = try trainedModel(schemaVersion: 41)
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let loaded = try GradientBoostedTrees.load(from: url, expectedSchemaVersion: 41)
        #expect(loaded.trees == model.trees)
        #expect(loaded.baseScore == model.baseScore)
        #expect(loaded.schemaVersion == 41)
        #expect(loaded.featureCount == 7)
        #expect(loaded.parameters == model.parameters)
        let a = model.predict(rowMajor: data.features), b = loaded.predict(rowMajor: data.features)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    @Test func rejectsAModelOfAnotherSchemaVersion() throws {
        let (model, _) = try trainedModel(schemaVersion: 41)
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let error = try #require(throws: HoneError.self) {
            _ = try GradientBoostedTrees.load(from: url, expectedSchemaVersion: 42)
        }
        #expect(error.message.contains("schema version 41"))
        #expect(error.message.contains("schema version 42"))
        #expect(error.message.contains(url.path))
        #expect(error.message.contains("retrain"))
    }

    @Test func rejectsFilesThatAreNotModelsOrAreCorrupt() throws {
        let notAModel = try #require(throws: HoneError.self) {
            _ = try GradientBoostedTrees.load(jsonData: Data(#"{"steps": []}"#.utf8), expectedSchemaVersion: 1)
        }
        #expect(notAModel.message.contains("not a Hone gradient-boosted-trees model"))

        let (model, _) = try trainedModel(schemaVersion: 1)
        var json = String(decoding: try model.jsonData(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"formatVersion\":1", with: "\"formatVersion\":99")
        let future = try #require(throws: HoneError.self) {
            _ = try GradientBoostedTrees.load(jsonData: Data(json.utf8), expectedSchemaVersion: 1)
        }
        #expect(future.message.contains("format version 99"))

        let truncated = try model.jsonData().prefix(200)
        #expect(throws: HoneError.self) { _ = try GradientBoostedTrees.load(jsonData: Data(truncated), expectedSchemaVersion: 1) }

        let missing = try #require(throws: HoneError.self) {
            _ = try GradientBoostedTrees.load(from: URL(fileURLWithPath: "/nonexistent/model.json"), expectedSchemaVersion: 1)
        }
        #expect(missing.message.contains("cannot read model file /nonexistent/model.json"))
    }

    @Test func theFileNamesItsFormatAndVersions() throws {
        let (model, _) = try trainedModel(schemaVersion: 5)
        let object = try JSONSerialization.jsonObject(with: try model.jsonData()) as? [String: Any]
        #expect(object?["format"] as? String == "hone-gradient-boosted-trees")
        #expect(object?["formatVersion"] as? Int == GradientBoostedTrees.fileFormatVersion)
        #expect(object?["schemaVersion"] as? Int == 5)
    }
}
