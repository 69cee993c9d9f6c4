// Live inputs on the command line: the FFmpeg input format and options (`-f`, `--input-option`),
// the read-stall timeout, and the signals (SIGINT, SIGTERM) that end a live run cleanly.

import ArgumentParser
import Dispatch
import Foundation
import VideoDecoding

/// `--input-option KEY=VALUE`: one demuxer or protocol option, as `ffmpeg` takes it before `-i`.
public struct InputOption: Sendable, Equatable, ExpressibleByArgument {
    public let key: String
    public let value: String

    public init?(argument: String) {
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else { return nil }
        key = String(argument[..<eq])
        value = String(argument[argument.index(after: eq)...])
    }
}

/// How live inputs (pipes, network streams, cameras) are opened.
public struct LiveInputOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("input-format")],
            help: ArgumentHelp("Read the inputs with this FFmpeg demuxer or device (v4l2, lavfi, mpegts, …), as 'ffmpeg -f' does.",
                               valueName: "format"))
    public var inputFormat: String?

    @Option(name: .customLong("input-option"),
            help: ArgumentHelp("A demuxer or protocol option, as ffmpeg takes it before -i (repeatable), e.g. rtsp_transport=tcp, video_size=640x480, listen=1.",
                               valueName: "key=value"))
    public var inputOptions: [InputOption] = []

    @Option(help: ArgumentHelp("End a live input with an error after this many seconds without data (default: 10 for network streams, none for pipes; 0: never).",
                                valueName: "seconds"))
    public var stallTimeout: Double?

    public init() {}

    public func validate() throws {
        if let t = stallTimeout, !(t >= 0) || !t.isFinite { throw ValidationError("--stall-timeout must be 0 or more") }
        if let f = inputFormat, f.isEmpty { throw ValidationError("--input-format needs a format name") }
    }

    /// The options as the decoder takes them (a key given twice: the last value).
    public var dictionary: [String: String] {
        var d: [String: String] = [:]
        for o in inputOptions { d[o.key] = o.value }
        return d
    }
}

/// SIGINT and SIGTERM during a run: the first one stops reading every input (``InputStop``), so
/// that the records of the frames already read, the inputs' results and the document's end are
/// still printed, and the run exits with 128 + the signal (130, 143). A second one ends the
/// process at once.
public enum StopSignals {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var sources: [DispatchSourceSignal] = []
        var received: Int32?
    }
    private static let state = State()

    /// Starts listening (idempotent).
    public static func install() {
        state.lock.lock()
        defer { state.lock.unlock() }
        guard state.sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                state.lock.lock()
                let first = state.received == nil
                if first { state.received = sig }
                state.lock.unlock()
                if first {
                    InputStop.request()
                } else {
                    signal(sig, SIG_DFL)
                    kill(getpid(), sig)
                }
            }
            source.resume()
            state.sources.append(source)
        }
    }

    /// The signal that stopped the run, if one did.
    public static var received: Int32? {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.received
    }
}
