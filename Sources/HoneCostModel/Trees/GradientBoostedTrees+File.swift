import Foundation
import HoneIR

/// The model file: JSON with a format tag, the file format's version, and
/// the feature schema version of the rows the model was trained on.
///
///     {"format": "hone-gradient-boosted-trees", "formatVersion": 1,
///      "schemaVersion": 3, "featureCount": 164, "objective": "squaredError",
///      "baseScore": 2.19, "trees": [{"feature": [...], "threshold": [...],
///      "left": [...], "right": [...], "value": [...]}, ...], ...}
extension GradientBoostedTrees {
    public static let fileFormat = "hone-gradient-boosted-trees"
    /// Bumped when the file layout changes; older files stay readable.
    public static let fileFormatVersion = 1

    private struct Header: Decodable {
        var format: String?
        var formatVersion: Int?
        var schemaVersion: Int?
    }

    private struct File: Codable {
        var format: String
        var formatVersion: Int
        var schemaVersion: Int
        var featureCount: Int
        var objective: GradientBoostingObjective
        var baseScore: Float
        var parameters: GradientBoostingParameters?
        var bestRound: Int?
        var trees: [RegressionTree]
    }

    /// The model as JSON (see the file format above).
    public func jsonData() throws -> Data {
        let file = File(format: Self.fileFormat, formatVersion: Self.fileFormatVersion, schemaVersion: schemaVersion,
                        featureCount: featureCount, objective: objective, baseScore: baseScore, parameters: parameters,
                        bestRound: bestRound, trees: trees)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(file)
    }

    /// Writes the model file (atomically).
    public func save(to url: URL) throws {
        do { try jsonData().write(to: url, options: .atomic) } catch {
            throw HoneError("cannot write model file \(url.path): \(error.localizedDescription)")
        }
    }

    /// Reads a model file, refusing one whose feature schema version is not
    /// `expectedSchemaVersion` (its trees would read the wrong features).
    public static func load(from url: URL, expectedSchemaVersion: Int) throws -> GradientBoostedTrees {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw HoneError("cannot read model file \(url.path): \(error.localizedDescription)")
        }
        return try load(jsonData: data, expectedSchemaVersion: expectedSchemaVersion, name: url.path)
    }

    /// Reads a model from JSON (see `load(from:expectedSchemaVersion:)`).
    public static func load(jsonData data: Data, expectedSchemaVersion: Int, name: String = "model") throws -> GradientBoostedTrees {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let header = try? decoder.decode(Header.self, from: data), header.format == fileFormat,
              let formatVersion = header.formatVersion, let schemaVersion = header.schemaVersion else {
            throw HoneError("\(name) is not a Hone gradient-boosted-trees model file (no \"format\": \"\(fileFormat)\" header)")
        }
        guard formatVersion <= fileFormatVersion else {
            throw HoneError("\(name) has model file format version \(formatVersion), but this Hone reads versions up to \(fileFormatVersion); update Hone")
        }
        guard schemaVersion == expectedSchemaVersion else {
            throw HoneError("\(name) was trained on feature schema version \(schemaVersion), but the features are now schema version \(expectedSchemaVersion); retrain the model")
        }
        let file: File
        do { file = try decoder.decode(File.self, from: data) } catch {
            throw HoneError("\(name) is a corrupt model file: \(error)")
        }
        guard file.featureCount > 0 else { throw HoneError("\(name): featureCount must be > 0") }
        if let c = file.parameters?.rowShareColumn, !(0..<file.featureCount).contains(c) {
            throw HoneError("\(name): rowShareColumn \(c) is not one of the \(file.featureCount) features")
        }
        for (i, tree) in file.trees.enumerated() { try tree.validate(featureCount: file.featureCount, name: "\(name): tree \(i)") }
        return GradientBoostedTrees(validated: file.trees, baseScore: file.baseScore, featureCount: file.featureCount,
                                    schemaVersion: file.schemaVersion, objective: file.objective, parameters: file.parameters,
                                    validationHistory: [], bestRound: file.bestRound)
    }
}
