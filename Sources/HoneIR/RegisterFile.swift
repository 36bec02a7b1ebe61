/// A CPU's vector registers: how wide and how many. Vector tiles are sized
/// by the width (the search's lane counts), and the cost model compares a
/// schedule's register tile with the count: past it, the accumulators spill.
public struct RegisterFile: Hashable, Sendable {
    /// Bytes of one vector register.
    public var vectorBytes: Int
    /// Vector registers the instruction set names.
    public var count: Int

    public init(vectorBytes: Int, count: Int) {
        self.vectorBytes = vectorBytes
        self.count = count
    }

    /// The registers of a CPU with these LLVM features ("+avx2,+fma,-avx512f,…"):
    /// 32 zmm with AVX-512, 16 ymm with AVX or AVX2, 32 q with NEON, else 16 xmm.
    public init(cpuFeatures: String) {
        let enabled = enabledCPUFeatures(cpuFeatures)
        if enabled.contains("avx512f") {
            self.init(vectorBytes: 64, count: 32)
        } else if enabled.contains("avx") || enabled.contains("avx2") {
            self.init(vectorBytes: 32, count: 16)
        } else if enabled.contains("neon") {
            self.init(vectorBytes: 16, count: 32)
        } else {
            self.init(vectorBytes: 16, count: 16)
        }
    }

    /// 16 registers of 32 bytes (x86-64 with AVX2): a fixed register file
    /// for tests and for features that must not depend on the machine.
    public static let avx2 = RegisterFile(vectorBytes: 32, count: 16)
}

/// The features an LLVM feature string turns on ("+avx2,-avx512f" → ["avx2"]).
public func enabledCPUFeatures(_ features: String) -> Set<Substring> {
    Set(features.split(separator: ",").filter { $0.hasPrefix("+") }.map { $0.dropFirst() })
}
