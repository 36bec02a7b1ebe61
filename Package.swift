// swift-tools-version: 6.0
// LLVM's include path is not set here: the Makefile passes `-Xcc -I$(llvm-config-19 --includedir)`.
import PackageDescription

let package = Package(
    name: "Hone",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Hone", targets: ["Hone"]),
        .executable(name: "hone", targets: ["hone"]),
    ],
    dependencies: [
        // The command line: subcommands, typed options and generated --help.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        .target(name: "HoneIR"),
        .target(name: "HoneSchedule", dependencies: ["HoneIR"]),
        .target(name: "HoneCodegen", dependencies: ["HoneIR", "CLLVM"]),
        .target(name: "HoneMeasure", dependencies: ["HoneIR", "HoneSchedule", "HoneCodegen"]),
        .target(name: "HoneCostModel", dependencies: ["HoneIR"]),
        .target(name: "HoneSearch", dependencies: ["HoneIR", "HoneSchedule", "HoneMeasure", "HoneCostModel"]),
        .target(name: "Hone", dependencies: ["HoneIR", "HoneSchedule", "HoneCodegen", "HoneMeasure", "HoneCostModel", "HoneSearch"]),
        .executableTarget(name: "hone", dependencies: [
            "Hone",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "HoneIRTests", dependencies: ["HoneIR"]),
        .testTarget(name: "HoneCodegenTests", dependencies: ["Hone", "HoneTestSupport"]),
        .testTarget(name: "HoneCLITests", dependencies: ["Hone", "HoneTestSupport"]),
        .testTarget(name: "HoneScheduleTests", dependencies: ["Hone", "HoneTestSupport"]),
        .testTarget(name: "HoneMeasureTests", dependencies: ["Hone", "HoneTestSupport"]),
        .testTarget(name: "HoneCostModelTests", dependencies: ["HoneCostModel", "Hone", "HoneTestSupport"]),
        .target(name: "HoneTestSupport", dependencies: ["Hone"], path: "Tests/HoneTestSupport"),
        .testTarget(name: "HoneSearchTests", dependencies: ["Hone", "HoneTestSupport"], exclude: ["Golden"]),
    ]
)
