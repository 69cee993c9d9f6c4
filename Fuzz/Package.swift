// swift-tools-version: 6.0
// libFuzzer harnesses for movinet's parsers, a package of their own so that the main build and its
// tests never see `-sanitize=fuzzer`. Build and run them with `scripts/fuzz` (see Fuzz/README.md).
import PackageDescription

let targets = [
    "FuzzGIF", "FuzzFFmpeg", "FuzzSampler", "FuzzResize", "FuzzTFLite", "FuzzCheckpoint",
    "FuzzObjectGraph", "FuzzSavedModel", "FuzzNpy", "FuzzTar", "FuzzGunzip", "FuzzLabels",
]

let package = Package(
    name: "movinet-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "movinet", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "VideoDecoding", package: "movinet")]),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "MoViNet", package: "movinet"),
                .product(name: "VideoDecoding", package: "movinet"),
                .product(name: "MoViNetKit", package: "movinet"),
            ])
    }
)
