// The option groups `classify` and `stream` share, and the value types they parse.

import ArgumentParser
import MoViNet
import Foundation

public enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case text, json, jsonl, csv
    /// Subtitles: `segments` (one cue per span) and `stream --every-frame` (one cue per frame).
    case srt, vtt

    /// Whether the format is a subtitle file rather than records.
    public var isSubtitles: Bool { self == .srt || self == .vtt }
}

/// `--shard K/N`: input i (0-based, after expansion) belongs to shard (i mod N) + 1.
public struct Shard: Sendable, Equatable, ExpressibleByArgument, CustomStringConvertible {
    public let index: Int   // K, 1-based
    public let count: Int   // N

    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 1, index <= count else { return nil }
        self.index = index
        self.count = count
    }

    public init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: k, count: n)
    }

    /// The inputs of this shard, in their original order.
    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    public var description: String { "\(index)/\(count)" }
}

/// A time in seconds given as `SECONDS`, `MM:SS` or `HH:MM:SS` (fractions allowed in the last
/// part), as `ffmpeg -ss` takes it.
public struct Seconds: Sendable, Equatable, ExpressibleByArgument, CustomStringConvertible {
    public let value: Double

    public init(_ value: Double) { self.value = value }

    public init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && ($0.isNumber || (last && $0 == ".")) }),
                  let v = Double(part), v.isFinite else { return nil }
            if !last && parts.count > 1 && i > 0 && v >= 60 { return nil }   // MM in HH:MM:SS
            total = total * 60 + v
        }
        value = total
    }

    public var description: String { "\(value)" }
}

/// Which model, which labels, and where models are kept.
public struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong,
            help: "Model id (see 'movinet models list') or path to a .tflite file, checkpoint or SavedModel.")
    public var model: String = "a0-stream-int8"

    @Option(help: ArgumentHelp("Label file, one label per line (default: the model's Kinetics-600 list).",
                               valueName: "path"))
    public var labels: String?

    @OptionGroup public var store: StoreOptions

    public init() {}
}

/// Where the model store lives and whether it may use the network.
public struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Model cache folder (default: $MOVINET_CACHE, else $XDG_CACHE_HOME/movinet, else ~/.cache/movinet).",
        valueName: "dir"))
    public var cacheDir: String?

    @Flag(help: "Never use the network: fail if a model is not in the cache.")
    public var offline = false

    @Option(help: ArgumentHelp("Fetch models from this base URL instead of the official hosts (also $MOVINET_MODEL_BASE_URL).",
                               valueName: "url"))
    public var modelBaseUrl: String?

    public init() {}

    public func validate() throws {
        if let base = modelBaseUrl, URL(string: base)?.scheme == nil {
            throw ValidationError("--model-base-url must be a URL, got '\(base)'")
        }
    }
}

/// The inputs and how they are spread over jobs and machines.
public struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "Video or GIF files, .npy arrays (T,H,W,3), folders (searched recursively), URLs (http(s), rtsp, rtmp, udp, srt, tcp), cameras (/dev/video0), 'pipe:' for video bytes on standard input, or '-' to read paths from standard input.",
        valueName: "input"))
    public var inputs: [String] = []

    @Option(help: ArgumentHelp("Process only slice K of N of the input list (inputs i with i mod N = K-1).",
                               valueName: "K/N"))
    public var shard: Shard?

    @Option(name: .shortAndLong, help: "Inputs processed in parallel (output stays in input order).")
    public var jobs: Int = 1

    @Flag(name: [.customShort("0"), .customLong("null")],
          help: "The '-' list is NUL-separated (find -print0); '-' is implied when no input is given.")
    public var nulSeparated = false

    public init() {}

    /// The inputs, with the `-` that `-0` implies when none is given.
    public var arguments: [String] { nulSeparated && inputs.isEmpty ? ["-"] : inputs }

    /// How the `-` list is separated.
    public var separator: Inputs.Separator { nulSeparated ? .nul : .newline }

    public func validate() throws {
        if arguments.isEmpty { throw ValidationError("no inputs given (use '-' to read paths from standard input)") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("'-' may be given only once") }
        if nulSeparated && !arguments.contains("-") {
            throw ValidationError("-0 describes the '-' list on standard input; give '-' (or no input)")
        }
    }
}

extension Precision: ExpressibleByArgument {}

/// Sampling, preprocessing and compute.
public struct RunOptions: ParsableArguments {
    @Option(help: "Frames per second to sample (0 keeps every frame).")
    public var fps: Double = 5

    @Option(help: "Threads inside one frame (default: all cores divided by --jobs).")
    public var threads: Int?

    @Option(help: ArgumentHelp("Arithmetic: auto runs int8 TFLite files in int8 (LiteRT's logits), other models in float; float runs int8 files' weights in float32.",
                               valueName: "auto|int8|float"))
    public var precision: Precision = .auto

    @Option(help: "Square input size in pixels (default: the model's, 172 for A0/A1, 224 for A2).")
    public var size: Int?

    @Option(help: "Base models: frames per window; longer videos are cut into windows whose probabilities are averaged.")
    public var window: Int = 50

    @Flag(help: "Cut the largest centred square from each frame before resizing.")
    public var centerCrop = false

    @Flag(name: .customLong("autorotate"), inversion: .prefixedNo,
          help: "Turn frames upright by the video's display matrix (phone videos), as players do.")
    public var autorotate = true

    @Option(help: ArgumentHelp("Start this far into each video (seconds, MM:SS or HH:MM:SS).", valueName: "time"))
    public var start: Seconds?

    @Option(help: ArgumentHelp("Classify only this long a span (seconds, MM:SS or HH:MM:SS).", valueName: "time"))
    public var duration: Seconds?

    public init() {}

    public func validate() throws {
        if let duration, !(duration.value > 0) { throw ValidationError("--duration must be more than 0") }
        if !(fps >= 0) || !fps.isFinite { throw ValidationError("--fps must be 0 or more") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let s = size, s < 32 || s > 1024 { throw ValidationError("--size must be between 32 and 1024") }
        if window < 1 { throw ValidationError("--window must be at least 1") }
    }
}

/// What is printed and how.
public struct OutputOptions: ParsableArguments {
    @Option(help: "Output format.")
    public var format: OutputFormat = .text

    @Option(name: [.customShort("k"), .long], help: "Labels printed per result.")
    public var topK: Int = 5

    @Option(help: "Only print labels with at least this probability.")
    public var threshold: Double = 0

    @Flag(help: "Include the raw logits (json and jsonl).")
    public var logits = false

    @Flag(name: .shortAndLong, help: "No progress bar, warnings or per-input error lines on stderr.")
    public var quiet = false

    @Flag(help: "List on stderr each file a folder scan skipped, and why.")
    public var verbose = false

    public init() {}

    public func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if !(threshold >= 0 && threshold <= 1) { throw ValidationError("--threshold must be between 0 and 1") }
        if logits && !(format == .json || format == .jsonl) {
            throw ValidationError("--logits needs --format json or jsonl")
        }
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be combined") }
    }
}
