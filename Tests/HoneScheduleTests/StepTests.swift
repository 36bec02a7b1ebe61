import Foundation
import Testing
@testable import Hone
@testable import HoneSchedule
import HoneTestSupport

/// Each step on its own, on small shapes with tails: the compiled code must
/// compute what the interpreter computes, and the loop nest must show the step.
@Suite struct StepTests {
    let compiler: Compiler

    init() throws { compiler = try Compiler() }

    /// Runs `kernel` under `steps`, expects the interpreter's output, and returns the nest.
    @discardableResult
    func checked(_ kernel: Kernel, _ steps: [Step], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> LoopNest {
        let schedule = Schedule(steps)
        let result = try run(kernel, schedule, compiler: compiler)
        let passed = result.passed
        #expect(passed, "\(describe(kernel, schedule, result))", sourceLocation: sourceLocation)
        return result.nest
    }

    func gemm(_ m: Int, _ n: Int, _ k: Int) throws -> Kernel { try ShippedKernels.load("gemm", ["M": m, "N": n, "K": k]) }
    func conv2d(c: Int = 3, h: Int = 5, w: Int = 6, f: Int = 4) throws -> Kernel {
        try ShippedKernels.load("conv2d", ["N": 1, "C": c, "H": h, "W": w, "F": f])
    }

    // MARK: split

    @Test(arguments: [
        // (M, factors, loops of the split with their extents, whether a guard is left)
        (8, [4], ["i.0": 2, "i.1": 4], false),  // divides
        (7, [4], ["i.0": 2, "i.1": 4], true),  // does not divide: a tail
        (13, [2, 3], ["i.0": 3, "i.1": 2, "i.2": 3], true),  // multi-level, not dividing
        (12, [2, 3], ["i.0": 2, "i.1": 2, "i.2": 3], false),  // multi-level, dividing
        (5, [8], ["i.1": 5], false),  // larger than the extent: the loop stops where the guard would
        (5, [1], ["i.0": 5], false),  // factor 1 (i.1 runs once: a `let`)
    ])
    func split(m: Int, factors: [Int], loops expected: [String: Int], guarded: Bool) throws {
        let nest = try checked(try gemm(m, 6, 5), [.split(stage: "C", loop: "i", factors: factors)])
        let loops = allLoops(nest.body)
        for (name, extent) in expected {
            #expect(loops.contains { $0.variable == name && $0.extent == .index(extent) }, "\(name) should run \(extent) times:\n\(nest)")
        }
        #expect(!loops.contains { $0.variable == "i" })
        #expect(containsCondition(nest.body) == guarded, "\(nest)")
    }

    @Test func splitOfAReductionLoopAndOfAnIntermediate() throws {
        try checked(try gemm(4, 5, 11), [.split(stage: "C", loop: "k", factors: [4])])
        try checked(try conv2d(), [.split(stage: "padded", loop: "w", factors: [3]), .split(stage: "Y", loop: "c", factors: [2])])
    }

    // MARK: reorder and fuse

    @Test func reorderPutsTheLoopsInTheGivenOrder() throws {
        let nest = try checked(try gemm(5, 6, 7), [.reorder(stage: "C", order: ["k", "j", "i"])])
        // The initialization follows the order of the spatial loops.
        #expect(allLoops(nest.body).map(\.variable) == ["j", "i", "k", "j", "i"])
    }

    @Test func reorderOfSplitLoopsInterleavesThem() throws {
        let nest = try checked(try gemm(7, 10, 3), [
            .split(stage: "C", loop: "i", factors: [2]), .split(stage: "C", loop: "j", factors: [4]),
            .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"]),
        ])
        // Every copy of the update (tiles with and without tails) runs in that
        // order; in a tail tile, a loop left with one iteration is a `let`.
        let order = ["i.0", "j.0", "k", "i.1", "j.1"]
        let updates = stores(in: nest.body).filter { $0.buffer == "C" && $0.reads.contains("C") }.map { $0.loops.map(\.variable) }
        #expect(updates.contains(order), "\(updates)")
        for update in updates { #expect(update == order.filter(update.contains)) }
    }

    @Test func fuseOfSpatialLoops() throws {
        let nest = try checked(try gemm(5, 7, 3), [.fuse(stage: "C", loops: ["i", "j"])])
        #expect(allLoops(nest.body).contains { $0.variable == "i@j" && $0.extent == .index(35) })
    }

    @Test func fuseOfReductionLoops() throws {
        let nest = try checked(try conv2d(), [.fuse(stage: "Y", loops: ["c", "r", "s"])])
        #expect(allLoops(nest.body).contains { $0.variable == "c@r@s" && $0.extent == .index(27) })
    }

    @Test func fuseOfSplitParts() throws {
        let nest = try checked(try gemm(7, 5, 3), [
            .split(stage: "C", loop: "i", factors: [3]), .reorder(stage: "C", order: ["i.0", "k", "i.1", "j"]),
            .fuse(stage: "C", loops: ["i.1", "j"]),
        ])
        #expect(allLoops(nest.body).contains { $0.variable == "i.1@j" && $0.extent == .index(15) })
    }

    /// The search fuses outer tile loops into its parallel loop, and with a
    /// batch of 1 some have one iteration: such a part is the constant 0, not
    /// `(v / inner) % 1`, which point counting would see as non-affine.
    @Test func fusedPartsOfExtentOneAreZero() throws {
        let kernel = try gemm(1, 12, 3)
        let steps: [Step] = [
            .split(stage: "C", loop: "j", factors: [4]), .reorder(stage: "C", order: ["j.0", "i", "k", "j.1"]),
            .fuse(stage: "C", loops: ["j.0", "i"]),
            .parallel(stage: "C", loop: "j.0@i"),
        ]
        try checked(kernel, steps)
        let layout = try #require(try ScheduledKernel(kernel, schedule: Schedule(steps)).state(of: "C")).layout(extents: [1, 12])
        #expect(layout.derivations["i"] == .index(0))
        #expect(layout.derivations["j.0"] == .indexVar("j.0@i"))
    }

    // MARK: annotations

    @Test(arguments: [
        // (N, split factor or 0, vectorized loop, lanes)
        (16, 8, "j.1", 8),  // divides
        (13, 8, "j.1", 8),  // tail: masked lanes
        (7, 0, "j", 7),  // odd extent, no split
        (5, 0, "j", 5),
        (20, 0, "j", 20),  // not a power of two, several registers
        (64, 0, "j", 64),  // the most lanes
        (3, 16, "j.1", 16),  // more lanes than the extent
    ])
    func vectorize(n: Int, factor: Int, loop: String, lanes: Int) throws {
        var steps: [Step] = factor > 0 ? [.split(stage: "C", loop: "j", factors: [factor])] : []
        steps.append(.vectorize(stage: "C", loop: loop))
        let nest = try checked(try gemm(3, n, 4), steps)
        #expect(allLoops(nest.body).contains { $0.kind == .vectorized && $0.variable == loop && $0.extent == .index(lanes) }, "\(nest)")
    }

    /// A vectorized outer loop: the lanes walk down columns (strided loads and
    /// stores: gathers and scatters), with and without a tail.
    @Test(arguments: [4, 5, 20])
    func vectorizeAnOuterLoop(m: Int) throws {
        let nest = try checked(try gemm(m, 3, 2), [.vectorize(stage: "C", loop: "i")])
        #expect(allLoops(nest.body).contains { $0.kind == .vectorized && $0.variable == "i" })
    }

    /// Found by the fuzzer: 20 lanes of gathers under a mask whose upper
    /// lanes are constant false made LLVM 19 emit `vgatherqps` with the same
    /// register as index and destination, an illegal instruction (SIGILL).
    /// Gathers and scatters now run at a power-of-two width.
    @Test func gathersOfTwentyLanesUnderAConstantMask() throws {
        let blur = try ShippedKernels.load("blur3x3", ["H": 4, "W": 8])
        let steps: [Step] = [
            .split(stage: "blur_y", loop: "y", factors: [1, 2, 32]), .split(stage: "blur_y", loop: "y.2", factors: [1, 1, 4]),
            .reorder(stage: "blur_y", order: ["y.2.1", "y.1", "x", "y.2.2", "y.2.0", "y.3", "y.2.3", "y.0"]),
            .fuse(stage: "blur_y", loops: ["x", "y.2.2", "y.2.0"]), .split(stage: "blur_x", loop: "x", factors: [10]),
            .split(stage: "blur_x", loop: "x.1", factors: [4, 5]), .fuse(stage: "blur_x", loops: ["x.1.0", "x.1.1", "x.1.2"]),
            .computeAt(stage: "blur_x", consumer: "blur_y", loop: "y.3"), .unrollMaxStep(stage: "blur_x", maxStep: 4),
            .vectorize(stage: "blur_x", loop: "x.1.0@x.1.1@x.1.2"), .vectorize(stage: "blur_y", loop: "y.0"),
        ]
        let assembly = try compiler.assembly(try lower(blur, schedule: Schedule(steps)))
        // Where gathers are slow (znver1, for one) LLVM scalarizes them: then there is no gather to check.
        let gathers = assembly.split(separator: "\n").filter { $0.contains("gather") || $0.contains("scatter") }
        let clash = try Regex(#"\(,?%[xyz]mm(\d+)(,\d)?\), %[xyz]mm\1 "#)
        // (Checked before running, which would kill the test process.)
        try #require(!gathers.contains { $0.contains(clash) }, "\(gathers.joined(separator: "\n"))")
        try checked(blur, steps)
    }

    @Test func vectorizeElementwiseStagesWithSelectsAndCalls() throws {
        try checked(try conv2d(), [.split(stage: "padded", loop: "w", factors: [4]), .vectorize(stage: "padded", loop: "w.1")])
        let softmax = try ShippedKernels.load("softmax", ["M": 3, "N": 11])
        let nest = try checked(softmax, [.vectorize(stage: "e", loop: "j"), .vectorize(stage: "Y", loop: "j"),
                                         .split(stage: "rowmax", loop: "i", factors: [2]), .vectorize(stage: "rowmax", loop: "i.1")])
        #expect(Set(allLoops(nest.body).filter { $0.kind == .vectorized }.map(\.variable)) == ["e.j", "j", "rowmax.i.1"])
    }

    @Test(arguments: [("k", 5), ("j", 6), ("i", 3)])
    func unroll(loop: String, extent: Int) throws {
        let nest = try checked(try gemm(3, 6, 5), [.unroll(stage: "C", loop: loop)])
        #expect(allLoops(nest.body).contains { $0.kind == .unrolled && $0.variable == loop && $0.extent == .index(extent) })
    }

    @Test func unrollWithATail() throws {
        let nest = try checked(try gemm(3, 7, 5), [.split(stage: "C", loop: "j", factors: [4]), .unroll(stage: "C", loop: "j.1")])
        #expect(allLoops(nest.body).contains { $0.kind == .unrolled && $0.variable == "j.1" })
    }

    /// Innermost loops are unrolled while the product of their extents stays within the step.
    @Test(arguments: [(0, [String]()), (5, ["k"]), (16, ["k"]), (30, ["k", "j"]), (119, ["k", "j"]), (120, ["k", "j", "i"])])
    func unrollMaxStep(maxStep: Int, unrolled: [String]) throws {
        let nest = try checked(try gemm(4, 6, 5), [.unrollMaxStep(stage: "C", maxStep: maxStep)])
        let update = Array(allLoops(nest.body).suffix(3))  // i, j, k
        #expect(Set(update.filter { $0.kind == .unrolled }.map(\.variable)) == Set(unrolled), "\(nest)")
    }

    @Test(arguments: [["i"], ["j"], ["i", "j"]])
    func parallel(loops: [String]) throws {
        let nest = try checked(try gemm(9, 7, 5), loops.map { .parallel(stage: "C", loop: $0) })
        for loop in loops {
            #expect(allLoops(nest.body).contains { $0.kind == .parallel && $0.variable == loop })
        }
        #expect(nest.body.containsParallelLoop)
    }

    @Test func parallelOfAFusedLoopAndOfEveryStage() throws {
        try checked(try gemm(9, 7, 5), [.fuse(stage: "C", loops: ["i", "j"]), .parallel(stage: "C", loop: "i@j")])
        let softmax = try ShippedKernels.load("softmax", ["M": 5, "N": 9])
        let nest = try checked(softmax, ["rowmax", "e", "rowsum", "Y"].map { .parallel(stage: $0, loop: "i") })
        #expect(allLoops(nest.body).filter { $0.kind == .parallel }.count == 6)  // two nests per reduction
    }

    // MARK: compute locations

    @Test(arguments: [
        // (loop of Y, region of padded) for C=3, H=5, W=6: padded is [1, 3, 7, 8]
        ("n", [1, 3, 7, 8]), ("f", [1, 3, 7, 8]), ("y", [1, 3, 3, 8]), ("x", [1, 3, 3, 3]),
        ("c", [1, 1, 3, 3]), ("r", [1, 1, 1, 3]), ("s", [1, 1, 1, 1]),
    ])
    func computeAtALoopOfTheConvolution(loop: String, region: [Int]) throws {
        let nest = try checked(try conv2d(), [.computeAt(stage: "padded", consumer: "Y", loop: loop)])
        let padded = allocations(nest.body).filter { $0.buffer.name == "padded" }
        try #require(padded.count == 1, "\(nest)")
        #expect(padded[0].buffer.shape == region)
        // (n runs once: no loop is left of it.)
        #expect(padded[0].loops.last == (loop == "n" ? nil : loop), "allocated inside loop \(loop): \(padded[0].loops)")
    }

    @Test(arguments: [("y", [3, 5]), ("x", [3, 1])])
    func computeAtALoopOfTheBlur(loop: String, region: [Int]) throws {
        let blur = try ShippedKernels.load("blur3x3", ["H": 6, "W": 5])
        let nest = try checked(blur, [.computeAt(stage: "blur_x", consumer: "blur_y", loop: loop)])
        let allocated = allocations(nest.body).filter { $0.buffer.name == "blur_x" }
        try #require(allocated.count == 1)
        #expect(allocated[0].buffer.shape == region)
        #expect(allocated[0].buffer.memory == .stack)
    }

    /// Tiles of the blur whose regions run past the image's end (a tail), and
    /// a region too large for the stack, computed inside a parallel loop.
    @Test func computeAtTilesWithTailsAndOnTheHeap() throws {
        let blur = try ShippedKernels.load("blur3x3", ["H": 7, "W": 5])
        try checked(blur, [.split(stage: "blur_y", loop: "y", factors: [3]),
                           .computeAt(stage: "blur_x", consumer: "blur_y", loop: "y.0")])
        let wide = try ShippedKernels.load("blur3x3", ["H": 5, "W": 20_000])
        let nest = try checked(wide, [.parallel(stage: "blur_y", loop: "y"), .computeAt(stage: "blur_x", consumer: "blur_y", loop: "y")])
        let allocated = allocations(nest.body).filter { $0.buffer.name == "blur_x" }
        #expect(allocated.map(\.buffer.shape) == [[3, 20_000]])
        #expect(allocated.map(\.buffer.memory) == [.heap])
    }

    @Test func computeAtChainsThroughThreeStages() throws {
        let kernel = try ShippedKernels.load("conv2d_bias_relu", ["N": 1, "C": 2, "H": 5, "W": 7, "F": 3])
        let nest = try checked(kernel, [
            .computeAt(stage: "conv", consumer: "Y", loop: "y"), .computeAt(stage: "padded", consumer: "conv", loop: "x"),
            .split(stage: "Y", loop: "x", factors: [4]), .vectorize(stage: "Y", loop: "x.1"),
        ])
        #expect(allocations(nest.body).map(\.buffer.name) == ["conv", "padded"])
    }

    /// Harris's gray image and gradients each have two readers. Computed at
    /// a strip of the response, beside the box sums that read them, each
    /// region covers what all its readers' regions read: whole rows, with
    /// the windows' extra rows, whether the box sums are computed per strip
    /// or per tile of it.
    @Test(arguments: [("y.0", [3, 9]), ("x.0", [3, 4])])
    func computeAtAStripOfEveryReader(boxLoop: String, box: [Int]) throws {
        let harris = try ShippedKernels.load("harris", ["H": 7, "W": 9])
        var steps: [Step] = [.split(stage: "response", loop: "y", factors: [3]), .split(stage: "response", loop: "x", factors: [4]),
                             .reorder(stage: "response", order: ["y.0", "x.0", "y.1", "x.1"])]
        steps += ["Sxy", "Syy", "Sxx"].map { .computeAt(stage: $0, consumer: "response", loop: boxLoop) }
        steps += ["Iy", "Ix", "gray"].map { .computeAt(stage: $0, consumer: "response", loop: "y.0") }
        steps += [.vectorize(stage: "response", loop: "x.1"), .parallel(stage: "response", loop: "y.0")]
        let nest = try checked(harris, steps)
        // (Each side of the strip's partition allocates its own.)
        let shapes = Dictionary(allocations(nest.body).map { ($0.buffer.name, $0.buffer.shape) }) { first, _ in first }
        #expect(shapes == ["gray": [7, 13], "Ix": [5, 11], "Iy": [5, 11], "Sxx": box, "Syy": box, "Sxy": box], "\(nest)")
    }

    /// Every reader of a stage computed at a loop must be computed there or inside it.
    @Test func computeAtNeedsEveryReaderInside() throws {
        let harris = try ShippedKernels.load("harris", ["H": 7, "W": 9])
        let split: [Step] = [.split(stage: "response", loop: "y", factors: [3])]
        let atRoot = split + [.computeAt(stage: "Sxx", consumer: "response", loop: "y.0"), .computeAt(stage: "Ix", consumer: "response", loop: "y.0")]
        #expect(throws: ScheduleError.self) { try ScheduledKernel(harris, schedule: Schedule(atRoot)) }
        let outside = split + [.computeAt(stage: "Sxx", consumer: "response", loop: "y.0"), .computeAt(stage: "Sxy", consumer: "response", loop: "y.0"),
                               .computeAt(stage: "Ix", consumer: "response", loop: "y.1")]
        #expect(throws: ScheduleError.self) { try ScheduledKernel(harris, schedule: Schedule(outside)) }
        // A later step that moves a reader out is caught when the schedule is lowered.
        let moved = outside.dropLast() + [.computeAt(stage: "Ix", consumer: "response", loop: "y.0"), .computeRoot(stage: "Sxy")]
        #expect(throws: ScheduleError.self) { try lower(ScheduledKernel(harris, schedule: Schedule(Array(moved)))) }
    }

    @Test func computeInlineRemovesTheStage() throws {
        let nest = try checked(try conv2d(), [.computeInline(stage: "padded")])
        #expect(allocations(nest.body).isEmpty)
        #expect(!nest.description.contains("padded"))
        let softmax = try ShippedKernels.load("softmax", ["M": 4, "N": 7])
        let inlined = try checked(softmax, [.computeInline(stage: "e")])
        #expect(allocations(inlined.body).map(\.buffer.name).sorted() == ["rowmax", "rowsum"])
        // The last word wins: a stage computed at a consumer's loop can still be inlined.
        let moved = try checked(try conv2d(), [.computeAt(stage: "padded", consumer: "Y", loop: "x"), .computeInline(stage: "padded")])
        #expect(allocations(moved.body).isEmpty)
    }

    @Test func computeRootUndoesComputeAt() throws {
        let nest = try checked(try conv2d(), [.computeAt(stage: "padded", consumer: "Y", loop: "y"), .computeRoot(stage: "padded")])
        let padded = allocations(nest.body).filter { $0.buffer.name == "padded" }
        #expect(padded.map(\.buffer.shape) == [[1, 3, 7, 8]])
        #expect(padded.map(\.loops) == [[]])
    }

    // MARK: cache_write

    @Test(arguments: [
        // (loop of C the accumulators are computed at, their region); nil: at root
        (String?.none, [6, 10]), ("i", [1, 10]), ("j", [1, 1]), ("j.0", [1, 4]), ("i.0", [2, 10]),
    ])
    func cacheWrite(at loop: String?, region: [Int]) throws {
        var steps: [Step] = [.cacheWrite(stage: "C")]
        if loop == "j.0" { steps.append(.split(stage: "C", loop: "j", factors: [4])) }  // 10 = 4 + 4 + 2: a tail
        if loop == "i.0" { steps.append(.split(stage: "C", loop: "i", factors: [2])) }
        if let loop { steps.append(.computeAt(stage: "C.local", consumer: "C", loop: loop)) }
        let nest = try checked(try gemm(6, 10, 5), steps)
        let local = allocations(nest.body).filter { $0.buffer.name == "C.local" }
        // (A tile with a tail is a second copy of the tile.)
        #expect(!local.isEmpty && local.allSatisfy { $0.buffer.shape == region }, "\(nest)")
    }

    /// The register tile of the hand-written gemm schedule, shrunk.
    @Test func cacheWriteAsARegisterTile() throws {
        try checked(try gemm(7, 20, 6), [
            .cacheWrite(stage: "C"), .split(stage: "C", loop: "i", factors: [3]), .split(stage: "C", loop: "j", factors: [8]),
            .reorder(stage: "C", order: ["i.0", "j.0", "i.1", "j.1"]), .computeAt(stage: "C.local", consumer: "C", loop: "j.0"),
            .reorder(stage: "C.local", order: ["k", "i", "j"]), .unroll(stage: "C.local", loop: "i"),
            .vectorize(stage: "C.local", loop: "j"), .vectorize(stage: "C", loop: "j.1"), .parallel(stage: "C", loop: "i.0"),
        ])
    }

    @Test func cacheWriteKeepsTheStagesComputeLocation() throws {
        let kernel = try ShippedKernels.load("conv2d_bias_relu", ["N": 1, "C": 2, "H": 5, "W": 6, "F": 3])
        let nest = try checked(kernel, [.computeAt(stage: "conv", consumer: "Y", loop: "y"), .cacheWrite(stage: "conv")])
        let conv = allocations(nest.body).filter { $0.buffer.name == "conv" }
        #expect(conv.map(\.buffer.shape) == [[1, 1, 1, 6]])
        #expect(conv.map { $0.loops.last } == ["y"])
    }

    // MARK: rfactor

    @Test(arguments: [(8, 4), (7, 3), (7, 7), (5, 16), (6, 1)])
    func rfactor(k: Int, factor: Int) throws {
        let nest = try checked(try gemm(3, 4, k), [.rfactor(stage: "C", loop: "k", factor: factor)])
        #expect(allocations(nest.body).map(\.buffer.shape) == [[3, 4, factor]])
    }

    /// rfactor gives a reduction to a scalar a spatial loop to parallelize and vectorize.
    @Test(arguments: [4, 5])
    func rfactorOfAFullReduction(factor: Int) throws {
        let norm = try ShippedKernels.load("norm", ["M": 7, "N": 9])
        let vectorized = try checked(norm, [
            .rfactor(stage: "out_sum0", loop: "j", factor: factor), .reorder(stage: "out_sum0.rf", order: ["i", "j.0", "j.1"]),
            .vectorize(stage: "out_sum0.rf", loop: "j.1"),
        ])
        #expect(allocations(vectorized.body).map(\.buffer.shape).contains([factor]))
        #expect(allLoops(vectorized.body).contains { $0.kind == .vectorized && $0.variable == "out_sum0.rf.j.1" })
        let parallel = try checked(norm, [
            .rfactor(stage: "out_sum0", loop: "j", factor: factor), .reorder(stage: "out_sum0.rf", order: ["j.1", "i", "j.0"]),
            .parallel(stage: "out_sum0.rf", loop: "j.1"),
        ])
        #expect(allLoops(parallel.body).contains { $0.kind == .parallel && $0.variable == "out_sum0.rf.j.1" })
    }

    @Test func rfactorOfAMaxReduction() throws {
        let softmax = try ShippedKernels.load("softmax", ["M": 3, "N": 11])
        try checked(softmax, [.rfactor(stage: "rowmax", loop: "j", factor: 4), .rfactor(stage: "rowsum", loop: "j", factor: 3)])
    }

    // MARK: pack

    @Test(arguments: [(1, 4, 8, [2, 5, 4]), (1, 4, 7, [2, 5, 4]), (0, 2, 7, [3, 7, 2]), (1, 16, 7, [1, 5, 16])])
    func packOfGemmsB(dimension: Int, block: Int, n: Int, shape: [Int]) throws {
        let nest = try checked(try gemm(3, n, 5), [.pack(tensor: "B", dimension: dimension, block: block)])
        #expect(allocations(nest.body).map(\.buffer.shape) == [shape])
        #expect(nest.description.contains("B.packed["))
    }

    @Test func packOfAnIntermediateStage() throws {
        let nest = try checked(try conv2d(), [.pack(tensor: "padded", dimension: 3, block: 3)])
        // (Each side of the strip's partition allocates its own.)
        let shapes = Dictionary(allocations(nest.body).map { ($0.buffer.name, $0.buffer.shape) }) { first, _ in first }
        #expect(shapes == ["padded": [1, 3, 7, 8], "padded.packed": [3, 1, 3, 7, 3]])
    }

    @Test func packedPanelsComputedAtTheConsumer() throws {
        let nest = try checked(try gemm(5, 12, 4), [
            .pack(tensor: "B", dimension: 1, block: 4), .split(stage: "C", loop: "j", factors: [4]),
            .reorder(stage: "C", order: ["j.0", "i", "k", "j.1"]), .computeAt(stage: "B.packed", consumer: "C", loop: "j.0"),
            .vectorize(stage: "C", loop: "j.1"),
        ])
        #expect(allocations(nest.body).map(\.buffer.shape) == [[1, 4, 4]])
    }

    // MARK: deinterleave

    func conv1d(l: Int, s: Int, k: Int, p: Int) throws -> Kernel {
        try ShippedKernels.load("conv1d", ["N": 1, "L": l, "CI": 3, "CO": 4, "S": s, "K": k, "P": p])
    }

    /// Phases of any stride, dividing the extent or not, read by windows
    /// of any width: every read finds its point.
    @Test(arguments: [(8, 2, 1, 0), (9, 2, 3, 1), (10, 3, 3, 1), (7, 2, 5, 2), (6, 1, 3, 1)])
    func deinterleaveOfAStridedInput(l: Int, s: Int, k: Int, p: Int) throws {
        let stride = max(s, 2)
        let nest = try checked(try conv1d(l: l, s: s, k: k, p: p), [.deinterleave(tensor: "padded", dimension: 2, stride: stride)])
        let padded = l + 2 * p
        // (Each side of the strip's partition allocates its own.)
        let shapes = Dictionary(allocations(nest.body).map { ($0.buffer.name, $0.buffer.shape) }) { first, _ in first }
        #expect(shapes["padded.phases"] == [stride, 1, 3, (padded + stride - 1) / stride])
    }

    /// A 1x1 window of stride 2 reads one phase, at unit stride along the
    /// output: computed at a tile of the output, the copy holds just that
    /// phase and that tile's columns.
    @Test func deinterleavedPhaseComputedAtATile() throws {
        let nest = try checked(try conv1d(l: 32, s: 2, k: 1, p: 0), [
            .deinterleave(tensor: "padded", dimension: 2, stride: 2), .computeInline(stage: "padded"),
            .split(stage: "Y", loop: "l", factors: [8]), .reorder(stage: "Y", order: ["n", "l.0", "o", "c", "r", "l.1"]),
            .computeAt(stage: "padded.phases", consumer: "Y", loop: "l.0"), .vectorize(stage: "Y", loop: "l.1"),
        ])
        #expect(allocations(nest.body).map(\.buffer.shape) == [[1, 1, 3, 8]], "\(nest)")
        let update = try #require(updateStore(of: "Y", in: nest.body))
        let phases = loads(of: "padded.phases", in: update.value)
        #expect(phases.count == 1 && phases[0].first == .index(0) && phases[0].last == .indexVar("l.1"), "\(nest)")
    }

    /// A 3x3 window of stride 2 reads both phases of the padded input: at a
    /// tile of 4 output columns, the copy holds both phases of the window's
    /// 3 rows, 4 + 1 columns each, and the tile reads them at unit stride.
    @Test func deinterleavedWindowOfStrideTwo() throws {
        let kernel = try ShippedKernels.load("conv2d_general", ["N": 1, "C": 2, "H": 9, "W": 17, "F": 3, "KH": 3, "KW": 3, "S": 2, "P": 1])
        let nest = try checked(kernel, [
            .deinterleave(tensor: "padded", dimension: 3, stride: 2), .computeInline(stage: "padded"),
            .split(stage: "Y", loop: "x", factors: [4]), .reorder(stage: "Y", order: ["n", "f", "y", "x.0", "c", "r", "s", "x.1"]),
            .computeAt(stage: "padded.phases", consumer: "Y", loop: "x.0"), .unroll(stage: "Y", loop: "s"), .vectorize(stage: "Y", loop: "x.1"),
        ])
        let shapes = allocations(nest.body).map(\.buffer.shape)
        #expect(!shapes.isEmpty && shapes.allSatisfy { $0 == [2, 1, 2, 3, 5] }, "\(nest)")
        let update = try #require(updateStore(of: "Y", in: nest.body))
        #expect(loads(of: "padded.phases", in: update.value).allSatisfy { AffineForm($0.last!, atoms: .indexExpressions)?.terms.contains { $0.atom == .indexVar("x.1") && $0.coefficient == 1 } == true }, "\(nest)")
    }

    // MARK: storage_order

    /// The channel-vectorized convolution, shrunk: weights packed by filter
    /// blocks, a register tile of filters x columns vectorized over filters.
    func channelVectorized(block: Int, columns: Int, storage: [String]?) -> [Step] {
        [.pack(tensor: "Wt", dimension: 0, block: block), .cacheWrite(stage: "Y")]
            + (storage.map { [Step.storageOrder(stage: "Y.local", order: $0)] } ?? [])
            + [.split(stage: "Y", loop: "f", factors: [block]), .split(stage: "Y", loop: "x", factors: [columns]),
               .reorder(stage: "Y", order: ["n", "f.0", "y", "x.0", "f.1", "x.1"]), .fuse(stage: "Y", loops: ["f.0", "y"]),
               .parallel(stage: "Y", loop: "f.0@y"), .computeAt(stage: "Y.local", consumer: "Y", loop: "x.0"),
               .reorder(stage: "Y.local", order: ["n", "y", "c", "r", "s", "x", "f"]), .vectorize(stage: "Y.local", loop: "f"),
               .unroll(stage: "Y.local", loop: "x"), .vectorize(stage: "Y", loop: "x.1"), .unroll(stage: "Y", loop: "f.1")]
    }

    /// With the filters innermost in storage, the tile's vector lanes are
    /// contiguous, and the packed weights are read at [block, ..., lane]
    /// (the tile origin is a multiple of the block). F = 8 = 2 blocks of 4;
    /// W = 6 = columns of 4 and a tail of 2.
    @Test(arguments: [nil, ["n", "y", "x", "f"]])
    func storageOrderOfARegisterTile(storage: [String]?) throws {
        let nest = try checked(try conv2d(c: 3, h: 5, w: 6, f: 8), channelVectorized(block: 4, columns: 4, storage: storage))
        let tile = allocations(nest.body).filter { $0.buffer.name == "Y.local" }.map(\.buffer.shape)
        #expect(!tile.isEmpty && tile.allSatisfy { $0 == (storage == nil ? [1, 4, 1, 4] : [1, 1, 4, 4]) }, "\(nest)")
        let update = try #require(updateStore(of: "Y.local", in: nest.body))
        #expect((update.indices.last == .indexVar("Y.local.f")) == (storage != nil), "\(nest)")
        let weights = loads(of: "Wt.packed", in: update.value)
        #expect(weights.count == 1 && weights[0].last == .indexVar("Y.local.f"), "\(nest)")
    }

    /// Root intermediates, computed-at buffers and packed stages, in any order.
    @Test(arguments: [
        [Step.storageOrder(stage: "padded", order: ["w", "h", "c", "n"])],
        [.storageOrder(stage: "padded", order: ["n", "h", "w", "c"]), .split(stage: "padded", loop: "c", factors: [2]),
         .vectorize(stage: "padded", loop: "c.1"), .computeAt(stage: "padded", consumer: "Y", loop: "y")],
        [.pack(tensor: "Wt", dimension: 0, block: 3), .storageOrder(stage: "Wt.packed", order: ["d3", "block", "lane", "d1", "d2"])],
    ])
    func storageOrderOfOtherBuffers(steps: [Step]) throws {
        let kernel = try conv2d(c: 3, h: 5, w: 6, f: 4)
        let nest = try checked(kernel, steps)
        let plain = try lower(kernel, schedule: Schedule(steps.filter { $0.kind != "storage_order" }))
        guard case .storageOrder(let stage, let order) = steps.first(where: { $0.kind == "storage_order" })! else { return }
        let dimensions = try ScheduledKernel(kernel, schedule: Schedule(steps)).kernel.stage(named: stage)!.indexVariables
        let expected = allocations(plain.body).filter { $0.buffer.name == stage }.map { a in order.map { a.buffer.shape[dimensions.firstIndex(of: $0)!] } }
        #expect(allocations(nest.body).filter { $0.buffer.name == stage }.map(\.buffer.shape) == expected)
    }
}

/// The store that accumulates into `buffer` (the one whose value reads it).
func updateStore(of buffer: String, in stmt: Stmt) -> (indices: [Expr], value: Expr)? {
    switch stmt {
    case .loop(let loop): return updateStore(of: buffer, in: loop.body)
    case .store(let name, let indices, let value): return name == buffer && tensorsRead(by: value).contains(buffer) ? (indices, value) : nil
    case .allocate(_, let body), .letStmt(_, _, let body): return updateStore(of: buffer, in: body)
    case .ifThenElse(_, let then, let otherwise, _): return updateStore(of: buffer, in: then) ?? otherwise.flatMap { updateStore(of: buffer, in: $0) }
    case .block(let stmts): return stmts.lazy.compactMap { updateStore(of: buffer, in: $0) }.first
    }
}

/// Every store in a nest: the buffer, the loops around it and the tensors its value reads.
func stores(in stmt: Stmt, inside loops: [Loop] = []) -> [(buffer: String, loops: [Loop], reads: Set<String>)] {
    switch stmt {
    case .loop(let loop): return stores(in: loop.body, inside: loops + [loop])
    case .store(let name, _, let value): return [(name, loops, tensorsRead(by: value))]
    case .allocate(_, let body), .letStmt(_, _, let body): return stores(in: body, inside: loops)
    case .ifThenElse(_, let then, let otherwise, _): return stores(in: then, inside: loops) + (otherwise.map { stores(in: $0, inside: loops) } ?? [])
    case .block(let stmts): return stmts.flatMap { stores(in: $0, inside: loops) }
    }
}

/// Whether a statement has any conditional (a guard).
func containsCondition(_ stmt: Stmt) -> Bool {
    switch stmt {
    case .loop(let loop): return containsCondition(loop.body)
    case .store: return false
    case .allocate(_, let body), .letStmt(_, _, let body): return containsCondition(body)
    case .ifThenElse: return true
    case .block(let stmts): return stmts.contains(where: containsCondition)
    }
}
