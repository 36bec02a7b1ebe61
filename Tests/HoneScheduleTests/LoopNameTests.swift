import Testing
import Hone
import HoneTestSupport

/// The names steps give what they create are the names `LoopName` and
/// `StageName` spell, so rules that generate steps can rely on them.
@Suite struct LoopNameTests {
    @Test func splitHandsBackTheLoopsItMakes() throws {
        var state = ScheduledKernel(try ShippedKernels.load("gemm", ["M": 8, "N": 8, "K": 8]))
        let loops = try state.split(stage: "C", loop: "i", factors: [2, 2])
        #expect(loops == (0...2).map { LoopName.split("i", level: $0) })
        #expect(state.state(of: "C")!.loops.map(\.name) == loops + ["j", "k"])
        let inner = try state.split(stage: "C", loop: loops[2], factors: [2])
        #expect(inner == ["i.2.0", "i.2.1"])
        #expect(LoopName.isSplit(inner[1], from: "i") && !LoopName.isSplit("ii", from: "i"))
    }

    @Test func fusedLoopsAndAddedStagesAreNamedAsSpelled() throws {
        var state = ScheduledKernel(try ShippedKernels.load("gemm", ["M": 8, "N": 8, "K": 8]))
        try state.apply(.cacheWrite(stage: "C"))
        try state.apply(.pack(tensor: "B", dimension: 1, block: 4))
        try state.apply(.fuse(stage: "C", loops: ["i", "j"]))
        #expect(state.state(of: "C")!.loops.map(\.name) == [LoopName.fused(["i", "j"])])
        #expect(state.state(of: StageName.local("C")) != nil)
        let packed = try #require(state.state(of: StageName.packed("B")))
        #expect(packed.loops.first?.name == LoopName.packBlock && packed.loops.last?.name == LoopName.packLane)
        #expect(StageName.isLocal(StageName.local("C")) && StageName.isPacked(StageName.packed("B")))
    }
}
