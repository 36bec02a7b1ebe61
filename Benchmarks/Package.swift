// swift-tools-version: 6.0
// Hone's benchmarks: a package of their own, so only they link the baselines
// (OpenBLAS, oneDNN); the Hone library never does. Run them with `make bench`
// (or `make bench-components`, `make bench-check`), which builds in release
// mode and passes LLVM's include path.
import PackageDescription

let hone = Target.Dependency.product(name: "Hone", package: "Hone")

let package = Package(
    name: "HoneBenchmarks",
    dependencies: [
        .package(name: "Hone", path: ".."),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .target(name: "CMachine", path: "Sources/CMachine"),
        // The ceilings' pure logic (which candidate is kept, the report's
        // ratios): no Hone or library dependency, so its tests build in seconds.
        .target(name: "BenchCeiling"),
        .target(name: "BenchSuite", dependencies: [hone, "BenchCeiling", "COpenBLAS", "CDNNL", "CMachine"]),
        .executableTarget(name: "bench-suite", dependencies: [hone, "BenchSuite", "BenchCeiling"]),
        .executableTarget(name: "bench-ceiling", dependencies: [hone, "BenchSuite", "BenchCeiling"]),
        .executableTarget(name: "bench-check", dependencies: [hone, "BenchSuite"]),
        .executableTarget(name: "bench-gemm", dependencies: [hone, "COpenBLAS"]),
        .executableTarget(name: "bench-costmodel", dependencies: [hone]),
        .executableTarget(name: "bench-measure", dependencies: [hone]),
        .executableTarget(name: "bench-features", dependencies: [hone]),
        .executableTarget(name: "bench-network", dependencies: [hone, "BenchSuite"]),
        .executableTarget(name: "bench-search", dependencies: [hone, "BenchSuite"]),
        .executableTarget(name: "bench-model", dependencies: [hone, "BenchSuite"]),
        .executableTarget(name: "bench-pipeline", dependencies: [hone, "BenchSuite"]),
        .testTarget(name: "BenchCeilingTests", dependencies: ["BenchCeiling"]),
    ]
)
