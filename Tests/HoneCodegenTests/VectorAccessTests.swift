import Foundation
import Testing
@testable import Hone
import HoneTestSupport

/// Vector accesses that need no gather: dense rows read through one fused
/// loop, clamped (padding) indices, strided reads of a stack tile, and
/// loads at a small constant stride.
@Suite struct VectorAccessTests {
    let compiler: Compiler
    init() throws { compiler = try Compiler() }

    /// `B[p / 6, p % 6] = A[p / 6, p % 6] * 2` over a 4x6 buffer, p vectorized in tiles of 8.
    @Test func aLoopFusedOverTwoDimensionsLoadsContiguousVectors() throws {
        let p = Expr.binary(.add, .binary(.mul, .indexVar("t"), .index(8)), .indexVar("l"))
        let index = [Expr.binary(.div, p, .index(6)), .binary(.mod, p, .index(6))]
        let body = Stmt.loop(Loop("t", extent: .index(3), body: .loop(Loop("l", extent: .index(8), kind: .vectorized,
            body: .store("B", index, .binary(.mul, .load("A", index, .f32), .float(2, .f32)))))))
        let nest = LoopNest(name: "rows", arguments: [Buffer(name: "A", type: .f32, shape: [4, 6]), Buffer(name: "B", type: .f32, shape: [4, 6])], body: body)
        let ir = try compiler.llvmIR(nest, .unoptimized)
        #expect(!ir.contains("masked.gather") && !ir.contains("masked.scatter"), "\(ir)")
        let a = TensorBuffer(type: .f32, shape: [4, 6]), b = TensorBuffer(type: .f32, shape: [4, 6])
        a.fill(with: (0..<24).map(Double.init))
        try compiler.jit(nest).run([a.pointer, b.pointer])
        #expect((0..<24).map { b[flat: $0] } == (0..<24).map { Double($0) * 2 })
    }

    /// A padding stage vectorized over its columns: `P[w] = select(1 ≤ w ≤ n, X[clamp(w - 1)], 0)`
    /// with lanes before and after X. The clamp costs no gather, and no lane reads outside X.
    @Test(arguments: [(5, 8), (13, 8), (16, 16)])
    func aClampedIndexIsAMaskedVectorLoad(n: Int, lanes: Int) throws {
        let w = Expr.binary(.add, .binary(.mul, .indexVar("t"), .index(lanes)), .indexVar("l"))
        let clamped = Expr.binary(.max, .binary(.min, .binary(.sub, w, .index(1)), .index(n - 1)), .index(0))
        let inside = Expr.binary(.and, .binary(.ge, w, .index(1)), .binary(.le, w, .index(n)))
        let tiles = (n + 2 + lanes - 1) / lanes
        let store = Stmt.ifThenElse(.binary(.lt, w, .index(n + 2)), .store("P", [w], .select(inside, .load("X", [clamped], .f32), .float(0, .f32))), nil)
        let body = Stmt.loop(Loop("t", extent: .index(tiles), body: .loop(Loop("l", extent: .index(lanes), kind: .vectorized, body: store))))
        let nest = LoopNest(name: "pad", arguments: [Buffer(name: "X", type: .f32, shape: [n]), Buffer(name: "P", type: .f32, shape: [n + 2])], body: body)
        #expect(!(try compiler.llvmIR(nest, .unoptimized)).contains("masked.gather"))
        let x = TensorBuffer(type: .f32, shape: [n]), padded = TensorBuffer(type: .f32, shape: [n + 2])
        x.fill(with: (0..<n).map { Double($0) + 1 })
        try compiler.jit(nest).run([x.pointer, padded.pointer])
        #expect((0..<(n + 2)).map { padded[flat: $0] } == [0] + (0..<n).map { Double($0) + 1 } + [0])
    }

    /// `B[i] = A[stride * i]`, i vectorized (with a masked tail where the
    /// lanes do not divide n): vector loads and a shuffle, no gather. A ends where an unreadable page begins, so a load
    /// reaching past the last lane's element (with or without a mask) would fault.
    @Test(arguments: [(2, 8, 19), (3, 8, 16), (4, 16, 35), (2, 12, 12), (2, 8, 5)])
    func aSmallConstantStrideIsVectorLoadsAndAShuffle(stride: Int, lanes: Int, n: Int) throws {
        let i = Expr.binary(.add, .binary(.mul, .indexVar("t"), .index(lanes)), .indexVar("l"))
        let count = stride * (n - 1) + 1
        let assignment = Stmt.store("B", [i], .binary(.add, .load("A", [.binary(.mul, i, .index(stride))], .f32), .float(1, .f32)))
        let store = n % lanes == 0 ? assignment : .ifThenElse(.binary(.lt, i, .index(n)), assignment, nil)
        let body = Stmt.loop(Loop("t", extent: .index((n + lanes - 1) / lanes), body: .loop(Loop("l", extent: .index(lanes), kind: .vectorized, body: store))))
        let nest = LoopNest(name: "strided", arguments: [Buffer(name: "A", type: .f32, shape: [count]), Buffer(name: "B", type: .f32, shape: [n])], body: body)
        let ir = try compiler.llvmIR(nest, .unoptimized)
        #expect(!ir.contains("masked.gather"), "\(ir)")
        let a = try GuardedFloats(count: count)
        for k in 0..<count { a.values[k] = Float(k) }
        let b = TensorBuffer(type: .f32, shape: [n])
        try compiler.jit(nest).run([UnsafeMutableRawPointer(a.values), b.pointer])
        #expect((0..<n).map { b[flat: $0] } == (0..<n).map { Double(stride * $0 + 1) })
    }

    /// The channel-vectorized convolution: a register tile of 16 filters x 14
    /// columns, broadcasts and FMAs over packed weights, written out across
    /// columns through a transpose in registers. No gather or scatter, and
    /// nothing of the tile spilled in the reduction loop.
    @Test func theChannelVectorizedConvolutionHasNoGatherOrScatter() throws {
        let kernel = try Kernel.load(path: ShippedKernels.path("conv2d"))
        let schedule = try Schedule.load(path: ShippedKernels.directory.appendingPathComponent("conv2d.schedule.json").path)
        let nest = try lower(kernel, schedule: schedule)
        let ir = try compiler.llvmIR(nest, .optimized)
        let functions = ir.components(separatedBy: "\ndefine ")
        let tile = try #require(functions.first { $0.prefix { $0 != "\n" }.contains("@\"conv2d.f.0@y.par\"(") })
        #expect(!tile.contains("masked.gather") && !tile.contains("masked.scatter"))
        let asm = try compiler.assembly(nest)
        // Full-width vectors: zmm registers with AVX-512, ymm with AVX2.
        let register = compiler.target.float32Lanes == 16 ? "zmm" : "ymm"
        #expect(asm.contains("vfmadd231ps") && asm.contains(register))
    }
}

/// `count` floats that end where an unreadable page begins.
private final class GuardedFloats {
    let values: UnsafeMutablePointer<Float>
    private let base: UnsafeMutableRawPointer
    private let length: Int

    init(count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count * MemoryLayout<Float>.stride + page - 1) / page
        length = (dataPages + 1) * page
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            throw CocoaError(.fileWriteOutOfSpace)
        }
        base = mapped
        let guardPage = mapped + dataPages * page
        guard mprotect(guardPage, page, PROT_NONE) == 0 else { throw CocoaError(.fileWriteNoPermission) }
        values = (guardPage - count * MemoryLayout<Float>.stride).assumingMemoryBound(to: Float.self)
    }

    deinit { munmap(base, length) }
}
