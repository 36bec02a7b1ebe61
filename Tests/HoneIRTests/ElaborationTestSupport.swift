import Testing
@testable import HoneIR

/// The error elaborating `source` raises, or nil when it elaborates.
func kernelError(_ source: String, overrides: [String: Int] = [:]) -> HoneError? {
    do {
        _ = try Kernel.parse(source, file: "t.hone", overrides: overrides)
        return nil
    } catch {
        return error
    }
}

/// Expects `source` to fail at `line:column` (or "none") with a message containing `fragment`.
func expectKernelError(_ source: String, at position: String, _ fragment: String, overrides: [String: Int] = [:],
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let error = kernelError(source, overrides: overrides) else {
        Issue.record("expected an error containing \"\(fragment)\"", sourceLocation: sourceLocation)
        return
    }
    let where_ = error.location.map { "\($0.line):\($0.column)" } ?? "none"
    #expect(where_ == position, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    if let location = error.location {
        #expect(location.file == "t.hone", sourceLocation: sourceLocation)
    }
}

/// A small gemm-shaped kernel whose last line (line 6) is `definition`.
func gemmLike(_ definition: String) -> String {
    """
    kernel t
    param M = 4, N = 5, K = 3
    input  A: f32[M, K]
    input  B: f32[K, N]
    output C: f32[M, N]
    \(definition)
    """
}
