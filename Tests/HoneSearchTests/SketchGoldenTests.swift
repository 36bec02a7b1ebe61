import Foundation
import Testing
import Hone
import HoneTestSupport

/// The design space of the sketch rules, pinned: every sketch of a kernel,
/// replayed at fixed decisions, with its steps and its lowered loop nest
/// (`hone ir --emit loops`). A rule that changes a sketch's structure fails
/// here even when the answers stay right. `HONE_UPDATE_GOLDEN=1` rewrites
/// the files in Golden/.
@Suite struct SketchGoldenTests {
    static let kernels: [(name: String, overrides: [String: Int])] = [
        ("gemm", ["M": 8, "N": 16, "K": 4]),
        ("conv2d", ["N": 1, "C": 2, "H": 4, "W": 4, "F": 8]),
        ("softmax", ["M": 4, "N": 8]),
        // The only one of these with a producer fused into its consumer's tiles.
        ("conv2d_bias_relu", ["N": 1, "C": 2, "H": 4, "W": 4, "F": 8]),
    ]

    @Test(arguments: kernels.map(\.name))
    func sketchesKeepTheirLoopNests(name: String) throws {
        let overrides = Self.kernels.first { $0.name == name }!.overrides
        let kernel = try ShippedKernels.load(name, overrides)
        let space = SketchSpaceText(space: SearchSpace(kernel: kernel, vectorLanes: 8, threads: 2), overrides: overrides)
        let text = onLargeStack { space.text }
        let file = repositoryRoot.appendingPathComponent("Tests/HoneSearchTests/Golden/\(name).txt")
        if ProcessInfo.processInfo.environment["HONE_UPDATE_GOLDEN"] == "1" {
            try text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(golden == text, "\(file.path) differs (HONE_UPDATE_GOLDEN=1 rewrites it):\n\(lineDifference(golden, text))")
    }
}

/// Decisions picked from the decision kinds alone: the first or the last
/// option of every choice, and tile factors that differ per level (so a
/// factor read from the wrong level shows).
private enum Pick: String, CaseIterable {
    case first, last

    func value(_ kind: DecisionKind) -> [Int] {
        switch kind {
        case .tile(_, _, _, let levels, let vector):
            let innerFirst = [vector ? 4 : 2, 3, 2, 2]
            return Array(innerFirst.prefix(levels).reversed())
        case .location(_, let options): return [self == .first ? 0 : options.count - 1]
        case .unroll: return [self == .first ? 0 : DecisionKind.unrollSteps.count - 1]
        case .parallel(_, let loops): return [self == .first ? 0 : loops.count]
        case .rfactor(_, _, let extent): return [min(4, extent)]
        }
    }
}

/// The golden text of a search space: per sketch and pick, the steps (one
/// JSON object a line) and the loop nest, or why it does not lower.
private struct SketchSpaceText {
    let space: SearchSpace
    let overrides: [String: Int]

    var text: String {
        let parameters = overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        var out = "# \(space.kernel.name) --set \(parameters): \(space.sketches.count) sketches\n"
        for (index, sketch) in space.sketches.enumerated() {
            for pick in Pick.allCases {
                let candidate = Candidate(sketch: index, decisions: sketch.decisions.map(pick.value))
                out += "\n## sketch \(index) \"\(sketch.name)\", \(pick.rawValue) choices\n"
                out += "decisions: \(candidate.decisions)\n"
                let schedule = space.schedule(for: candidate)
                out += "steps:\n" + schedule.steps.map { "  " + json($0) + "\n" }.joined()
                do {
                    out += "nest:\n\(try lower(space.kernel, schedule: schedule))"
                } catch {
                    out += "does not lower: \(error)\n"
                }
            }
        }
        return out
    }

    private func json(_ step: Step) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(step), as: UTF8.self)
    }
}

/// The first differing line of two texts, with a few lines of context, as a diff shows it.
private func lineDifference(_ expected: String, _ actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    let context = max(0, first - 3)
    var lines = ["@@ line \(first + 1) @@"]
    lines += a[context..<first].map { "  \($0)" }
    lines += a[first..<min(a.count, first + 6)].map { "- \($0)" }
    lines += b[first..<min(b.count, first + 6)].map { "+ \($0)" }
    return lines.joined(separator: "\n")
}

/// `body`'s result, computed on a thread with a 64 MB stack: lowering
/// recurses once per loop and expression level, deeper than the small
/// stack of a test's thread allows for some nests.
private func onLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let result = ResultSlots<T>(count: 1)
    ParallelRunner(threads: 1, largeStacks: true).run(tasks: 1) { _ in result[0] = body() }
    return result[0]!
}
