import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// Invalid steps are rejected with a message that names the step (its
/// position and kind), the stage and the reason; nothing traps.
@Suite struct ScheduleErrorTests {
    let gemm = try! ShippedKernels.load("gemm", ["M": 6, "N": 5, "K": 4])
    let conv = try! ShippedKernels.load("conv2d_bias_relu", ["N": 1, "C": 2, "H": 4, "W": 5, "F": 3])

    /// The error `steps` raise, applied (and lowered) on `kernel`.
    func error(_ kernel: Kernel, _ steps: [Step], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ScheduleError? {
        #expect(throws: ScheduleError.self, sourceLocation: sourceLocation) { try lower(kernel, schedule: Schedule(steps)) }
    }

    @Test(arguments: [
        // Names
        ([Step.split(stage: "D", loop: "i", factors: [2])],
         ScheduleError.Kind.unknownStage, "schedule step 1 (split on D): split: no stage named D (stages: C)"),
        ([.vectorize(stage: "C", loop: "q")],
         .unknownLoop, "schedule step 1 (vectorize on C): vectorize: stage C has no loop q (loops: i, j, k)"),
        ([.split(stage: "C", loop: "i", factors: [2]), .unroll(stage: "C", loop: "i")],
         .unknownLoop, "schedule step 2 (unroll on C): unroll: stage C has no loop i (loops: i.0, i.1, j, k)"),
        // Loop steps
        ([.vectorize(stage: "C", loop: "k")],
         .reductionLoop, "schedule step 1 (vectorize on C): vectorize: loop k is a reduction loop"),
        ([.parallel(stage: "C", loop: "k")],
         .reductionLoop, "schedule step 1 (parallel on C): parallel: loop k is a reduction loop; its iterations update the same values (use rfactor)"),
        ([.split(stage: "C", loop: "i", factors: [0])],
         .outOfRange, "schedule step 1 (split on C): split: factors must be positive, got [0]"),
        ([.split(stage: "C", loop: "i", factors: [])],
         .outOfRange, "schedule step 1 (split on C): split: needs at least one factor"),
        ([.parallel(stage: "C", loop: "i"), .split(stage: "C", loop: "i", factors: [2])],
         .alreadyAnnotated, "schedule step 2 (split on C): split: loop i is already parallel; split before annotating"),
        ([.reorder(stage: "C", order: ["i", "i", "k"])],
         .invalidOrder, "schedule step 1 (reorder on C): reorder: order must name every loop of C once: i, j, k; got i, i, k"),
        ([.reorder(stage: "C", order: ["k", "i"])],
         .invalidOrder, "schedule step 1 (reorder on C): reorder: order must name every loop of C once: i, j, k; got k, i"),
        ([.fuse(stage: "C", loops: ["i", "k"])],
         .invalidOrder, "schedule step 1 (fuse on C): fuse: loops i, k are not adjacent in that order"),
        ([.fuse(stage: "C", loops: ["j", "i"])],
         .invalidOrder, "schedule step 1 (fuse on C): fuse: loops j, i are not adjacent in that order"),
        ([.fuse(stage: "C", loops: ["j", "k"])],
         .reductionLoop, "schedule step 1 (fuse on C): fuse: cannot fuse a reduction loop with a spatial loop"),
        ([.vectorize(stage: "C", loop: "j"), .vectorize(stage: "C", loop: "i")],
         .alreadyAnnotated, "schedule step 2 (vectorize on C): vectorize: stage C already vectorizes loop j"),
        ([.unroll(stage: "C", loop: "j"), .parallel(stage: "C", loop: "j")],
         .alreadyAnnotated, "schedule step 2 (parallel on C): parallel: loop j is already unrolled"),
        ([.unrollMaxStep(stage: "C", maxStep: -1)],
         .outOfRange, "schedule step 1 (unroll_max_step on C): unroll_max_step: max_step must be at least 0, got -1"),
        // Kernel-level steps
        ([.cacheWrite(stage: "C"), .cacheWrite(stage: "C")],
         .alreadyApplied, "schedule step 2 (cache_write on C): cache_write: C already has a cache stage C.local"),
        ([.split(stage: "C", loop: "i", factors: [2]), .cacheWrite(stage: "C")],
         .alreadyTransformed, "schedule step 2 (cache_write on C): cache_write: C's loops are already transformed; put cache_write before its other steps"),
        ([.rfactor(stage: "C", loop: "i", factor: 2)],
         .notAReduction, "schedule step 1 (rfactor on C): rfactor: i is not a reduction axis of C"),
        ([.rfactor(stage: "C", loop: "k", factor: 0)],
         .outOfRange, "schedule step 1 (rfactor on C): rfactor: factor must be positive, got 0"),
        ([.pack(tensor: "C", dimension: 0, block: 4)],
         .outputStage, "schedule step 1 (pack on C): pack: C is the output; only inputs and intermediate stages can be packed"),
        ([.pack(tensor: "B", dimension: 2, block: 4)],
         .outOfRange, "schedule step 1 (pack on B): pack: B has 2 dimensions; there is no dimension 2"),
        ([.pack(tensor: "B", dimension: 1, block: 0)],
         .outOfRange, "schedule step 1 (pack on B): pack: block must be positive, got 0"),
        ([.pack(tensor: "Q", dimension: 0, block: 4)],
         .unknownTensor, "schedule step 1 (pack on Q): pack: no tensor named Q (tensors: A, B, C)"),
        ([.computeInline(stage: "C")],
         .outputStage, "schedule step 1 (compute_inline on C): compute_inline: C is the kernel's output; it cannot be inlined"),
        ([.computeAt(stage: "C", consumer: "C", loop: "i")],
         .outputStage, "schedule step 1 (compute_at on C): compute_at: C is the kernel's output; it is computed at root"),
    ])
    func gemmSteps(steps: [Step], kind: ScheduleError.Kind, message: String) {
        let error = error(gemm, steps)
        #expect(error?.kind == kind)
        #expect(error?.description == message)
    }

    @Test(arguments: [
        ([Step.computeAt(stage: "padded", consumer: "Y", loop: "y")],
         ScheduleError.Kind.invalidConsumer, "schedule step 1 (compute_at on padded): compute_at: Y does not consume padded"),
        ([.computeAt(stage: "padded", consumer: "padded", loop: "h")],
         .invalidConsumer, "schedule step 1 (compute_at on padded): compute_at: a stage cannot be computed inside itself"),
        ([.computeAt(stage: "conv", consumer: "Y", loop: "q")],
         .unknownLoop, "schedule step 1 (compute_at on conv): compute_at: stage Y has no loop q (loops: n, f, y, x)"),
        ([.computeInline(stage: "conv")],
         .notElementwise, "schedule step 1 (compute_inline on conv): compute_inline: conv is a reduction; only elementwise stages can be inlined"),
        ([.computeAt(stage: "padded", consumer: "conv", loop: "y"), .computeInline(stage: "conv")],
         .notElementwise, "schedule step 2 (compute_inline on conv): compute_inline: conv is a reduction; only elementwise stages can be inlined"),
        ([.cacheWrite(stage: "padded")],
         .notAReduction, "schedule step 1 (cache_write on padded): cache_write: padded has no reduction to accumulate"),
        ([.cacheWrite(stage: "conv"), .split(stage: "conv.local", loop: "c", factors: [2]), .cacheWrite(stage: "conv.local")],
         .alreadyTransformed, "schedule step 3 (cache_write on conv.local): cache_write: conv.local's loops are already transformed; put cache_write before its other steps"),
        ([.rfactor(stage: "conv", loop: "c", factor: 2), .rfactor(stage: "conv", loop: "c.1", factor: 2)],
         .alreadyApplied, "schedule step 2 (rfactor on conv): rfactor: conv already has an rfactor stage"),
        ([.pack(tensor: "X", dimension: 1, block: 2), .pack(tensor: "X", dimension: 1, block: 2)],
         .alreadyApplied, "schedule step 2 (pack on X): pack: X is already packed"),
        // Steps that would invalidate an earlier compute_at.
        ([.computeAt(stage: "padded", consumer: "conv", loop: "x"), .cacheWrite(stage: "conv")],
         .wrongOrder, "schedule step 2 (cache_write on conv): cache_write: padded is computed inside conv, which will no longer read it; put cache_write before that compute_at"),
        ([.computeAt(stage: "padded", consumer: "conv", loop: "x"), .rfactor(stage: "conv", loop: "c", factor: 2)],
         .wrongOrder, "schedule step 2 (rfactor on conv): rfactor: padded is computed inside conv, which will no longer read it; put rfactor before that compute_at"),
        ([.computeAt(stage: "padded", consumer: "conv", loop: "x"), .pack(tensor: "padded", dimension: 3, block: 2)],
         .wrongOrder, "schedule step 2 (pack on padded): pack: padded is computed inside conv, which will read padded.packed instead; put pack before that compute_at"),
        // Storage order
        ([.storageOrder(stage: "Y", order: ["n", "y", "x", "f"])],
         .outputStage, "schedule step 1 (storage_order on Y): storage_order: Y is the kernel's output; its layout is the caller's"),
        ([.storageOrder(stage: "conv", order: ["n", "y", "x"])],
         .invalidOrder, "schedule step 1 (storage_order on conv): storage_order: order must name every dimension of conv once: n, f, y, x; got n, y, x"),
        ([.storageOrder(stage: "conv", order: ["n", "y", "x", "c"])],
         .invalidOrder, "schedule step 1 (storage_order on conv): storage_order: order must name every dimension of conv once: n, f, y, x; got n, y, x, c"),
        ([.storageOrder(stage: "conv", order: ["n", "y", "x", "f"]), .cacheWrite(stage: "conv")],
         .alreadyTransformed, "schedule step 2 (cache_write on conv): cache_write: conv's loops are already transformed; put cache_write before its other steps"),
        ([.computeAt(stage: "conv", consumer: "Y", loop: "y"), .computeAt(stage: "padded", consumer: "conv", loop: "y"), .computeInline(stage: "conv")],
         .notElementwise, "schedule step 3 (compute_inline on conv): compute_inline: conv is a reduction; only elementwise stages can be inlined"),
    ])
    func multiStageSteps(steps: [Step], kind: ScheduleError.Kind, message: String) {
        let error = error(conv, steps)
        #expect(error?.kind == kind)
        #expect(error?.description == message)
    }

    /// Errors only the whole schedule settles, found when lowering: the
    /// message names the stage and the loop, and says what to do.
    @Test func loweringErrors() throws {
        let wide = try ShippedKernels.load("gemm", ["M": 3, "N": 100, "K": 600])
        let lanes = error(wide, [.vectorize(stage: "C", loop: "j")])
        #expect(lanes?.kind == .tooManyIterations && lanes?.stepIndex == nil)
        #expect(lanes?.description == "schedule: vectorize: loop j of C has 100 iterations; at most 64 can be vector lanes (split it first)")
        let unrolled = error(wide, [.unroll(stage: "C", loop: "k")])
        #expect(unrolled?.kind == .tooManyIterations)
        #expect(unrolled?.description == "schedule: unroll: loop k of C has 600 iterations; at most 512 can be unrolled (split it first)")
        // A split that leaves 64 lanes is fine; so is unrolling 512.
        _ = try lower(wide, schedule: Schedule([.split(stage: "C", loop: "j", factors: [64]), .vectorize(stage: "C", loop: "j.1")]))
        _ = try lower(wide, schedule: Schedule([.split(stage: "C", loop: "k", factors: [512]), .unroll(stage: "C", loop: "k.1")]))

        // A producer computed at (or inside) its consumer's vectorized loop
        // would need a region per lane.
        let blur = try ShippedKernels.load("blur3x3", ["H": 6, "W": 8])
        let atLanes = error(blur, [.vectorize(stage: "blur_y", loop: "x"), .computeAt(stage: "blur_x", consumer: "blur_y", loop: "x")])
        #expect(atLanes?.kind == .insideVectorizedLoop)
        #expect(atLanes?.description
                == "schedule: compute_at: blur_x is computed at blur_y's vectorized loop x; each vector lane would need its own blur_x "
                + "(compute it outside x, or vectorize a loop inside x)")
        let insideLanes = error(blur, [.reorder(stage: "blur_y", order: ["x", "y"]), .vectorize(stage: "blur_y", loop: "x"),
                                       .computeAt(stage: "blur_x", consumer: "blur_y", loop: "y")])
        #expect(insideLanes?.kind == .insideVectorizedLoop)
        #expect(insideLanes?.description
                == "schedule: compute_at: blur_x is computed at loop y of blur_y, inside its vectorized loop x; each vector lane would need "
                + "its own blur_x (compute it outside x, or vectorize a loop inside y)")
        // Outside the vectorized loop it is fine.
        _ = try lower(blur, schedule: Schedule([.vectorize(stage: "blur_y", loop: "x"), .computeAt(stage: "blur_x", consumer: "blur_y", loop: "y")]))
    }

    /// A schedule that names loops a later kernel-level step removed.
    @Test func computeAtALoopThatNoLongerExists() {
        // After cache_write, conv is a copy of conv.local: it has no loop c.
        let steps: [Step] = [.computeAt(stage: "conv", consumer: "Y", loop: "y"), .cacheWrite(stage: "conv"),
                             .computeAt(stage: "padded", consumer: "conv", loop: "c")]
        let error = error(conv, steps)
        #expect(error?.kind == .invalidConsumer && error?.stepIndex == 2)
        #expect(error?.description == "schedule step 3 (compute_at on padded): compute_at: conv does not consume padded")
    }

    // MARK: Schedule files

    func load(_ json: String) throws -> (path: String, error: HoneError?) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hone-schedule-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: HoneError.self) { try Schedule.load(path: url.path) }
        return (url.path, error)
    }

    @Test(arguments: [
        (#"{"steps": [{"kind": "split", "stage": "C", "loop": "i"}]}"#, "missing field 'factors' at .steps[0]"),
        (#"{"steps": [{"kind": "tile", "stage": "C"}]}"#,
         "unknown step kind 'tile'; expected one of split, reorder, fuse, vectorize, unroll, unroll_max_step, parallel, "
         + "compute_at, compute_inline, compute_root, cache_write, rfactor, pack, deinterleave, storage_order at .steps[0].kind"),
        (#"{"step": []}"#, "missing field 'steps'"),
    ])
    func invalidScheduleFiles(json: String, message: String) throws {
        let (path, error) = try load(json)
        #expect(error?.message == "\(path): not a valid schedule: \(message)")
    }

    /// Foundation words these; the message names the file and where in it.
    @Test(arguments: [
        (#"{"steps": [{"kind": "split", "stage": "C", "loop": "i", "factors": "4"}]}"#, " at .steps[0].factors"),
        (#"{"steps": [{"kind": "split", "#, "JSON"),
        ("", "JSON"),
    ])
    func malformedScheduleFiles(json: String, ending: String) throws {
        let (path, error) = try load(json)
        let message = try #require(error?.message)
        #expect(message.hasPrefix("\(path): not a valid schedule: "))
        #expect(message.contains(ending), "\(message)")
    }

    @Test func missingScheduleFile() {
        let error = #expect(throws: HoneError.self) { try Schedule.load(path: "/nonexistent/s.json") }
        #expect(error?.message.hasPrefix("cannot read schedule /nonexistent/s.json: ") == true, "\(String(describing: error))")
    }
}
