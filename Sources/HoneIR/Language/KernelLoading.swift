// Entry points: a kernel from a file or a string, and `--set` overrides.

import Foundation

extension Kernel {
    /// Reads, parses and elaborates a kernel file.
    public static func load(path: String, overrides: [String: Int] = [:]) throws(HoneError) -> Kernel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw HoneError("cannot read kernel file '\(path)': no such file")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw HoneError("cannot read kernel file '\(path)'")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, overrides: overrides)
    }

    /// Parses and elaborates kernel source text.
    public static func parse(_ source: String, file: String = "<string>", overrides: [String: Int] = [:]) throws(HoneError) -> Kernel {
        try elaborate(parseKernel(source, file: file), overrides: overrides)
    }
}

/// Parses parameter overrides written `M=512,N=256` (spaces around names and
/// values are allowed; an empty text sets nothing).
public func parseParameterOverrides(_ text: String) throws(HoneError) -> [String: Int] {
    var result: [String: Int] = [:]
    for item in text.split(separator: ",") {
        let trimmed = item.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw HoneError("expected NAME=VALUE in '\(trimmed)', as in M=512,N=256")
        }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic && first.isASCII,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
            throw HoneError("expected a parameter name before '=' in '\(trimmed)', as in M=512")
        }
        guard let v = Int(value) else {
            throw HoneError("expected an integer value for \(name), got '\(value)'")
        }
        guard v >= 0 else { throw HoneError("expected a non-negative value for \(name), got \(v)") }
        guard result[name] == nil else { throw HoneError("parameter \(name) is set twice") }
        result[name] = v
    }
    return result
}
