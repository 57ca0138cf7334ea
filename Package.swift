// swift-tools-version:6.0
// SwiftGAN: a deterministic, data-parallel GAN trainer.
//
// Dependency direction (one way only):
//   C shims (CBLAS, CZeroMQ, CZlib, CPNG, CGIF, CStb)
//     -> GANTensor (storage, RNG, GEMM, .npy)
//     -> GANLayers (layers, losses, flat parameters)
//     -> GANOptim (Adam)
//     -> GANModels (MLP, DCGAN family)
//     -> GANData, GANImage, GANCheckpoint (data sets, pictures, safetensors)
//     -> GANTraining (shard tree, step, trainer) -> GANEval (quality numbers)
//     -> GANTransport (ZeroMQ, wire format) -> GANDistributed (coordinator, worker)
//     -> GANCommandLine (every command's flags and runs) -> thin executables (gan-train, gan-sample, gan-eval, gan-coord, gan-worker)
import PackageDescription

/// Numeric targets are compiled whole-module with bounds checks off in release builds:
/// their inner loops run over raw pointers whose extents are checked once per call.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "SwiftGAN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gan-train", targets: ["gan-train"]),
        .executable(name: "gan-sample", targets: ["gan-sample"]),
        .executable(name: "gan-eval", targets: ["gan-eval"]),
        .executable(name: "gan-coord", targets: ["gan-coord"]),
        .executable(name: "gan-worker", targets: ["gan-worker"]),
        .executable(name: "gan-bench", targets: ["gan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C shims: Debian -dev packages found through pkg-config.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CStb", pkgConfig: "stb", providers: [.apt(["libstb-dev"])]),

        // Libraries, one concern each.
        .target(name: "GANTensor", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "GANLayers", dependencies: ["GANTensor"], swiftSettings: fast),
        .target(name: "GANOptim", dependencies: ["GANTensor"], swiftSettings: fast),
        .target(name: "GANModels", dependencies: ["GANLayers"], swiftSettings: fast),
        .target(name: "GANData", dependencies: ["GANTensor", "CZlib", "CStb"], swiftSettings: fast),
        .target(name: "GANImage", dependencies: ["GANTensor", "CPNG", "CGIF"], swiftSettings: fast),
        .target(name: "GANCheckpoint", dependencies: ["GANTensor"], swiftSettings: fast),
        .target(name: "GANTraining",
                dependencies: ["GANModels", "GANOptim", "GANData", "GANImage", "GANCheckpoint", logging],
                swiftSettings: fast),
        .target(name: "GANTransport", dependencies: ["CZeroMQ", "GANTensor", logging], swiftSettings: fast),
        .target(name: "GANDistributed", dependencies: ["GANTraining", "GANTransport", logging], swiftSettings: fast),

        .target(name: "GANEval", dependencies: ["GANTraining"], swiftSettings: fast),

        // The flags shared by every command (one definition, so gan-train and gan-coord agree).
        .target(name: "GANCommandLine", dependencies: ["GANTraining", "GANEval", "GANDistributed", argumentParser, logging]),

        // Thin executables: argument parsing and wiring only.
        .executableTarget(name: "gan-train", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-sample", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-eval", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-coord", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-worker", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-bench", dependencies: ["GANTraining", argumentParser, logging]),

        // Tests mirror Sources: one test target per library target.
        .testTarget(name: "GANTensorTests", dependencies: ["GANTensor"]),
        .testTarget(name: "GANLayersTests", dependencies: ["GANLayers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANOptimTests", dependencies: ["GANOptim", "GANLayers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANModelsTests", dependencies: ["GANModels"]),
        .testTarget(name: "GANDataTests", dependencies: ["GANData"]),
        .testTarget(name: "GANImageTests", dependencies: ["GANImage"]),
        .testTarget(name: "GANCheckpointTests", dependencies: ["GANCheckpoint"]),
        .testTarget(name: "GANTrainingTests", dependencies: ["GANTraining"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANEvalTests", dependencies: ["GANEval"]),
        .testTarget(name: "GANCommandLineTests", dependencies: ["GANCommandLine"]),
        .testTarget(name: "GANTransportTests", dependencies: ["GANTransport"]),
        .testTarget(name: "GANDistributedTests", dependencies: ["GANDistributed", "GANCommandLine"]),
    ],
    swiftLanguageModes: [.v5]
)
