import Foundation
import HoneIR

/// The OpenMP runtime (libgomp) that parallel loops call. It is loaded into
/// this process on first use, so JIT-compiled kernels resolve `GOMP_parallel`
/// here exactly as a linked object does with `-fopenmp`.
///
/// Idle threads spin briefly, then sleep (`OMP_WAIT_POLICY=passive` with
/// `GOMP_SPINCOUNT=1000`, about 10 µs), unless the environment sets either:
/// - libgomp's default spin-waiting (3 ms) is a little faster on an idle
///   machine but collapses when another process holds a core (measured with
///   bench-gemm on a loaded 2-core machine: gemm at 71% of OpenBLAS
///   spinning, 102% sleeping; conv2d at 35% and 207% of im2col + sgemm);
/// - sleeping at once makes every parallel region wait for a thread to wake:
///   on a 2-core virtual machine (znver3) 60-70 µs a region, so a layer
///   normalization in five regions ran 315-393 µs on 2 threads and 55 µs on
///   one. The short spin keeps a kernel's back-to-back regions on running
///   threads (31 µs) and, with one core taken by another process, timed
///   gemm, conv2d and softmax as sleeping at once does (0-30% slower; 10x
///   the spin: 30-100% slower).
public enum OpenMP {
    nonisolated(unsafe) private static let handle: UnsafeMutableRawPointer? = {
        // libgomp reads its settings when it is loaded; GOMP_SPINCOUNT overrides a policy, so it only goes with ours.
        if getenv("OMP_WAIT_POLICY") == nil && getenv("GOMP_SPINCOUNT") == nil {
            setenv("OMP_WAIT_POLICY", "passive", 1)
            setenv("GOMP_SPINCOUNT", "1000", 1)
        }
        return dlopen("libgomp.so.1", RTLD_NOW | RTLD_GLOBAL)
    }()

    /// Loads the runtime; throws when it is not installed.
    static func load() throws {
        guard handle != nil else {
            throw HoneError("cannot load the OpenMP runtime libgomp.so.1 (apt-get install libgomp1): \(String(cString: dlerror()))")
        }
    }

    /// Sets how many threads parallel loops use from now on (libgomp's
    /// `omp_set_num_threads`); by default, one per core.
    public static func setThreadCount(_ count: Int) throws {
        try load()
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(handle, "omp_set_num_threads") else {
            throw HoneError("libgomp has no omp_set_num_threads")
        }
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(count))
    }

    /// How many threads parallel loops use now (libgomp's `omp_get_max_threads`:
    /// the last `setThreadCount`, else OMP_NUM_THREADS, else one per core).
    public static var threadCount: Int {
        guard (try? load()) != nil, let symbol = dlsym(handle, "omp_get_max_threads") else {
            return ProcessInfo.processInfo.activeProcessorCount
        }
        typealias GetThreads = @convention(c) () -> Int32
        return Int(unsafeBitCast(symbol, to: GetThreads.self)())
    }
}
