import HoneIR

// The register tile of the current store: what its micro-kernel, the
// innermost loops that become one straight-line block, keeps in vector
// registers, against the machine's register file. Those loops are the
// unrolled and vectorized ones, and the small serial loops of constant
// extent around them, which LLVM's O3 unrolls fully itself (a tile written
// as `for y in 0..<8 { vectorized f }` runs as 8 accumulators). A tile of
// accumulators that fits stays in registers across the reduction loops
// around it; one that does not spills on every step. The buffer columns
// cannot say this: they count bytes and lines, and a 7x64 tile of floats
// (56 AVX2 registers) and a 4x16 one (8) both fit in L1.

extension FeatureExtractor {
    /// Writes the `reg.*` columns of `row`. The write is `accesses[0]` when `hasWrite`.
    mutating func writeRegisterTile(row: Int, hasWrite: Bool, elementBytes: Double) {
        let base = row + FeatureSchema.registerTileOffset
        let registerCount = Double(registers.count)
        // The micro-kernel: the innermost loops, outwards, while unrolled or
        // vectorized, or serial of a constant extent that keeps the copies
        // of the store under what LLVM unrolls fully.
        var first = depth, copies = 1.0
        while first > 0 {
            let loop = loops[first - 1]
            if loop.kind == .vectorized {
                copies *= registersSpanned(lanes: loop.extent, elementBytes: elementBytes)
            } else if loop.kind == .unrolled || (loop.kind == .serial && loop.hasConstantExtent
                                                 && copies * loop.extent <= Self.fullyUnrolledCopies) {
                copies *= loop.extent
            } else {
                break
            }
            first -= 1
        }
        if let vector = (first..<depth).last(where: { loops[$0].kind == .vectorized }) {
            rows[base] = slog(registersSpanned(lanes: loops[vector].extent, elementBytes: elementBytes))
        }
        var operands = 0.0
        for a in accesses.indices where !(a == 0 && hasWrite) {
            operands += registersHeld(by: accesses[a], from: first)
        }
        rows[base + 2] = slog(operands / registerCount)
        guard hasWrite else { return }
        let write = accesses[0]
        rows[base + 1] = slog(registersHeld(by: write, from: first) / registerCount)
        // Updates of each accumulator between its load and its store: the
        // micro-kernel's loops that leave the written address where it is
        // (a vectorized one reduces across lanes instead), then the serial
        // loops just outside it that do too.
        var reuse = 1.0
        for level in first..<depth where write.levels & levelBit(level) == 0 && loops[level].kind != .vectorized {
            reuse *= loops[level].extent
        }
        var level = first - 1
        while level >= 0 && write.levels & levelBit(level) == 0 && loops[level].kind != .parallel {
            reuse *= loops[level].extent
            level -= 1
        }
        rows[base + 3] = slog(reuse)
    }

    /// Copies of a store's vector instruction up to which a loop around them
    /// is taken to be unrolled fully by LLVM: its O3 threshold is a cost of
    /// 300, about 64 copies of a load, a multiply-add and an address.
    static let fullyUnrolledCopies = 64.0

    /// Vector registers one access keeps live across the micro-kernel
    /// (loops `first...`): one per distinct element it reaches along the
    /// micro-kernel's loops that move it, times the registers a vector of it
    /// spans when the vectorized loop moves it (a broadcast takes one).
    private func registersHeld(by access: StoreAccess, from first: Int) -> Double {
        let elementBytes = buffers[access.buffer].elementBytes
        var held = 1.0
        for level in first..<depth where access.levels & levelBit(level) != 0 {
            let extent = loops[level].extent
            held *= loops[level].kind == .vectorized ? registersSpanned(lanes: extent, elementBytes: elementBytes) : extent
        }
        return held
    }

    private func registersSpanned(lanes: Double, elementBytes: Double) -> Double {
        (lanes * elementBytes / Double(registers.vectorBytes)).rounded(.up)
    }
}
