// A file decoded before its model exists: the CLI starts its first input while the model loads,
// so that a short GIF's decoding runs on the core that the import leaves idle rather than beside
// the model's threads. Frames wait sampled but at the video's own size (the model's input size is
// known only once it is loaded), a bounded number of bytes ahead.

import Foundation
import VideoDecoding

/// One local video or GIF opened, decoded and sampled on threads of their own from the moment it
/// is started. Give it to ``VideoClassifier/adopt(_:)``: the classifier's next run of the same input
/// with the same sampling takes these frames instead of opening the file again. The frames, the
/// warnings and the errors are the ones that opening the file then would give.
public final class EarlyFrames: @unchecked Sendable {
    /// The input, as it was named.
    public let input: String
    let fps: Double
    let decoding: DecodingOptions
    /// Bytes of decoded frames held ahead of the consumer (at least one frame).
    static let budget = 32 << 20
    /// Most frames held ahead.
    static let maxDepth = 16

    private let condition = NSCondition()
    private var openResult: Result<EarlySampled, Error>?
    private var stopped = false
    private var taken = false

    /// Starts `input` when it is a local regular file to decode (nil for URLs, `-`, pipes,
    /// devices, `.npy` arrays and `inputFormat` inputs, which are opened when they are run).
    public static func start(_ input: String, fps: Double, decoding: DecodingOptions) -> EarlyFrames? {
        guard decoding.inputFormat == nil, !MediaFiles.isURL(input), FileStatus.of(input)?.kind == .regular,
              !FrameStreams.isNpy(input) else { return nil }
        return EarlyFrames(input, fps: fps, decoding: decoding)
    }

    private init(_ input: String, fps: Double, decoding: DecodingOptions) {
        self.input = input
        self.fps = fps
        self.decoding = decoding
        let thread = Thread { [self] in self.open() }
        thread.stackSize = 4 << 20
        thread.name = "movinet-early-open"
        thread.start()
    }

    deinit { stop() }

    private func open() {
        let result = Result { try SampledFrames(path: input, fps: fps, options: decoding) }
        condition.lock()
        defer { condition.unlock() }
        defer { condition.broadcast() }
        if stopped {
            openResult = .failure(CancellationError())
            return
        }
        openResult = result.map { frames in
            let info = frames.source.info
            let frameBytes = max(1, info.width * info.height * 3)
            let depth = max(1, min(EarlyFrames.maxDepth, EarlyFrames.budget / frameBytes))
            return EarlySampled(frames, depth: depth)
        }
    }

    /// What the decoder says about the input once it is open (waiting for that); throws what
    /// opening it threw.
    public func opened() throws -> VideoInfo {
        try waitForOpen().get().info
    }

    private func waitForOpen() -> Result<EarlySampled, Error> {
        condition.lock()
        defer { condition.unlock() }
        while openResult == nil { condition.wait() }
        return openResult!
    }

    /// Whether a run of `input` with these sampling options can take the frames (once).
    func take(_ input: String, fps: Double, decoding: DecodingOptions) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !taken, !stopped, input == self.input, fps == self.fps, decoding == self.decoding else { return false }
        taken = true
        return true
    }

    /// The frames for a model of `size`×`size` pixels, waiting for the file to be open; throws
    /// what opening it threw.
    func frames(size: Int, centerCrop: Bool) throws -> FrameStream {
        VideoFrames(try waitForOpen().get(), size: size, fps: fps, centerCrop: centerCrop, start: decoding.start)
    }

    /// Stops the decoding (after the frame being decoded) unless a run took the frames; the CLI
    /// calls it when the batch ends.
    public func stop() {
        condition.lock()
        defer { condition.unlock() }
        if taken { return }
        stopped = true
        if case .success(let frames)? = openResult { frames.stop() }
    }
}

/// The decoded frames of an ``EarlyFrames``, read ahead on their own thread.
final class EarlySampled: SampledVideo, @unchecked Sendable {
    let info: VideoInfo
    private let handOver: FrameHandOver<VideoFrame>

    init(_ frames: SampledFrames, depth: Int) {
        info = frames.source.info
        let frames = UncheckedSendable(frames)
        handOver = FrameHandOver(keeping: .ahead(depth: depth), threadName: "movinet-early-frames",
                                 read: { try frames.value.next() }, warnings: { frames.value.source.warnings })
    }

    deinit { handOver.stop() }

    func next() throws -> VideoFrame? { try handOver.next() }
    var warnings: [String] { handOver.warnings }
    func stop() { handOver.stop() }
}
