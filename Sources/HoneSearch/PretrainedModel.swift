import Foundation
import HoneCostModel
import HoneIR

/// Which model a tune starts from: its scores rank the first batch, before
/// the run has measured anything, and keep counting beside the model the
/// run trains on its own records.
public enum ModelSource: Hashable, Sendable, CustomStringConvertible {
    /// The model shipped with Hone (`PretrainedModel.fileName`), trained on
    /// the records of many kernels (`make pretrained-model`).
    case pretrained
    /// None: the first batches are random samples.
    case none
    /// A model file (`hone-gradient-boosted-trees` JSON).
    case file(String)

    /// `pretrained`, `none` or a path.
    public init(argument: String) {
        switch argument {
        case "pretrained": self = .pretrained
        case "none": self = .none
        default: self = .file(argument)
        }
    }

    public var description: String {
        switch self {
        case .pretrained: "pretrained"
        case .none: "none"
        case .file(let path): path
        }
    }
}

/// Finding and reading the model a tune starts from.
public enum PretrainedModel {
    public static let fileName = "pretrained-model.json"

    /// The trees, or nil with the one-line reason they cannot be used (a
    /// missing, corrupt or stale file); a tuning run warns and goes on without them.
    public static func load(_ source: ModelSource) -> (trees: GradientBoostedTrees?, warning: String?) {
        let url: URL
        switch source {
        case .none: return (nil, nil)
        case .file(let path): url = URL(fileURLWithPath: path)
        case .pretrained:
            guard let shipped = shippedFile() else {
                return (nil, "the pretrained model (\(fileName)) is not beside this binary")
            }
            url = shipped
        }
        do {
            return (try GradientBoostedTrees.load(from: url, expectedSchemaVersion: FeatureSchema.version), nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    /// The shipped file: in the resource folder SwiftPM copies beside the
    /// binary (looked up by hand, since `Bundle.module` traps when the
    /// folder is missing, as it is for a binary copied elsewhere).
    static func shippedFile() -> URL? {
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let folder = executable.deletingLastPathComponent()
        for bundle in ["Hone_HoneSearch.resources"] {
            let candidate = folder.appendingPathComponent(bundle).appendingPathComponent(fileName)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
