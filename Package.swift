// swift-tools-version:6.0
// SwiftGAN: a deterministic, data-parallel GAN trainer.
//
// Dependency direction (one way only):
//   C shims (CBLAS, CZeroMQ, CZlib, CPNG, CGIF, CStb)
//     -> GANTensor (storage, RNG and stream keys, GEMM, numerics fingerprint, .npy, GANError)
//     -> GANLayers (layers, losses, flat parameters), GANOptim (Adam)
//     -> GANModels (MLP, DCGAN family)
//     -> GANData, GANImage, GANCheckpoint (data sets and 1-D statistics, pictures, safetensors)
//     -> GANTraining (phase vector, shard tree, step, trainer, observers, guards, TensorBoard)
//     -> GANEval (quality numbers) | GANMonitor (dashboard, /metrics, report.html; Hummingbird)
//        | GANDistributed (coordinator, audits, worker) on GANTransport (ZeroMQ, wire format; needs only GANTensor)
//     -> GANCommandLine (every command's flags and runs)
//     -> thin executables (gan-train, gan-sample, gan-eval, gan-coord, gan-worker; gan-bench on GANTraining)
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
        // The dashboard's and /metrics' HTTP server, and the Prometheus exposition format.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C shims: Debian -dev packages found through pkg-config.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CStb", pkgConfig: "stb", providers: [.apt(["libstb-dev"])]),
        // The FMA peak loop benchmarks compare against (C for its per-ISA target attributes).
        .target(name: "CFMAPeak"),

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

        // What a person watches: the dashboard, /metrics and report.html, fed by the trainer's RunEvents.
        .target(name: "GANMonitor",
                dependencies: ["GANTraining", logging, .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),

        // The flags shared by every command (one definition, so gan-train and gan-coord agree).
        .target(name: "GANCommandLine", dependencies: ["GANTraining", "GANEval", "GANMonitor", "GANDistributed", argumentParser, logging]),

        // Thin executables: argument parsing and wiring only.
        .executableTarget(name: "gan-train", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-sample", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-eval", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-coord", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-worker", dependencies: ["GANCommandLine", argumentParser, logging]),
        .executableTarget(name: "gan-bench", dependencies: ["GANCommandLine", "CFMAPeak", argumentParser, logging]),

        // Tests mirror Sources: one test target per library target, plus the helpers they share
        // (child processes, products, ports, quiet loggers, small runs). A plain target that only
        // test targets depend on: no executable links it.
        .target(name: "GANTestSupport", dependencies: ["GANTraining", logging], path: "Tests/GANTestSupport"),
        .testTarget(name: "GANTensorTests", dependencies: ["GANTensor"]),
        .testTarget(name: "GANLayersTests", dependencies: ["GANLayers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANOptimTests", dependencies: ["GANOptim", "GANLayers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANModelsTests", dependencies: ["GANModels"]),
        .testTarget(name: "GANDataTests", dependencies: ["GANData"]),
        .testTarget(name: "GANImageTests", dependencies: ["GANImage"]),
        .testTarget(name: "GANCheckpointTests", dependencies: ["GANCheckpoint", "GANTestSupport"]),
        .testTarget(name: "GANTrainingTests", dependencies: ["GANTraining", "GANTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GANEvalTests", dependencies: ["GANEval"]),
        .testTarget(name: "GANMonitorTests", dependencies: ["GANMonitor", "GANTraining", "GANTestSupport"], exclude: ["Scripts"]),
        .testTarget(name: "GANCommandLineTests", dependencies: ["GANCommandLine", "GANTestSupport"]),
        .testTarget(name: "GANTransportTests", dependencies: ["GANTransport", "GANTestSupport"]),
        .testTarget(name: "GANDistributedTests", dependencies: ["GANDistributed", "GANCommandLine", "GANTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
