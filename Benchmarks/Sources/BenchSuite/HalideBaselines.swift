import Foundation
import Hone

/// Halide 21's versions of the image pipelines (blur3x3, harris): its own
/// hand schedule and its two autoschedulers, AOT-compiled for this CPU by
/// Benchmarks/halide/build.sh (`make bench-halide`) into one shared object
/// that this file loads with dlopen. Each runs on Halide's own thread pool
/// (pthreads, not OpenMP) of HL_NUM_THREADS threads, caller included, which
/// `configureThreads` sets to the bench's thread count.
enum HalideVariant: String {
    /// The CPU schedule of Halide's apps/blur or apps/harris.
    case manual
    case mullapudi2016
    case adams2019

    func title(_ kernel: String) -> String {
        switch self {
        case .manual: "Halide hand schedule (apps/\(kernel == "blur3x3" ? "blur" : kernel))"
        case .mullapudi2016: "Halide Mullapudi2016"
        case .adams2019: "Halide Adams2019"
        }
    }
}

/// The Halide baselines are not built on this machine (no network for pip,
/// say): the benchmarks skip them with this reason instead of failing.
public struct HalideUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "Halide baselines skipped: \(reason)" }
}

/// The shared object build.sh links, opened once per process.
final class HalideLibrary: @unchecked Sendable {
    /// hone_halide_KERNEL_VARIANT(input, min, extent, output, H, W): see Benchmarks/halide/entry.c.
    typealias Run = @convention(c) (UnsafePointer<Float>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?,
                                    UnsafeMutablePointer<Float>?, Int32, Int32) -> Int32
    /// hone_halide_KERNEL_VARIANT_region(H, W, output, min, extent): Halide's bounds query.
    typealias Region = @convention(c) (Int32, Int32, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Int32>?,
                                       UnsafeMutablePointer<Int32>?) -> Int32

    /// Benchmarks/.build/halide, found from this source file as the
    /// benchmarks find the repository.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/halide")
    static let shared: Result<HalideLibrary, HalideUnavailable> = open()

    private let handle: UnsafeMutableRawPointer

    private init(handle: UnsafeMutableRawPointer) { self.handle = handle }

    private static func open() -> Result<HalideLibrary, HalideUnavailable> {
        let path = directory.appendingPathComponent("libhone_halide.so").path
        guard FileManager.default.fileExists(atPath: path) else {
            let reason = (try? String(contentsOf: directory.appendingPathComponent("unavailable.txt"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return .failure(HalideUnavailable(reason: reason ?? "not built (make bench-halide builds them)"))
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(HalideUnavailable(reason: "cannot load \(path): \(String(cString: dlerror()))"))
        }
        return .success(HalideLibrary(handle: handle))
    }

    func function<T>(_ name: String, as type: T.Type) throws -> T {
        guard let symbol = dlsym(handle, name) else {
            throw HoneError("\(name) is missing from libhone_halide.so: rebuild it with make bench-halide")
        }
        return unsafeBitCast(symbol, to: type)
    }

    /// The size of Halide's thread pool, caller included (once a pipeline ran).
    var threads: Int {
        guard let count = try? function("hone_halide_threads", as: (@convention(c) () -> Int32).self) else { return 0 }
        return Int(count())
    }
}

/// What build.sh built the Halide baselines with (Halide's version, the
/// target, the autoschedulers' parallelism), or nil when they are not built.
public func halideBuildDescription() -> String? {
    guard case .success = HalideLibrary.shared else { return nil }
    return (try? String(contentsOf: HalideLibrary.directory.appendingPathComponent("version.txt"), encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The size of Halide's thread pool in this process, or nil when the Halide
/// baselines are not built.
public func halideThreadCount() -> Int? { try? HalideLibrary.shared.get().threads }

/// The status of a baseline's last call, read when its output is.
private final class CallStatus { var code: Int32 = 0 }

/// Halide's `variant` of `kernel` (blur3x3 or harris) on the kernel's input
/// buffer. When the schedule reads outside the image (Adams2019's harris
/// warms a sliding window up 16 rows above it), the image is copied once,
/// untimed, into a buffer with that margin (zeros), and the name says so.
func halideBaselines(_ variant: HalideVariant, _ kernel: Kernel, _ inputs: [TensorBuffer]) throws -> [Baseline] {
    guard kernel.name == "blur3x3" || kernel.name == "harris" else {
        throw HoneError("Halide computes blur3x3 and harris only, not \(kernel.name); list no halide baseline for it in the suite")
    }
    let library = try HalideLibrary.shared.get()
    let prefix = "hone_halide_\(kernel.name)_\(variant.rawValue)"
    let run = try library.function(prefix, as: HalideLibrary.Run.self)
    let region = try library.function(prefix + "_region", as: HalideLibrary.Region.self)
    let outputShape = kernel.output.shape
    let (height, width) = (Int32(outputShape[0]), Int32(outputShape[1]))
    let output = FloatBuffer(count: outputShape.reduce(1, *))

    // Halide orders dimensions innermost first: x, y (and the channel).
    let image = inputs[0].shape.reversed().map { Int32($0) }
    var required = [Int32](repeating: 0, count: image.count), requiredExtent = required
    let status = region(height, width, output.pointer, &required, &requiredExtent)
    guard status == 0 else { throw HoneError("\(prefix): Halide's bounds query failed (status \(status)); its message is above") }
    let lower = zip(required, image).map { min($0.0, 0) }
    let extent = (0..<image.count).map { max(required[$0] + requiredExtent[$0], image[$0]) - lower[$0] }

    var name = variant.title(kernel.name)
    var input = UnsafePointer(inputs[0].floats)
    var margin: FloatBuffer?
    if extent != image {
        let padded = FloatBuffer(count: extent.reduce(1) { $0 * Int($1) })
        copy(inputs[0].floats, shape: image.map(Int.init), into: padded.pointer, extent: extent.map(Int.init), at: lower.map { -Int($0) })
        let margins = (0..<image.count).compactMap { d -> String? in
            let before = -Int(lower[d]), after = Int(extent[d] - image[d]) - before
            return before == 0 && after == 0 ? nil : "\(["x", "y", "c"][d]) \(before) before, \(after) after"
        }
        name += " (input copied with margins: \(margins.joined(separator: "; ")))"
        input = UnsafePointer(padded.pointer)
        margin = padded
    }
    let callStatus = CallStatus()
    return [Baseline(name: name, owner: [output, margin as Any, callStatus] as AnyObject, run: {
        callStatus.code = run(input, lower, extent, output.pointer, height, width)
    }, output: {
        // A failed call (Halide printed why) must not pass for an answer.
        callStatus.code == 0 ? output.values : [Float](repeating: .nan, count: output.count)
    })]
}

/// Copies a dense `shape` (innermost first) into a dense `extent` buffer
/// whose element `offset` is the source's first.
private func copy(_ source: UnsafePointer<Float>, shape: [Int], into target: UnsafeMutablePointer<Float>, extent: [Int], at offset: [Int]) {
    let planes = shape.count > 2 ? shape[2] : 1
    for c in 0..<planes {
        for y in 0..<shape[1] {
            let from = source + (c * shape[1] + y) * shape[0]
            let plane = shape.count > 2 ? c + offset[2] : 0
            let to = target + ((plane * extent[1]) + y + offset[1]) * extent[0] + offset[0]
            to.update(from: from, count: shape[0])
        }
    }
}
