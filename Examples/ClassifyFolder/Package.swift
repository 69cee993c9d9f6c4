// swift-tools-version: 6.0
// An example app on MoViNetKit: classifies every video in a folder and prints one JSON line per file.
import PackageDescription

let package = Package(
    name: "ClassifyFolder",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "movinet", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "classify-folder",
            dependencies: [.product(name: "MoViNetKit", package: "movinet")]),
    ]
)
