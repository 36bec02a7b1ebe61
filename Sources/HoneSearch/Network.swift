import Foundation
import HoneIR
import HoneMeasure

/// A network as Hone tunes it: its distinct operators (tasks), each a
/// kernel file at fixed parameters, with how many times it occurs in one
/// inference. The estimated latency of the network is the sum over tasks of
/// count x the task's time; operators not listed (reshapes, additions fused
/// elsewhere) are not counted.
public struct Network: Sendable {
    /// An identifier: the library is `libNAME.a`, every function `NAME_LABEL`.
    public var name: String
    /// The file it was read from.
    public var path: String
    /// The comment that opens the file (what network, which paper).
    public var summary: String
    public var tasks: [NetworkTask]

    public init(name: String, path: String, summary: String = "", tasks: [NetworkTask]) {
        self.name = name
        self.path = path
        self.summary = summary
        self.tasks = tasks
    }

    /// Reads and checks a network file (see `parseNetwork`).
    public static func load(path: String) throws -> Network {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw HoneError("cannot read network file \(path): \(error.localizedDescription)")
        }
        return try parseNetwork(text, file: path)
    }

    /// Sum over tasks of count x FLOPs of one run.
    public var flops: Double { tasks.reduce(0) { $0 + $1.expectedCost } }
}

/// One distinct operator of a network.
public struct NetworkTask: Sendable {
    /// The label the file gives it (unique in the network; part of the C symbol).
    public var label: String
    /// How many times it runs in one inference.
    public var count: Int
    /// The kernel at the task's parameters, with its identity (what records are keyed by).
    public var task: MeasureTask
    /// Where the task's line is, for messages.
    public var location: SourceLocation

    public init(label: String, count: Int, task: MeasureTask, location: SourceLocation) {
        self.label = label
        self.count = count
        self.task = task
        self.location = location
    }

    public var kernel: Kernel { task.kernel }
    /// FLOPs of one run.
    public var flops: Double { Double(max(KernelCost(task.kernel).flops, 1)) }
    /// What a share of tasks is balanced by: FLOPs x count (tuning time grows with both).
    public var expectedCost: Double { flops * Double(count) }
    /// The function's name in the library: `NETWORK_LABEL`.
    public func symbol(in network: String) -> String { "\(network)_\(label)" }
}

/// Splits tasks into `count` shares of about equal expected cost (their
/// `cost`s), for machines that tune one share each: the largest task goes
/// to the lightest share first (LPT), ties to the lower share. Every task is
/// in exactly one share; each share lists its tasks in their original order.
public func balancedShares(costs: [Double], count: Int) -> [[Int]] {
    precondition(count >= 1, "a split needs at least one share")
    var shares = [[Int]](repeating: [], count: count)
    var load = [Double](repeating: 0, count: count)
    let order = costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    for i in order {
        let lightest = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
        shares[lightest].append(i)
        load[lightest] += costs[i]
    }
    return shares.map { $0.sorted() }
}

/// Parses a network file.
///
/// The format, line by line (`#` starts a comment; blank lines are ignored):
///
///     # resnet18: ResNet-18 at batch 1, 224x224 (He et al., 2016)
///     network resnet18
///     kernels ../Kernels
///     stem:   conv2d_general_bias_relu C=3 H=224 W=224 F=64 KH=7 KW=7 S=2 P=3   x 1
///     l1:     conv2d_bias_relu C=64 H=56 W=56 F=64                             x 4
///
/// - `network NAME` names the network (default: the file's name);
/// - `kernels FOLDER` is where kernel names are looked up, relative to the
///   network file (default `../Kernels`); a kernel written as a path
///   (`foo/bar.hone`) is taken relative to the network file;
/// - a task line is `LABEL: KERNEL NAME=VALUE... x COUNT` (`x COUNT` may be
///   left out for 1). Parameters not given keep the kernel file's defaults.
///
/// Errors carry file:line:column: a missing kernel file, a parameter the
/// kernel does not have, a count of zero, a label used twice, a task that
/// repeats another's kernel and parameters (add to its count instead).
public func parseNetwork(_ text: String, file: String) throws -> Network {
    let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
    var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    var kernels = folder.appendingPathComponent("../Kernels").standardizedFileURL
    var summary: [String] = []
    var inSummary = true
    var tasks: [NetworkTask] = []
    var seenKeys: [String: Int] = [:]

    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let lineNumber = index + 1
        let line = String(rawLine)
        if inSummary, line.hasPrefix("#") {
            summary.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
            continue
        }
        inSummary = false
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let words = networkWords(code)
        guard let first = words.first else { continue }
        func at(_ word: NetworkWord) -> SourceLocation { SourceLocation(file: file, line: lineNumber, column: word.column) }

        switch first.text {
        case "network":
            guard words.count == 2, isIdentifier(words[1].text) else {
                throw HoneError("expected `network NAME` with NAME an identifier", at: at(first))
            }
            guard tasks.isEmpty else { throw HoneError("`network` must come before the first task", at: at(first)) }
            name = words[1].text
        case "kernels":
            guard words.count == 2 else { throw HoneError("expected `kernels FOLDER`", at: at(first)) }
            kernels = relative(words[1].text, to: folder)
        default:
            guard first.text.hasSuffix(":"), isIdentifier(String(first.text.dropLast())) else {
                throw HoneError("expected `LABEL: KERNEL NAME=VALUE... x COUNT`, `network NAME` or `kernels FOLDER`", at: at(first))
            }
            let label = String(first.text.dropLast())
            if let other = tasks.first(where: { $0.label == label }) {
                throw HoneError("the label \(label) is already used on line \(other.location.line)", at: at(first))
            }
            guard words.count >= 2 else { throw HoneError("expected a kernel after \(first.text)", at: at(first)) }
            let kernelWord = words[1]
            let kernelPath = kernelWord.text.contains("/") || kernelWord.text.hasSuffix(".hone")
                ? relative(kernelWord.text, to: folder).path
                : kernels.appendingPathComponent(kernelWord.text + ".hone").path
            guard FileManager.default.fileExists(atPath: kernelPath) else {
                throw HoneError("no kernel file \(kernelPath) for \(kernelWord.text)", at: at(kernelWord))
            }
            let source: String
            do {
                source = try String(contentsOfFile: kernelPath, encoding: .utf8)
            } catch {
                throw HoneError("cannot read kernel file \(kernelPath): \(error.localizedDescription)", at: at(kernelWord))
            }
            let declared = Set(try parseKernel(source, file: kernelPath).parameters.map(\.name))

            var overrides: [String: Int] = [:]
            var count = 1
            var rest = words.dropFirst(2)
            while let word = rest.popFirst() {
                if word.text == "x" || (word.text.hasPrefix("x") && Int(word.text.dropFirst()) != nil) {
                    let countWord = word.text == "x" ? rest.popFirst() : NetworkWord(text: String(word.text.dropFirst()), column: word.column + 1)
                    guard let countWord, let value = Int(countWord.text) else {
                        throw HoneError("expected a count after x", at: at(word))
                    }
                    guard value > 0 else { throw HoneError("the count of \(label) must be at least 1, got \(value)", at: at(countWord)) }
                    count = value
                    if let extra = rest.first { throw HoneError("unexpected \(extra.text) after the count", at: at(extra)) }
                    break
                }
                let parts = word.text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let value = Int(parts[1]) else {
                    throw HoneError("expected NAME=VALUE (an integer) or `x COUNT`, got \(word.text)", at: at(word))
                }
                let parameter = String(parts[0])
                guard declared.contains(parameter) else {
                    throw HoneError("\(kernelWord.text) has no parameter \(parameter) (it has \(declared.sorted().joined(separator: ", ")))", at: at(word))
                }
                guard overrides[parameter] == nil else { throw HoneError("\(parameter) is set twice", at: at(word)) }
                guard value >= 0 else { throw HoneError("parameter \(parameter) must be non-negative, got \(value)", at: at(word)) }
                overrides[parameter] = value
            }

            let location = at(first)
            let task: MeasureTask
            do {
                task = try MeasureTask(spec: KernelSpec(source: source, file: kernelPath, overrides: overrides))
            } catch let error as HoneError {
                throw HoneError("\(label): \(error.description)", at: location)
            }
            if let line = seenKeys[task.identity.key] {
                throw HoneError("\(label) has the same kernel and parameters as line \(line); add to that task's count instead", at: location)
            }
            seenKeys[task.identity.key] = lineNumber
            tasks.append(NetworkTask(label: label, count: count, task: task, location: location))
        }
    }
    guard !tasks.isEmpty else { throw HoneError("\(file): the network has no task (lines `LABEL: KERNEL NAME=VALUE... x COUNT`)") }
    return Network(name: name, path: file, summary: summary.joined(separator: "\n"), tasks: tasks)
}

/// `path` as written in a network file: absolute, or relative to the file's folder.
private func relative(_ path: String, to folder: URL) -> URL {
    path.hasPrefix("/") ? URL(fileURLWithPath: path).standardizedFileURL : folder.appendingPathComponent(path).standardizedFileURL
}

private struct NetworkWord {
    var text: String
    /// 1-based.
    var column: Int
}

/// The whitespace-separated words of a line with their columns.
private func networkWords(_ line: String) -> [NetworkWord] {
    var words: [NetworkWord] = []
    var current = "", start = 0
    for (i, ch) in line.enumerated() {
        if ch == " " || ch == "\t" || ch == "\r" {
            if !current.isEmpty { words.append(NetworkWord(text: current, column: start + 1)) }
            current = ""
        } else {
            if current.isEmpty { start = i }
            current.append(ch)
        }
    }
    if !current.isEmpty { words.append(NetworkWord(text: current, column: start + 1)) }
    return words
}

private func isIdentifier(_ text: String) -> Bool {
    guard let first = text.first, first.isLetter || first == "_" else { return false }
    return text.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }
}
