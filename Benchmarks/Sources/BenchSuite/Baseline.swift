import Foundation
import Hone

/// A library call that computes what a suite kernel computes, on the same
/// input buffers, into memory of its own.
public struct Baseline {
    /// What is called, e.g. "oneDNN convolution (NCHW in and out)".
    public var name: String
    /// True when it takes and returns the kernel's own layout (row-major,
    /// NCHW), as Hone's function does; false for a library's preferred
    /// layout, whose conversions happen outside the timed call.
    public var sameLayout: Bool
    /// The timed call.
    public var run: () -> Void
    /// The output in the kernel's layout, after `run` (converting from the
    /// library's layout when needed; not timed).
    public var output: () -> [Float]
    /// Keeps the library objects and buffers alive as long as the baseline.
    var owner: AnyObject?

    public init(name: String, sameLayout: Bool = true, owner: AnyObject? = nil, run: @escaping () -> Void, output: @escaping () -> [Float]) {
        self.name = name
        self.sameLayout = sameLayout
        self.owner = owner
        self.run = run
        self.output = output
    }
}

/// The baselines a suite row can name.
public enum BaselineKind: String, CaseIterable, Sendable {
    /// OpenBLAS cblas_sgemm for matmuls, im2col + sgemm for convolutions,
    /// sgemm + col2im for transposed convolutions, snrm2 for the norm.
    case openblas
    /// oneDNN's dnnl_sgemm for matmuls.
    case dnnlSgemm = "dnnl_sgemm"
    /// oneDNN's primitives (convolution, deconvolution, softmax, layer
    /// normalization, reduction), in the kernel's layout and, where the
    /// layout matters, in oneDNN's preferred one.
    case dnnl
    /// Halide 21 on the image pipelines (blur3x3, harris): the CPU schedule
    /// of its apps, its Mullapudi2016 and its Adams2019 autoscheduler
    /// (HalideBaselines.swift; built by `make bench-halide`).
    case halideManual = "halide-manual"
    case halideMullapudi2016 = "halide-mullapudi2016"
    case halideAdams2019 = "halide-adams2019"
}

/// A float buffer owned by a baseline (64-byte aligned).
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

extension TensorBuffer {
    var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
}

/// The baselines of `kinds` that apply to `kernel`, reading the kernel's
/// input buffers (in calling order, as `KernelBuffers` holds them).
/// Throws when a named baseline does not apply to the kernel, and
/// `HalideUnavailable` when the Halide baselines are not built here.
public func makeBaselines(_ kinds: [BaselineKind], for kernel: Kernel, inputs: [TensorBuffer]) throws -> [Baseline] {
    // Halide computes kernels no library does: no Operation for them.
    func operation() throws -> Operation { try Operation(kernel) }
    var baselines: [Baseline] = []
    for kind in kinds {
        switch kind {
        case .openblas: baselines += try openBLASBaselines(operation(), inputs)
        case .dnnlSgemm: baselines += try dnnlSgemmBaselines(operation(), inputs)
        case .dnnl: baselines += try dnnlPrimitiveBaselines(operation(), inputs)
        case .halideManual: baselines += try halideBaselines(.manual, kernel, inputs)
        case .halideMullapudi2016: baselines += try halideBaselines(.mullapudi2016, kernel, inputs)
        case .halideAdams2019: baselines += try halideBaselines(.adams2019, kernel, inputs)
        }
    }
    // The calls hold raw pointers into the inputs: keep them alive too.
    return baselines.map { var b = $0; b.owner = [b.owner as Any, inputs] as AnyObject; return b }
}
