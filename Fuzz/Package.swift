// swift-tools-version: 5.4
// libFuzzer harnesses for movinet's parsers, a package of their own so that the main build and its
// tests never see `-sanitize=fuzzer`. Build and run them with `scripts/fuzz` (see Fuzz/README.md).
// Tools version 5.4 on purpose: from 5.5 SwiftPM links an executable's entry point as
// `<Module>_main` with `--defsym main=…`, which clashes with libFuzzer's own main().
import PackageDescription

let targets = [
    "FuzzGIF", "FuzzFFmpeg", "FuzzSampler", "FuzzResize", "FuzzTFLite", "FuzzCheckpoint",
    "FuzzObjectGraph", "FuzzSavedModel", "FuzzNpy", "FuzzTar", "FuzzGunzip", "FuzzLabels",
]

let package = Package(
    name: "movinet-fuzz",
    dependencies: [.package(name: "movinet", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "VideoDecoding", package: "movinet")]),
    ] + targets.map { name in
        .target(   // main.swift: an executable
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "MoViNet", package: "movinet"),
                .product(name: "VideoDecoding", package: "movinet"),
                .product(name: "MoViNetKit", package: "movinet"),
            ])
    }
)
