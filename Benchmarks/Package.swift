// swift-tools-version: 6.0
// Hone's benchmarks: a package of their own, so only they link the baselines
// (OpenBLAS); the Hone library never does. Run them with `make bench`, which
// builds in release mode and passes LLVM's include path.
import PackageDescription

let package = Package(
    name: "HoneBenchmarks",
    dependencies: [
        .package(name: "Hone", path: ".."),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .executableTarget(name: "bench-gemm", dependencies: [.product(name: "Hone", package: "Hone"), "COpenBLAS"]),
        .executableTarget(name: "bench-costmodel", dependencies: [.product(name: "Hone", package: "Hone")]),
        .executableTarget(name: "bench-measure", dependencies: [.product(name: "Hone", package: "Hone")]),
        .executableTarget(name: "bench-features", dependencies: [.product(name: "Hone", package: "Hone")]),
    ]
)
