import Foundation
import Hone

/// One row of the suite file (Benchmarks/suite.tsv): an operator at one
/// shape, and the baselines that compute the same thing.
public struct SuiteRow: Sendable {
    /// Unique, e.g. "C2D-2"; names the records and tuned-schedule files.
    public var id: String
    /// The operator group of Ansor's benchmark (GMM, C1D, C2D, ...) or the
    /// subgraph or pipeline (CBR, SFM, LN, TBG, BLUR, HARRIS).
    public var group: String
    /// A kernel file name in Kernels/, without ".hone".
    public var kernel: String
    /// The --set overrides, e.g. ["M": 512, "N": 512, "K": 512].
    public var parameters: [(String, Int)]
    /// In the default suite, or only in BENCH_SUITE=full.
    public var inDefaultSuite: Bool
    public var baselines: [BaselineKind]

    public init(id: String, group: String, kernel: String, parameters: [(String, Int)], inDefaultSuite: Bool, baselines: [BaselineKind]) {
        self.id = id
        self.group = group
        self.kernel = kernel
        self.parameters = parameters
        self.inDefaultSuite = inDefaultSuite
        self.baselines = baselines
    }

    /// "M=512,N=512,K=512", as `--set` takes it.
    public var setArgument: String { parameters.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }
    public var overrides: [String: Int] { Dictionary(uniqueKeysWithValues: parameters) }
}

/// Reads the suite file: tab-separated columns id, group, kernel,
/// parameters, suite (default or full), baselines (comma-separated, or -);
/// '#' starts a comment line. Errors name the line.
public func loadSuite(path: String) throws -> [SuiteRow] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw HoneError("cannot read the suite file \(path)") }
    var rows: [SuiteRow] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
        func fail(_ message: String) -> HoneError { HoneError("\(path):\(number + 1): \(message)") }
        let columns = line.split(separator: "\t", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.count == 6 else { throw fail("expected 6 tab-separated columns (id, group, kernel, parameters, suite, baselines), found \(columns.count)") }
        var parameters: [(String, Int)] = []
        do {
            let parsed = try parseParameterOverrides(columns[3])
            // Keep the file's order, which is the kernel's.
            for item in columns[3].split(separator: ",") {
                let name = String(item.split(separator: "=")[0]).trimmingCharacters(in: .whitespaces)
                parameters.append((name, parsed[name]!))
            }
        } catch {
            throw fail(error.message)
        }
        guard columns[4] == "default" || columns[4] == "full" else { throw fail("suite must be 'default' or 'full', not '\(columns[4])'") }
        var baselines: [BaselineKind] = []
        if columns[5] != "-" {
            for name in columns[5].split(separator: ",") {
                guard let kind = BaselineKind(rawValue: String(name)) else {
                    throw fail("unknown baseline '\(name)'; expected " + BaselineKind.allCases.map(\.rawValue).joined(separator: ", ") + " or -")
                }
                baselines.append(kind)
            }
        }
        if rows.contains(where: { $0.id == columns[0] }) { throw fail("row id \(columns[0]) appears twice") }
        rows.append(SuiteRow(id: columns[0], group: columns[1], kernel: columns[2], parameters: parameters,
                             inDefaultSuite: columns[4] == "default", baselines: baselines))
    }
    return rows
}
