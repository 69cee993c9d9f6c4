// swift-tools-version: 6.0
// movinet: a command-line video action classifier (MoViNet A0–A2, base and stream) in pure Swift.
import PackageDescription

// AVX2/FMA code generation. Without it `SIMD.addingProduct` becomes a library call per lane
// (measured ~130x slower). Applied to debug builds too so that debug tests stay usable.
let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
let optimise: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"]),
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "movinet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "movinet", targets: ["movinet"]),
        .library(name: "VideoDecoding", targets: ["VideoDecoding"]),
        .library(name: "MoViNet", targets: ["MoViNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CGIFLib", providers: [.apt(["libgif-dev"])]),
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "CGIFLib"], swiftSettings: optimise),
        .target(name: "MoViNet", swiftSettings: optimise),
        .target(
            name: "MovinetCLI",
            dependencies: [
                "VideoDecoding", "MoViNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimise),
        .executableTarget(name: "movinet", dependencies: ["MovinetCLI"], swiftSettings: simdFlags),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "VideoDecodingTests", dependencies: ["VideoDecoding", "TestSupport"], swiftSettings: simdFlags),
        .testTarget(
            name: "MoViNetTests", dependencies: ["MoViNet", "TestSupport"], exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "MovinetCLITests", dependencies: ["MovinetCLI", "VideoDecoding", "MoViNet", "TestSupport"],
            exclude: ["Golden"], swiftSettings: simdFlags),
    ]
)
