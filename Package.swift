// swift-tools-version: 6.0
// movinet: a command-line video action classifier (MoViNet A0–A2, base and stream) in pure Swift.
import PackageDescription

// Code generation flags, decided by the architecture of the machine that evaluates this manifest.
// On x86-64, AVX2/FMA code generation: without it `SIMD.addingProduct` becomes a library call per
// lane (measured ~130x slower). Applied to debug builds too so that debug tests stay usable. On
// other architectures (arm64: Apple Silicon, Graviton, Raspberry Pi) no flag is needed: Swift SIMD
// lowers to NEON, which is part of the base arm64 target.
#if arch(x86_64)
let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let simdFlags: [SwiftSetting] = []
#endif
// MoViNetAVX512 alone is compiled for AVX-512 (F/BW/VL/DQ/CD) with VNNI: its kernels run only
// where CPUID says so (MoViNet's CPUFeatures), so the binary still runs on any x86-64-v3 machine.
#if arch(x86_64)
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4", "-Xcc", "-mavx512vnni"])]
#else
let avx512Flags: [SwiftSetting] = []
#endif
// Release builds are plain `-O` everywhere: bounds, overflow and exclusivity checks stay on. The
// parsers, importers and decoder glue read bytes from other people's files and must trap rather
// than corrupt memory; `-Ounchecked` in every module let crafted model files write out of bounds
// (issue 12). The kernels' indices come from validated shapes and they run on unsafe pointers,
// so the checks cost them little: measured in README (Development, "Checked builds").
let optimise: [SwiftSetting] = simdFlags

// CFFmpeg is headers only: VideoDecoding opens FFmpeg at run time (FFmpegLibrary.swift), so
// nothing may add `-lavformat …` as pkg-config does. Debian's headers are on the default include
// path; Homebrew's are not, so macOS still asks pkg-config, and links FFmpeg with the flags it gets.
#if os(macOS)
let ffmpegPkgConfig: String? = "libavformat"
#else
let ffmpegPkgConfig: String? = nil
#endif

// The executable carries the Swift runtime and Foundation inside it on Linux: loading the
// twenty shared Swift libraries (and binding their symbols) took ~6.5 ms of every run (`movinet
// --version` 14.1 → 7.6 ms, README "Accuracy and speed"), and the binary then needs no Swift
// toolchain on the machine that runs it. Only the executable: test bundles link XCTest dynamically.
#if os(Linux)
let executableLinking: [LinkerSetting] = [.unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections"])]
#else
let executableLinking: [LinkerSetting] = []
#endif

let package = Package(
    name: "movinet",
    platforms: [.macOS(.v15)],   // Synchronization's Atomic (the thread pool) needs macOS 15
    products: [
        .executable(name: "movinet", targets: ["movinet"]),
        .library(name: "MoViNetKit", targets: ["MoViNetKit"]),
        .library(name: "VideoDecoding", targets: ["VideoDecoding"]),
        .library(name: "MoViNet", targets: ["MoViNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: ffmpegPkgConfig,
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"]),
                        .brew(["ffmpeg"])]),
        .systemLibrary(name: "CGIFLib", providers: [.apt(["libgif-dev"]), .brew(["giflib"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "CGIFLib"], swiftSettings: optimise),
        .target(name: "MoViNetAVX512", swiftSettings: avx512Flags),
        .target(name: "MoViNet", dependencies: ["MoViNetAVX512"], swiftSettings: optimise),
        .target(name: "MoViNetKit", dependencies: ["VideoDecoding", "MoViNet", "CZlib"], swiftSettings: simdFlags),
        .target(
            name: "MovinetCLI",
            dependencies: [
                "MoViNetKit", "VideoDecoding", "MoViNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdFlags),
        .executableTarget(
            name: "movinet", dependencies: ["MovinetCLI"], swiftSettings: simdFlags, linkerSettings: executableLinking),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "VideoDecodingTests", dependencies: ["VideoDecoding", "TestSupport"], swiftSettings: simdFlags),
        .testTarget(
            name: "MoViNetTests", dependencies: ["MoViNet", "TestSupport"], exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "MoViNetKitTests", dependencies: ["MoViNetKit", "MoViNet", "VideoDecoding", "TestSupport"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "MovinetCLITests",
            dependencies: ["MovinetCLI", "MoViNetKit", "VideoDecoding", "MoViNet", "TestSupport"],
            exclude: ["Golden"], swiftSettings: simdFlags),
    ]
)
