import Foundation
import Testing
@testable import Hone

let smallGemmSource = """
    # a small gemm for measurement tests
    kernel gemm
    param M = 12, N = 16, K = 8
    input  A: f32[M, K]
    input  B: f32[K, N]
    output C: f32[M, N]
    C[i, j] = sum(k < K) A[i, k] * B[k, j]
    """

/// Fast timing for tests: a short protocol.
let quickTiming = TimingOptions(warmupRuns: 1, repeats: 2, minRepeatSeconds: 0.001)
