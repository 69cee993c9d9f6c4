// Decoding beside inference: a file's next frames are decoded and preprocessed on a thread of
// their own while the model runs on the current one, a bounded few ahead, none dropped (the
// hand-over is LiveFrames.swift's FrameHandOver).

/// A ``FrameStream`` that reads `source` up to `depth` frames ahead on its own thread: ``next()``
/// returns the same frames in the same order as `source` would, then its error (if any) after
/// the frames before it. ``stop()`` ends the reading early (the consumer is done).
public final class ReadAheadFrames: FrameStream, @unchecked Sendable {
    private let handOver: FrameHandOver<SampledFrame>
    /// The side of the square frames in pixels (the source's).
    public let frameSize: Int

    /// Starts reading `source` on a thread of its own (the source is used only there from now on).
    public init(_ source: FrameStream, depth: Int = 2) {
        frameSize = source.frameSize
        handOver = FrameHandOver(source, keeping: .ahead(depth: max(1, depth)), threadName: "movinet-read-ahead")
    }

    /// The next frame, waiting for it; nil at the end (after the source's error, if any).
    public func next() throws -> SampledFrame? { try handOver.next() }

    /// The source's warnings, as of the last frame it gave.
    public var warnings: [String] { handOver.warnings }

    /// Stops reading after the frame being read.
    public func stop() { handOver.stop() }
}
