import Foundation
import Testing
import Hone
import HoneTestSupport

// Per-store features on hand-built loop nests with counts worked out by hand.

/// The raw value of a column (undoing `slog` where it was applied).
private func value(_ row: [Float], _ name: String) -> Double {
    guard let i = FeatureSchema.index(of: name) else {
        Issue.record("no feature named \(name)")
        return .nan
    }
    let v = Double(row[i])
    return FeatureSchema.isLogScaled[i] ? (v < 0 ? -1 : 1) * (pow(2, abs(v)) - 1) : v
}

private func expectValue(_ row: [Float], _ name: String, _ expected: Double, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let v = value(row, name)
    #expect(abs(v - expected) <= 1e-3 * max(1, abs(expected)), "\(name) = \(v), expected \(expected)", sourceLocation: sourceLocation)
}

private func v(_ name: String) -> Expr { .indexVar(name) }
private func c(_ n: Int) -> Expr { .index(n) }
private func add(_ a: Expr, _ b: Expr) -> Expr { .binary(.add, a, b) }
private func mul(_ a: Expr, _ b: Expr) -> Expr { .binary(.mul, a, b) }
private func load(_ name: String, _ indices: Expr...) -> Expr { .load(name, indices, .f32) }

/// C[i, j] = sum(k) A[i, k] * B[k, j] for M = 4, N = 8, K = 16, as lowering writes it.
private let gemmNest: LoopNest = {
    let (m, n, k) = (4, 8, 16)
    let a = Buffer(name: "A", type: .f32, shape: [m, k])
    let b = Buffer(name: "B", type: .f32, shape: [k, n])
    let cBuffer = Buffer(name: "C", type: .f32, shape: [m, n])
    let zero = Stmt.store("C", [v("i"), v("j")], .float(0, .f32))
    let initialize = Stmt.loop(Loop("i", extent: c(m), body: .loop(Loop("j", extent: c(n), body: zero))))
    let product = mul(load("A", v("i"), v("k")), load("B", v("k"), v("j")))
    let accumulate = Stmt.store("C", [v("i"), v("j")], add(load("C", v("i"), v("j")), product))
    let reduction = Stmt.loop(Loop("k", extent: c(k), body: accumulate))
    let update = Stmt.loop(Loop("i", extent: c(m), body: .loop(Loop("j", extent: c(n), body: reduction))))
    return LoopNest(name: "gemm", arguments: [a, b, cBuffer], body: .block([initialize, update]))
}()

@Test func featureSchemaIsConsistent() {
    #expect(FeatureSchema.version >= 1)
    #expect(FeatureSchema.names.count == FeatureSchema.count)
    #expect(Set(FeatureSchema.names).count == FeatureSchema.count, "feature names are unique")
    #expect(FeatureSchema.isOneHot.count == FeatureSchema.count)
    #expect(FeatureSchema.index(of: "float_mad") == 0)
    #expect(FeatureSchema.index(of: "B4.stride") != nil)
    #expect(FeatureSchema.index(of: "B5.stride") == nil)
}

@Test func gemmNestCountsAndAccesses() throws {
    let rows = extractFeatures(gemmNest)
    try #require(rows.count == 2)
    for row in rows { #expect(row.count == FeatureSchema.count) }

    // C[i, j] = 0: one write of 4 x 8 floats, contiguous along j.
    let initialize = rows[0]
    expectValue(initialize, "float_mad", 0)
    expectValue(initialize, "outer_prod", 32)
    expectValue(initialize, "num_loops", 2)
    expectValue(initialize, "B0.acc.write", 1)
    expectValue(initialize, "B0.bytes", 128)
    expectValue(initialize, "B0.unique_bytes", 128)
    expectValue(initialize, "B0.lines", 2)
    expectValue(initialize, "B0.unique_lines", 2)
    expectValue(initialize, "B0.stride", 1)
    expectValue(initialize, "B0.reuse.none", 1)
    expectValue(initialize, "B1.bytes", 0)
    expectValue(initialize, "store_mem.argument", 1)

    // The update: one multiply-add per point of 4 x 8 x 16.
    let update = rows[1]
    expectValue(update, "float_mad", 512)
    expectValue(update, "float_mul", 0)
    expectValue(update, "float_addsub", 0)
    expectValue(update, "int_addsub", 0)
    expectValue(update, "outer_prod", 512)
    expectValue(update, "num_loops", 3)
    // Sorted by lines: B (k moves it a row of 8 floats = half a line: 512 / 2 lines),
    // then A (k moves it by 1: 512 / 16), then C (only j moves it: 32 / 16).
    expectValue(update, "B0.acc.read", 1)
    expectValue(update, "B0.bytes", 2048)
    expectValue(update, "B0.unique_bytes", 16 * 8 * 4)
    expectValue(update, "B0.lines", 256)
    expectValue(update, "B0.unique_lines", 8)
    expectValue(update, "B0.stride", 8)
    expectValue(update, "B0.reuse.loop_read", 1)  // i does not move B
    expectValue(update, "B0.reuse_dis_iter", 16 * 8)
    expectValue(update, "B0.reuse_ct", 4)
    let oneRow: Double = 16 * 4 + 16 * 8 * 4 + 8 * 4  // one i: a row of A, all of B, a row of C
    expectValue(update, "B0.reuse_dis_bytes", oneRow)
    expectValue(update, "B1.acc.read", 1)
    expectValue(update, "B1.bytes", 2048)
    expectValue(update, "B1.unique_bytes", 4 * 16 * 4)
    expectValue(update, "B1.lines", 32)
    expectValue(update, "B1.unique_lines", 4)
    expectValue(update, "B1.stride", 1)
    expectValue(update, "B1.reuse_dis_iter", 16)  // j does not move A
    expectValue(update, "B1.reuse_ct", 8)
    expectValue(update, "B2.acc.readwrite", 1)
    expectValue(update, "B2.bytes", 2048)
    expectValue(update, "B2.unique_bytes", 128)
    expectValue(update, "B2.lines", 2)
    expectValue(update, "B2.stride", 1)
    expectValue(update, "B2.reuse.loop_read", 1)  // k does not move C
    expectValue(update, "B2.reuse_dis_iter", 1)
    expectValue(update, "B2.reuse_ct", 16)
    expectValue(update, "B2.reuse_dis_bytes", 12)
    expectValue(update, "B3.bytes", 0)
    // 2 flops per point over the bytes the whole nest touches.
    let allBytes: Double = 4 * 16 * 4 + 16 * 8 * 4 + 4 * 8 * 4
    expectValue(update, "arith_intensity_curve_9", 1024 / allBytes)
}

@Test func guardsAreConditionsWeightedByHowOftenTheyHold() throws {
    // A split tail: 12 points, 10 pass the guard.
    let flat = add(mul(v("i"), c(4)), v("j"))
    let body = Stmt.ifThenElse(.binary(.lt, flat, c(10)), .store("Y", [flat], .binary(.mul, load("X", flat), .float(2, .f32))), nil)
    let nest = LoopNest(name: "tail", arguments: [Buffer(name: "X", type: .f32, shape: [10]), Buffer(name: "Y", type: .f32, shape: [10])],
                        body: .loop(Loop("i", extent: c(3), body: .loop(Loop("j", extent: c(4), body: body)))))
    let rows = extractFeatures(nest)
    try #require(rows.count == 1)
    expectValue(rows[0], "float_mul", 10)
    expectValue(rows[0], "int_cmp", 12)  // the guard runs for every point
    expectValue(rows[0], "int_mad", 12 + 10 + 10)  // in the guard, the store index, the load index
    expectValue(rows[0], "guard_num", 1)
    expectValue(rows[0], "outer_prod", 10)
}

@Test func partitionedTilesAreNotCountedTwice() throws {
    // 10 x 10 x 10 gemm with tiles that do not divide 10: lowering may copy
    // stores into a fast and a guarded version; their rows add up to the work.
    let kernel = try ShippedKernels.load("gemm", ["M": 10, "N": 10, "K": 10])
    for schedule in [
        Schedule([.split(stage: "C", loop: "i", factors: [4])]),
        Schedule([.split(stage: "C", loop: "i", factors: [4]), .split(stage: "C", loop: "j", factors: [3]),
                  .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"]), .unroll(stage: "C", loop: "i.1")]),
        Schedule([.cacheWrite(stage: "C"), .split(stage: "C", loop: "i", factors: [3]),
                  .computeAt(stage: "C.local", consumer: "C", loop: "i.0")]),
    ] {
        let rows = extractFeatures(try lower(kernel, schedule: schedule))
        let mads = rows.reduce(0) { $0 + value($1, "float_mad") }
        #expect(abs(mads - 1000) < 1, "\(schedule): \(mads) multiply-adds")
    }
}

@Test func partitionCopiesShareTheirStore() throws {
    // for i in 0..<8 { if (partition, 6 of 8) { Y[i] = X[i] } else { Y[i] = X[i] (guarded copy) } }
    // then a store under a tail guard and one under a partition without an
    // else copy: neither is divided.
    func copy() -> Stmt { .store("Y", [v("i")], load("X", v("i"))) }
    let partition = IfFacts(kind: .partition, counts: IfFacts.Counts(evaluations: 8, holds: 6))
    let inner = IfFacts(kind: .partition, counts: IfFacts.Counts(evaluations: 6, holds: 3))
    let tail = IfFacts(kind: .tailGuard, counts: IfFacts.Counts(evaluations: 8, holds: 5))
    let test = Expr.binary(.lt, v("i"), c(6))
    let body = Stmt.block([
        .ifThenElse(test, .ifThenElse(test, copy(), copy(), inner), copy(), partition),
        .ifThenElse(test, copy(), nil, tail),
        .ifThenElse(test, copy(), nil, partition),
    ])
    let nest = LoopNest(name: "copies", arguments: [Buffer(name: "X", type: .f32, shape: [8]), Buffer(name: "Y", type: .f32, shape: [8])],
                        body: .loop(Loop("i", extent: c(8), body: body)))
    let shares = extractFeatures(nest).map { value($0, "partition_share") }
    #expect(shares.map { ($0 * 1e6).rounded() / 1e6 } == [0.375, 0.375, 0.25, 1, 1])
    // Lowering's partitions: the copies of each store add up to one store.
    let kernel = try ShippedKernels.load("gemm", ["M": 10, "N": 10, "K": 10])
    let plain = extractFeatures(try lower(kernel, schedule: Schedule([]))).count
    let rows = extractFeatures(try lower(kernel, schedule: Schedule([.split(stage: "C", loop: "i", factors: [4]),
                                                                      .split(stage: "C", loop: "j", factors: [3])])))
    #expect(rows.count > plain)
    #expect(abs(rows.reduce(0) { $0 + value($1, "partition_share") } - Double(plain)) < 1e-6)
}

@Test func letsBindIndexValues() throws {
    // for i { let base = i * 8; for j { Y[base + j] = X[j * 4 + i] } }
    let body = Stmt.letStmt("base", mul(v("i"), c(8)), .loop(Loop("j", extent: c(8), body:
        .store("Y", [add(v("base"), v("j"))], load("X", add(mul(v("j"), c(4)), v("i")))))))
    let nest = LoopNest(name: "lets", arguments: [Buffer(name: "X", type: .f32, shape: [32]), Buffer(name: "Y", type: .f32, shape: [32])],
                        body: .loop(Loop("i", extent: c(4), body: body)))
    let rows = extractFeatures(nest)
    try #require(rows.count == 1)
    expectValue(rows[0], "int_mul", 4)  // the let, once per i
    expectValue(rows[0], "int_addsub", 32)
    expectValue(rows[0], "int_mad", 32)
    // Y moves by 1 with j (through the let), X by 4.
    let slots = (0..<2).map { k in (value(rows[0], "B\(k).stride").rounded(), value(rows[0], "B\(k).acc.write")) }
    #expect(slots.contains { $0 == (1, 1) }, "Y: stride 1, \(slots)")
    #expect(slots.contains { $0 == (4, 0) }, "X: stride 4, \(slots)")
    expectValue(rows[0], "B0.unique_bytes", 128)
    expectValue(rows[0], "B1.unique_bytes", 128)
}

@Test func vectorizedStoresCountLanes() throws {
    let nest = LoopNest(name: "inc", arguments: [Buffer(name: "X", type: .f32, shape: [4, 8]), Buffer(name: "Y", type: .f32, shape: [4, 8])],
                        body: .loop(Loop("i", extent: c(4), kind: .parallel, body: .loop(Loop("j", extent: c(8), kind: .vectorized, body:
                            .store("Y", [v("i"), v("j")], add(load("X", v("i"), v("j")), .float(1, .f32))))))))
    let row = try #require(extractFeatures(nest).first)
    expectValue(row, "float_addsub", 32)
    expectValue(row, "vec_num", 1)
    expectValue(row, "vec_len", 8)
    expectValue(row, "vec_prod", 8)
    expectValue(row, "vec_pos.inner_spatial", 1)
    expectValue(row, "parallel_num", 1)
    expectValue(row, "parallel_len", 4)
    expectValue(row, "parallel_pos.outer_spatial", 1)
    expectValue(row, "unroll_num", 0)
    expectValue(row, "unroll_pos.none", 1)
}

@Test func allocationsAndStackBuffers() throws {
    // for i { allocate T: f32[8] in stack; for j { T[j] = X[i, j] }; for j { Y[i, j] = T[j] } }
    let t = Buffer(name: "T", type: .f32, shape: [8], memory: .stack)
    let copyIn = Stmt.loop(Loop("j", extent: c(8), body: .store("T", [v("j")], load("X", v("i"), v("j")))))
    let copyOut = Stmt.loop(Loop("j2", extent: c(8), body: .store("Y", [v("i"), v("j2")], load("T", v("j2")))))
    let nest = LoopNest(name: "staged", arguments: [Buffer(name: "X", type: .f32, shape: [4, 8]), Buffer(name: "Y", type: .f32, shape: [4, 8])],
                        body: .loop(Loop("i", extent: c(4), body: .allocate(t, .block([copyIn, copyOut])))))
    let rows = extractFeatures(nest)
    try #require(rows.count == 2)
    expectValue(rows[0], "store_mem.stack", 1)
    expectValue(rows[0], "alloc_size", 32)
    expectValue(rows[0], "alloc_outer_prod", 4)
    expectValue(rows[0], "alloc_prod", 32)
    expectValue(rows[0], "alloc_inner_prod", 8)
    expectValue(rows[1], "store_mem.argument", 1)
    expectValue(rows[1], "alloc_size", 0)
    // T: 8 floats, contiguous, reused by every iteration of i (which does not move it).
    for row in rows {
        let slot = try #require((0..<2).first { abs(value(row, "B\($0).unique_bytes") - 32) < 1e-3 })
        expectValue(row, "B\(slot).stride", 1)
        expectValue(row, "B\(slot).lines", 2)
        expectValue(row, "B\(slot).reuse.loop_read", 1)
        expectValue(row, "B\(slot).reuse_ct", 4)
    }
}

@Test func extractorReusesScratchWithoutLeakingState() throws {
    var extractor = FeatureExtractor(registers: .avx2, threads: 2)
    let kernel = try Kernel.load(path: featureKernelPath("conv2d"), overrides: ["C": 4, "H": 8, "W": 8, "F": 4])
    let conv = try lower(kernel, schedule: Schedule([.split(stage: "Y", loop: "x", factors: [3]),
                                                     .computeAt(stage: "padded", consumer: "Y", loop: "x.0")]))
    let a = extractor.extract(gemmNest)
    let b = extractor.extract(conv)
    #expect(extractor.extract(gemmNest) == a)
    #expect(extractor.extract(conv) == b)
    #expect(extractFeatures(conv) == b)
    var flat: [Float] = [42]
    let n = extractor.extract(conv, appendingTo: &flat)
    #expect(n == b.count)
    #expect(flat.count == 1 + n * FeatureSchema.count)
    #expect(Array(flat.dropFirst()) == b.flatMap { $0 })
}

// MARK: Kernels and schedules

/// Kernels/ in the repository (…/Tests/HoneCostModelTests/X.swift → ../../Kernels).
private let featureKernelsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Kernels").path

private func featureKernelPath(_ name: String) -> String { featureKernelsDirectory + "/" + name + ".hone" }

/// A kernel file with every parameter set to `size`.
private func smallKernel(_ path: String, size: Int = 6) throws -> Kernel {
    let defaults = try Kernel.load(path: path)
    // At most the default: strides and paddings keep their shipped values.
    return try Kernel.load(path: path, overrides: Dictionary(uniqueKeysWithValues: defaults.parameters.map { ($0.name, min(size, $0.value)) }))
}

private func storeCount(_ s: Stmt) -> Int {
    switch s {
    case .loop(let loop): storeCount(loop.body)
    case .store: 1
    case .allocate(_, let body), .letStmt(_, _, let body): storeCount(body)
    case .ifThenElse(_, let then, let otherwise, _): storeCount(then) + (otherwise.map(storeCount) ?? 0)
    case .block(let stmts): stmts.reduce(0) { $0 + storeCount($1) }
    }
}

@Test func everyKernelGivesFiniteRowsOfTheSchemaWidth() throws {
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: featureKernelsDirectory)) ?? []).filter { $0.hasSuffix(".hone") }.sorted()
    #expect(files.count >= 5)
    var extractor = FeatureExtractor(registers: .avx2, threads: 2)
    for file in files {
        let kernel = try smallKernel(featureKernelsDirectory + "/" + file)
        var schedules = [Schedule.default]
        // Hand schedules on the output stage: a tile with a tail, vectorized and unrolled inside.
        let out = kernel.output.name
        let loops = kernel.stages.last!.indexVariables
        if let inner = loops.last {
            schedules.append(Schedule([.split(stage: out, loop: inner, factors: [4]), .vectorize(stage: out, loop: "\(inner).1")]))
            schedules.append(Schedule([.split(stage: out, loop: inner, factors: [4]), .unroll(stage: out, loop: "\(inner).1"),
                                       .parallel(stage: out, loop: loops[0])]))
        }
        var generator = RandomScheduleGenerator(kernel: kernel, seed: 11)
        for _ in 0..<25 { schedules.append(generator.next()) }
        for schedule in schedules {
            guard let nest = try? lower(kernel, schedule: schedule) else { continue }
            let rows = extractor.extract(nest)
            #expect(rows.count == storeCount(nest.body), "\(file)")
            for row in rows {
                #expect(row.count == FeatureSchema.count)
                let bad = zip(FeatureSchema.names, row).filter { !$0.1.isFinite }.map(\.0)
                #expect(bad.isEmpty, "\(file) under \(schedule): \(bad)")
            }
        }
    }
}

@Test func annotationsFollowTheSchedule() throws {
    let kernel = try Kernel.load(path: featureKernelPath("gemm"), overrides: ["M": 64, "N": 64, "K": 64])
    func updateRow(_ steps: [Step]) throws -> [Float] {
        // The store that multiplies and adds.
        let rows = extractFeatures(try lower(kernel, schedule: Schedule(steps)))
        return try #require(rows.max { value($0, "float_mad") < value($1, "float_mad") })
    }
    let plain = try updateRow([])
    expectValue(plain, "float_mad", 64 * 64 * 64)
    for kind in ["vec", "unroll", "parallel"] {
        expectValue(plain, "\(kind)_num", 0)
        expectValue(plain, "\(kind)_pos.none", 1)
    }
    let tiled: [Step] = [.split(stage: "C", loop: "i", factors: [8]), .split(stage: "C", loop: "j", factors: [16]),
                         .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"])]
    let annotated = try updateRow(tiled + [.vectorize(stage: "C", loop: "j.1"), .unroll(stage: "C", loop: "i.1"),
                                           .parallel(stage: "C", loop: "i.0")])
    expectValue(annotated, "float_mad", 64 * 64 * 64)
    expectValue(annotated, "vec_num", 1)
    expectValue(annotated, "vec_len", 16)
    expectValue(annotated, "vec_pos.inner_spatial", 1)
    expectValue(annotated, "unroll_num", 1)
    expectValue(annotated, "unroll_len", 8)
    expectValue(annotated, "unroll_pos.outer_spatial", 1)
    expectValue(annotated, "parallel_num", 1)
    expectValue(annotated, "parallel_len", 8)
    expectValue(annotated, "parallel_pos.outer_spatial", 1)

    // Narrower vectors, another unrolled loop, no parallel loop: the features follow.
    let narrower = try updateRow([.split(stage: "C", loop: "i", factors: [8]), .split(stage: "C", loop: "j", factors: [8]),
                                  .split(stage: "C", loop: "k", factors: [4]),
                                  .reorder(stage: "C", order: ["i.0", "j.0", "k.0", "k.1", "i.1", "j.1"]),
                                  .vectorize(stage: "C", loop: "j.1"), .unroll(stage: "C", loop: "k.1")])
    expectValue(narrower, "vec_len", 8)
    expectValue(narrower, "unroll_len", 4)
    expectValue(narrower, "unroll_pos.inner_reduce", 1)
    expectValue(narrower, "parallel_num", 0)
    #expect(narrower != annotated)

    // cache_write + compute_at: the accumulator lives in registers or on the stack.
    let local = extractFeatures(try lower(kernel, schedule: Schedule([
        .cacheWrite(stage: "C"), .split(stage: "C", loop: "i", factors: [8]), .split(stage: "C", loop: "j", factors: [16]),
        .reorder(stage: "C", order: ["i.0", "j.0", "i.1", "j.1"]), .parallel(stage: "C", loop: "i.0"),
        .computeAt(stage: "C.local", consumer: "C", loop: "j.0"),
    ])))
    let accumulate = try #require(local.max { value($0, "float_mad") < value($1, "float_mad") })
    #expect(value(accumulate, "store_mem.argument") == 0)
    #expect(value(accumulate, "alloc_size") > 0)
    expectValue(accumulate, "parallel_pos.outer_spatial", 1)
}

@Test func differentSchedulesGiveDifferentRows() throws {
    for (name, steps) in [
        ("gemm", [[Step](), [.split(stage: "C", loop: "j", factors: [8]), .vectorize(stage: "C", loop: "j.1")],
                  [.split(stage: "C", loop: "j", factors: [4]), .vectorize(stage: "C", loop: "j.1")],
                  [.reorder(stage: "C", order: ["i", "k", "j"])], [.parallel(stage: "C", loop: "i")],
                  [.split(stage: "C", loop: "k", factors: [4]), .unroll(stage: "C", loop: "k.1")]]),
        ("conv2d", [[Step](), [.computeInline(stage: "padded")], [.computeAt(stage: "padded", consumer: "Y", loop: "y")],
                    [.split(stage: "Y", loop: "x", factors: [4]), .vectorize(stage: "Y", loop: "x.1")],
                    [.reorder(stage: "Y", order: ["n", "f", "c", "r", "s", "y", "x"])]]),
    ] {
        let kernel = try smallKernel(featureKernelPath(name), size: 8)
        var seen: [[[Float]]] = []
        for s in steps {
            let rows = extractFeatures(try lower(kernel, schedule: Schedule(s)))
            #expect(!seen.contains(rows), "\(name): \(s) gives the rows of an earlier schedule")
            seen.append(rows)
        }
    }
}

@Test func deepNestsWidenTheExtractor() throws {
    // 20 loops of 2 around one store: deeper than the extractor starts out.
    var body = Stmt.store("Y", [.index(0)], add(load("Y", .index(0)), .float(1, .f32)))
    for d in (0..<20).reversed() { body = .loop(Loop("l\(d)", extent: c(2), body: body)) }
    let deep = LoopNest(name: "deep", arguments: [Buffer(name: "Y", type: .f32, shape: [1])], body: body)
    var extractor = FeatureExtractor(registers: .avx2, threads: 2)
    let shallowBefore = extractor.extract(gemmNest)
    let rows = extractor.extract(deep)
    try #require(rows.count == 1)
    expectValue(rows[0], "num_loops", 20)
    expectValue(rows[0], "outer_prod", Double(1 << 20))
    expectValue(rows[0], "float_addsub", Double(1 << 20))
    expectValue(rows[0], "B0.reuse_ct", 2)  // the innermost loop does not move Y[0]
    #expect(extractor.extract(gemmNest) == shallowBefore)
    #expect(extractFeatures(deep) == rows)
}

@Test func randomSchedulesCountTheWorkOnce() throws {
    // Whatever the tiles, tails, partitions, fusions and guards, the rows of
    // a 10 x 12 x 14 gemm add up to its 1680 multiply-adds (products under a
    // select count as multiplies); compute_at and rfactor may add redundant
    // or padded work, never less. Every `if` is counted exactly.
    let kernel = try Kernel.load(path: featureKernelPath("gemm"), overrides: ["M": 10, "N": 12, "K": 14])
    var generator = RandomScheduleGenerator(kernel: kernel, seed: 5)
    var extractor = FeatureExtractor(registers: .avx2, threads: 2)
    var checked = 0, off: [String] = []
    for _ in 0..<200 {
        let schedule = generator.next()
        guard let nest = try? lower(kernel, schedule: schedule) else { continue }
        checked += 1
        let work = extractor.extract(nest).reduce(0) { $0 + value($1, "float_mad") + value($1, "float_mul") }
        let redundant = schedule.steps.contains { step in
            switch step {
            case .computeAt, .rfactor: true
            default: false
            }
        }
        if redundant ? work < 1680 * (1 - 1e-6) : abs(work - 1680) > 1e-3 * 1680 { off.append("\(work): \(schedule.steps)") }
    }
    #expect(checked >= 150)
    #expect(off.isEmpty, "\(off.count) of \(checked) off: \(off.prefix(3))")
}

/// Trip products come from lowering's counts: wherever every `if` around a
/// store has counts, `outer_prod` is its exact number of executions, also
/// for tails of fused loops, whose tests are not affine.
@Test func tripProductsAreLoweringsExactCounts() throws {
    let kernel = try Kernel.parse("""
        kernel gemm
        param M = 13, N = 11, K = 7
        input  A: f32[M, K]
        input  B: f32[K, N]
        output C: f32[M, N]
        C[i, j] = sum(k < K) A[i, k] * B[k, j]
        """)
    let schedules: [[Step]] = [
        [.split(stage: "C", loop: "i", factors: [4]), .split(stage: "C", loop: "j", factors: [3])],
        [.split(stage: "C", loop: "i", factors: [4]), .split(stage: "C", loop: "j", factors: [3]),
         .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"]), .fuse(stage: "C", loops: ["i.0", "j.0"])],
        [.split(stage: "C", loop: "k", factors: [2, 2]), .split(stage: "C", loop: "i", factors: [5]), .split(stage: "C", loop: "j", factors: [4]), .vectorize(stage: "C", loop: "j.1")],
    ]
    for steps in schedules {
        let nest = try lower(kernel, schedule: Schedule(steps))
        let counts = nest.storePointCounts
        let rows = extractFeatures(nest)
        #expect(rows.count == counts.count)
        for (row, count) in zip(rows, counts) {
            let n = try #require(count, "\(nest)")
            #expect(abs(value(row, "outer_prod") - Double(n)) <= 1e-3 * Double(n), "\(steps)\n\(nest)")
        }
    }
}

@Test func registerTileColumnsCountTheAccumulatorsAgainstTheRegisterFile() throws {
    let kernel = try Kernel.load(path: featureKernelPath("gemm"), overrides: ["M": 64, "N": 64, "K": 64])
    /// The multiply-add store of gemm tiled i by `rows`, j by `lanes`, with k
    /// between the tiles and the tile inside it: `rows` unrolled, `lanes` vectorized.
    func tile(rows: Int, lanes: Int, registers: RegisterFile) throws -> [Float] {
        let steps: [Step] = [.split(stage: "C", loop: "i", factors: [rows]), .split(stage: "C", loop: "j", factors: [lanes]),
                             .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"]),
                             .unroll(stage: "C", loop: "i.1"), .vectorize(stage: "C", loop: "j.1")]
        let rows = extractFeatures(try lower(kernel, schedule: Schedule(steps)), registers: registers)
        return try #require(rows.max { value($0, "float_mad") < value($1, "float_mad") })
    }
    // 4 rows of 16 floats: 8 of AVX2's 16 registers, reused by each of the 64 steps of k.
    let fits = try tile(rows: 4, lanes: 16, registers: .avx2)
    expectValue(fits, "reg.vector_registers", 2)
    expectValue(fits, "reg.accumulators", 8.0 / 16)
    expectValue(fits, "reg.accumulator_reuse", 64)
    // A: 4 broadcast scalars (the vector loop does not move it); B: one 16-float vector, 2 registers.
    expectValue(fits, "reg.operands", 6.0 / 16)
    // 8 rows of 64 floats: 64 AVX2 registers, four times the file.
    let spills = try tile(rows: 8, lanes: 64, registers: .avx2)
    expectValue(spills, "reg.accumulators", 4)
    // The same tile against AVX-512's 32 registers of 64 bytes.
    let wide = try tile(rows: 8, lanes: 64, registers: RegisterFile(vectorBytes: 64, count: 32))
    expectValue(wide, "reg.vector_registers", 4)
    expectValue(wide, "reg.accumulators", 1)
    // A small serial loop around the vector is unrolled by LLVM: 8 rows of 8 floats are 8 accumulators, kept across k.
    func serialTile(rows: Int, lanes: Int) throws -> [Float] {
        let steps: [Step] = [.split(stage: "C", loop: "i", factors: [rows]), .split(stage: "C", loop: "j", factors: [lanes]),
                             .reorder(stage: "C", order: ["i.0", "j.0", "k", "i.1", "j.1"]), .vectorize(stage: "C", loop: "j.1")]
        let rows = extractFeatures(try lower(kernel, schedule: Schedule(steps)))
        return try #require(rows.max { value($0, "float_mad") < value($1, "float_mad") })
    }
    let serial = try serialTile(rows: 8, lanes: 8)
    expectValue(serial, "reg.accumulators", 8.0 / 16)
    expectValue(serial, "reg.accumulator_reuse", 64)
    // 16 rows of 64 floats are 128 copies of the store, more than LLVM unrolls: one row of 8 registers, stored every step.
    let rolled = try serialTile(rows: 16, lanes: 64)
    expectValue(rolled, "reg.accumulators", 8.0 / 16)
    expectValue(rolled, "reg.accumulator_reuse", 1)
    // The plain nest: k (64 scalar copies) is unrolled, one accumulator updated 64 times.
    let plain = try #require(extractFeatures(try lower(kernel, schedule: Schedule([]))).max {
        value($0, "float_mad") < value($1, "float_mad")
    })
    expectValue(plain, "reg.vector_registers", 0)
    expectValue(plain, "reg.accumulators", 1.0 / 16)
    expectValue(plain, "reg.accumulator_reuse", 64)
}

@Test func registerFilesFollowTheCPUFeatures() {
    #expect(RegisterFile(cpuFeatures: "+avx,+avx2,+fma,-avx512f") == .avx2)
    #expect(RegisterFile(cpuFeatures: "+avx2,+avx512f,+avx512bw") == RegisterFile(vectorBytes: 64, count: 32))
    #expect(RegisterFile(cpuFeatures: "+neon,+fp-armv8") == RegisterFile(vectorBytes: 16, count: 32))
    #expect(RegisterFile(cpuFeatures: "+sse4.2,-avx,-avx2") == RegisterFile(vectorBytes: 16, count: 16))
}

@Test func parallelImbalanceIsTheTimeOnTheThreadsOverTheIdeal() throws {
    let kernel = try Kernel.load(path: featureKernelPath("gemm"), overrides: ["M": 64, "N": 64, "K": 64])
    func imbalance(parallelTasks: Int?, threads: Int) throws -> Double {
        var steps: [Step] = []
        if let tasks = parallelTasks {
            steps = [.split(stage: "C", loop: "i", factors: [64 / tasks]), .parallel(stage: "C", loop: "i.0")]
        }
        let rows = extractFeatures(try lower(kernel, schedule: Schedule(steps)), threads: threads)
        return value(try #require(rows.max { value($0, "float_mad") < value($1, "float_mad") }), "par.imbalance")
    }
    #expect(abs(try imbalance(parallelTasks: 8, threads: 2) - 1) < 1e-3)
    #expect(abs(try imbalance(parallelTasks: 8, threads: 3) - 9.0 / 8) < 1e-3, "blocks of 3, 3 and 2 tasks")
    #expect(abs(try imbalance(parallelTasks: 2, threads: 4) - 2) < 1e-3, "two tasks leave two of four threads idle")
    #expect(abs(try imbalance(parallelTasks: nil, threads: 2) - 2) < 1e-3, "serial code runs on one thread")
}
