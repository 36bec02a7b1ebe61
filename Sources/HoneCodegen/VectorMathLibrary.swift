import Foundation
import HoneIR

/// glibc's vector math library, libmvec: `exp`, `log`, `sin`, `cos`, `pow`
/// and `tanh` on whole SSE, AVX2 or AVX-512 registers, f32 and f64, within
/// 4 ulps (glibc's stated bound for its vector functions). Its functions are
/// named by the x86-64 vector function ABI: `_ZGV`, the ISA letter, `N`
/// (unmasked), the lane count, one `v` per vector argument, `_`, the scalar
/// name: `_ZGVeN16v_expf` is `expf` on 16 floats in a zmm register.
///
/// Why libmvec rather than polynomials of our own: it already covers every
/// transcendental of the kernel language in both precisions with full range
/// reduction (`sin` of 1e30, `pow` near overflow), special cases and a known
/// error bound; it is part of glibc, which every Linux host running Hone has,
/// and `-lm` links it (glibc's `libm.so` script pulls in `libmvec.so.1`), so
/// emitted objects keep the documented link line. The cost is one call per
/// register of lanes instead of inlined code.
///
/// `sqrt`, `abs`, `floor` and `ceil` need no library: LLVM's intrinsics
/// become single vector instructions.
struct VectorMathLibrary: Sendable {
    /// The vector function ABI ISAs the target can run, narrowest first.
    let isas: [ISA]

    struct ISA: Sendable {
        /// The ABI's letter: b (SSE), d (AVX2), e (AVX-512).
        var letter: Character
        var registerBits: Int
    }

    /// The ISAs of a target with these LLVM features (`+avx2,+avx512f,...`),
    /// none when libmvec cannot be loaded into this process (the JIT must find
    /// the functions here, as emitted objects find them through `-lm`).
    init(features: String) {
        guard VectorMathLibrary.handle != nil else { isas = []; return }
        let enabled = enabledCPUFeatures(features)
        var isas = [ISA(letter: "b", registerBits: 128)]
        if enabled.contains("avx2") { isas.append(ISA(letter: "d", registerBits: 256)) }
        if enabled.contains("avx512f") { isas.append(ISA(letter: "e", registerBits: 512)) }
        self.isas = isas
    }

    /// libmvec in this process (loaded once, globally, so the JIT's process
    /// symbol search finds it), or nil when the C library has none.
    nonisolated(unsafe) private static let handle: UnsafeMutableRawPointer? = dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL)

    /// The lane counts libmvec has a variant of for this element type, narrowest first.
    func laneCounts(_ type: ScalarType) -> [Int] {
        guard type.isFloat else { return [] }
        return isas.map { $0.registerBits / (8 * type.byteSize) }
    }

    /// The symbol of the vector variant of `f` on `lanes` lanes of `type`, when this
    /// libmvec has one (`tanh` came in glibc 2.35).
    func function(_ f: MathFunction, _ type: ScalarType, lanes: Int) -> String? {
        guard let scalarName = VectorMathLibrary.scalarName(f, type),
              let isa = isas.first(where: { $0.registerBits / (8 * type.byteSize) == lanes }) else { return nil }
        let symbol = "_ZGV\(isa.letter)N\(lanes)\(String(repeating: "v", count: f.arity))_\(scalarName)"
        guard dlsym(VectorMathLibrary.handle, symbol) != nil else { return nil }
        return symbol
    }

    /// The C library name of `f` in this precision, for the functions libmvec has.
    private static func scalarName(_ f: MathFunction, _ type: ScalarType) -> String? {
        let names: [MathFunction: String] = [.exp: "exp", .log: "log", .sin: "sin", .cos: "cos", .pow: "pow", .tanh: "tanh"]
        guard let name = names[f] else { return nil }
        switch type {
        case .f32: return name + "f"
        case .f64: return name
        case .bool, .i32, .index: return nil
        }
    }
}
