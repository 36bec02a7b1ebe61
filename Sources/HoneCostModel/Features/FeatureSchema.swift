import Foundation

/// The layout of a feature row: one row per store statement of a lowered
/// loop nest, modelled on Ansor's per-store features (TVM
/// `auto_scheduler/feature.cc`), adapted to Hone's loop IR.
///
/// Every value is `slog(x) = sign(x) · log2(|x| + 1)` except the one-hot
/// columns (marked "1-hot"), which are 0 or 1. "Trip product" below means
/// how many times the store runs: the product of the extents of every loop
/// enclosing it (vectorized loops count their lanes, unrolled loops their
/// copies) times the fraction of those iterations that the enclosing `if`
/// branches let through, so the fast and the guarded copy of a partitioned
/// tile add up to the work once. The fractions are exact: lowering counts
/// every `if` it makes (`IfFacts`), split tails, tile partitions and the
/// bounds tests of compute_at regions; a test it cannot count (one reading
/// memory, or past the enumeration limit) counts as holding half the time.
/// A program's predicted score is the sum over its rows, each row's
/// prediction weighted by its `partition_share` (column 160): the
/// copies of one store that tile partitions make count as that store once,
/// so a program does not score higher for having more copies.
/// The machine columns (161–165) are the only ones that depend on the
/// machine: they compare a register tile with its `RegisterFile` and a
/// parallel loop with its thread count.
///
/// Estimates, as in Ansor: touched regions are boxes (per dimension, the
/// index range over the loops, unioned over a store's accesses to the
/// buffer, not narrowed by guards); non-affine indices (`/` and `%` of fused
/// loops, clamps) get approximate slopes for strides and region sizes.
///
/// Version history: bump `version` whenever a column changes meaning,
/// position or scaling, so saved training data and models are not mixed.
/// - 1: the initial 160-column layout below.
/// - 2: trip products (and every column scaled by them: compute counts,
///   bytes, lines, allocation and outer products) use the exact branch
///   counts lowering records; version 1 estimated them and miscounted
///   non-affine tails (fused loops) and guards entangled with them.
/// - 3: the bounds tests of compute_at regions are counted exactly too;
///   version 2 estimated them where they were not affine or took long to
///   enumerate, and weighted the work under them by the estimate.
/// - 4: `partition_share` (column 160). Without it a program's score grew
///   with the number of partition copies of its stores: on conv2d the
///   search's predictions followed the row count (Spearman 0.69) and its
///   proposals drifted to heavily partitioned, slow programs.
/// - 5: the register tile and parallel imbalance (columns 161–165). Without
///   them the model could not tell a 4x16 accumulator tile (8 AVX2
///   registers) from a 7x64 one (56, spilled on every step): on conv2d a
///   search sat for 200 trials on tiles of 32-64 lanes at 2.5x the time of
///   the 16-lane ones. Nor could a model trained on one thread count judge
///   parallel extents on another.
///
/// | columns | name | meaning |
/// |---|---|---|
/// | **Compute** (16) | | operations of one execution of the store, times the trip product. Counted in the stored value, its indices and the indices of the loads in it, plus the conditions of enclosing `if`s and the values of enclosing `let`s (each weighted by the trip product at the `if`/`let`). Float or int by the operands' type. |
/// | 0 | `float_mad` | float `a*b + c` / `c + a*b` / `c - a*b` (fused multiply-add candidates; the mul is not counted again) |
/// | 1 | `float_addsub` | float add, sub, negate |
/// | 2 | `float_mul` | float mul |
/// | 3 | `float_divmod` | float div, mod |
/// | 4 | `float_cmp` | float compares, min, max |
/// | 5 | `float_math` | float math calls (exp, log, sqrt, tanh, abs, floor, ceil, sin, cos, pow) |
/// | 6 | `float_cast` | conversions to a float type |
/// | 7–13 | `int_mad` … `int_cast` | the same seven for integer (`i32`, `index`) operands |
/// | 14 | `bool_op` | `&&`, `\|\|`, `!` |
/// | 15 | `select_op` | `select(c, a, b)` |
/// | **Annotations** (33) | | for each kind K in vec (`.vectorized`), unroll (`.unrolled`), parallel (`.parallel`), 11 columns: |
/// | 16 / 27 / 38 | `K_num` | number of enclosing K loops |
/// | 17 / 28 / 39 | `K_prod` | product of their extents |
/// | 18 / 29 / 40 | `K_len` | extent of the innermost K loop |
/// | 19–26 / 30–37 / 41–48 | `K_pos.{none, inner_spatial, middle_spatial, outer_spatial, inner_reduce, middle_reduce, outer_reduce, mixed}` | 1-hot: where the innermost K loop's variable appears. In one index of the stored buffer: last dimension → inner, first → outer, else middle spatial; in several → mixed; only in loads → a reduction loop, ranked among the reduction loops around the store (innermost → inner, outermost → outer); nowhere → outer spatial (a loop the store is computed inside of); no K loop → none |
/// | **Buffer accesses** (5 × 18 = 90) | | the buffers the store writes and reads, sorted by `lines` then `bytes` (descending), top 5; unused slots are 0. Slot k (k = 0…4) occupies columns 49 + 18k … 66 + 18k: |
/// | +0…+2 | `B{k}.acc.{read, write, readwrite}` | 1-hot access type |
/// | +3 | `B{k}.bytes` | bytes accessed: distinct accesses × trip product × element bytes |
/// | +4 | `B{k}.unique_bytes` | bytes of the region the loops around the store touch (union of the accesses; per dimension the index range over the loops, clamped to the shape) |
/// | +5 | `B{k}.lines` | cache lines (64 bytes) fetched: trip product of the loops down to the innermost loop that moves the address, times min(1, stride · element bytes / 64); at least 1 |
/// | +6 | `B{k}.unique_lines` | distinct cache lines of the touched region: contiguous runs (innermost dimensions that are touched in full, plus the next one) × lines per run |
/// | +7…+9 | `B{k}.reuse.{loop_read, serial_rw, none}` | 1-hot reuse type, Ansor's: walking out from the innermost loop, the first loop that does not move the address reuses it (`loop_read`); before that, a loop whose body has several stores touching the buffer reuses it between them (`serial_rw`); otherwise `none` |
/// | +10 | `B{k}.reuse_dis_iter` | reuse distance in iterations: product of the extents of the loops inside the reusing loop that move the address (`serial_rw`: smallest touched region among the stores ÷ extent) |
/// | +11 | `B{k}.reuse_dis_bytes` | reuse distance in bytes: bytes all stores touch in one iteration of the reusing loop (`serial_rw`: in the whole loop ÷ extent) |
/// | +12 | `B{k}.reuse_ct` | reuse count: the reusing loop's extent (`serial_rw`: stores touching the buffer − 1) |
/// | +13…+16 | `B{k}.{bytes, unique_bytes, lines, unique_lines}_d_reuse_ct` | the four sizes ÷ reuse count (× 2 when there is no reuse, as Ansor) |
/// | +17 | `B{k}.stride` | elements the row-major flattened address moves per iteration of the innermost loop that moves it (derivative of the index with respect to that loop's variable; 0 if no loop moves it) |
/// | **Arithmetic intensity** (10) | | |
/// | 139–148 | `arith_intensity_curve_{0…9}` | float ops (a mad counts 2) ÷ bytes touched, as a function of the float ops executed by the loops from the innermost outwards, sampled by linear interpolation at 10%, 20%, … 100% of the store's total float ops |
/// | **Allocation** (4) | | when the store writes a buffer allocated in the nest (otherwise 0): |
/// | 149 | `alloc_size` | the allocation's bytes |
/// | 150 | `alloc_prod` | its elements × `alloc_outer_prod` |
/// | 151 | `alloc_outer_prod` | trip product of the loops around the `allocate` (how often it is allocated) |
/// | 152 | `alloc_inner_prod` | the store's trip product ÷ `alloc_outer_prod` |
/// | **Outer scope** (3) | | |
/// | 153 | `outer_prod` | trip product of the store |
/// | 154 | `num_loops` | number of enclosing loops |
/// | 155 | `guard_num` | number of enclosing `if` conditions (split tails, region bounds); Hone's stand-in for Ansor's `auto_unroll_max_step`, which Hone lowers to unrolled loops |
/// | **Stored buffer** (4) | | |
/// | 156–159 | `store_mem.{argument, heap, stack, register}` | 1-hot: where the written buffer lives (a function argument or an allocation's `MemoryKind`) |
/// | **Share** (1) | | |
/// | 160 | `partition_share` | not scaled: the share of its store's executions this copy runs, the product over the enclosing tile partitions (`IfFacts.Kind.partition`) of the fraction that takes this copy's branch (1 outside partitions; a partition without an `else` copy does not divide). The copies of a store sum to 1; the model weights the row's prediction by it |
/// | **Register tile** (4) | | the micro-kernel is the innermost run of loops around the store that become one straight-line block: unrolled and vectorized loops, and serial loops of constant extent while the store's copies stay within what LLVM's O3 unrolls fully (64 vector instructions); register counts are of the machine's vector registers (`RegisterFile`) |
/// | 161 | `reg.vector_registers` | registers one vector of the innermost vectorized loop spans: its lanes × element bytes ÷ register bytes, rounded up (0 without one) |
/// | 162 | `reg.accumulators` | registers the written buffer's distinct elements in the micro-kernel take (for each micro-kernel loop that moves the written address, its extent; a vectorized one counts the registers it spans), ÷ the register count: above 1 the tile spills |
/// | 163 | `reg.operands` | the same count summed over the loads (a load the vectorized loop does not move is a broadcast: one register), ÷ the register count |
/// | 164 | `reg.accumulator_reuse` | updates of each accumulator between its load and its store: the product of the extents of the micro-kernel's loops that do not move the written address (but a vectorized one) and of the serial loops just outside it that do not either |
/// | **Threads** (1) | | |
/// | 165 | `par.imbalance` | the store's time on the machine's threads over its ideal (work ÷ threads): for the outermost parallel loop around it, of extent E, on T threads each taking a block of ⌈E/T⌉ iterations, ⌈E/T⌉·T/E; T without a parallel loop (nested parallel loops run on one thread) |
public enum FeatureSchema {
    /// The layout version; stored with training data and models.
    public static let version = 5

    /// Buffers described per row (the top ones by lines, then bytes).
    public static let bufferSlots = 5
    /// Columns per buffer slot.
    public static let bufferFeatureCount = 18
    /// Points sampled on the arithmetic intensity curve.
    public static let curvePoints = 10
    /// The cache line size the line counts assume.
    public static let cacheLineBytes = 64

    // Offsets of the groups within a row.
    static let computeOffset = 0
    static let annotationOffset = 16
    static let bufferOffset = 49
    static let curveOffset = bufferOffset + bufferSlots * bufferFeatureCount  // 139
    static let allocationOffset = curveOffset + curvePoints  // 149
    static let outerOffset = allocationOffset + 4  // 153
    static let storeMemoryOffset = outerOffset + 3  // 156
    /// The `partition_share` column, which a program's score weights its row by.
    public static let partitionShareColumn = storeMemoryOffset + 4  // 160
    static let registerTileOffset = partitionShareColumn + 1  // 161
    static let parallelImbalanceColumn = registerTileOffset + 4  // 165
    static let total = parallelImbalanceColumn + 1  // 166

    /// Columns per row.
    public static var count: Int { total }

    /// Every column's name, in row order (see the table above).
    public static let names: [String] = makeNames()

    /// Whether a column is a 0/1 one-hot.
    public static let isOneHot: [Bool] = names.map { name in
        [".none", ".inner_spatial", ".middle_spatial", ".outer_spatial", ".inner_reduce", ".middle_reduce", ".outer_reduce",
         ".mixed", ".read", ".write", ".readwrite", ".loop_read", ".serial_rw", ".argument", ".heap", ".stack", ".register"]
            .contains { name.hasSuffix($0) }
    }

    /// Whether a column is `slog`-scaled (all but the one-hots and `partition_share`).
    public static let isLogScaled: [Bool] = names.indices.map { !isOneHot[$0] && $0 != partitionShareColumn }

    /// The column of a feature by name (`"float_mad"`, `"B0.stride"`).
    public static func index(of name: String) -> Int? { names.firstIndex(of: name) }

    static let positionNames = ["none", "inner_spatial", "middle_spatial", "outer_spatial",
                                "inner_reduce", "middle_reduce", "outer_reduce", "mixed"]

    private static func makeNames() -> [String] {
        var names: [String] = []
        for prefix in ["float", "int"] {
            for op in ["mad", "addsub", "mul", "divmod", "cmp", "math", "cast"] { names.append("\(prefix)_\(op)") }
        }
        names += ["bool_op", "select_op"]
        for kind in ["vec", "unroll", "parallel"] {
            names += ["\(kind)_num", "\(kind)_prod", "\(kind)_len"]
            names += positionNames.map { "\(kind)_pos.\($0)" }
        }
        for k in 0..<bufferSlots {
            let b = "B\(k)."
            names += ["acc.read", "acc.write", "acc.readwrite", "bytes", "unique_bytes", "lines", "unique_lines",
                      "reuse.loop_read", "reuse.serial_rw", "reuse.none", "reuse_dis_iter", "reuse_dis_bytes", "reuse_ct",
                      "bytes_d_reuse_ct", "unique_bytes_d_reuse_ct", "lines_d_reuse_ct", "unique_lines_d_reuse_ct",
                      "stride"].map { b + $0 }
        }
        names += (0..<curvePoints).map { "arith_intensity_curve_\($0)" }
        names += ["alloc_size", "alloc_prod", "alloc_outer_prod", "alloc_inner_prod"]
        names += ["outer_prod", "num_loops", "guard_num"]
        names += ["store_mem.argument", "store_mem.heap", "store_mem.stack", "store_mem.register"]
        names.append("partition_share")
        names += ["reg.vector_registers", "reg.accumulators", "reg.operands", "reg.accumulator_reuse"]
        names.append("par.imbalance")
        precondition(names.count == total, "feature schema: \(names.count) names for \(total) columns")
        return names
    }
}

/// Ansor's signed log scale: `sign(x) · log2(|x| + 1)`; non-finite values become 0.
@inline(__always)
func slog(_ x: Double) -> Float {
    guard x.isFinite else { return 0 }
    return Float(x < 0 ? -log2(1 - x) : log2(1 + x))
}
