// Decoding beside inference: a file's next frames are decoded and preprocessed on a thread of
// their own while the model runs on the current one, a bounded few ahead, none dropped.

import Foundation

/// A ``FrameStream`` that reads `source` up to `depth` frames ahead on its own thread: ``next()``
/// returns the same frames in the same order as `source` would, then its error (if any) after
/// the frames before it. ``stop()`` ends the reading early (the consumer is done).
public final class ReadAheadFrames: FrameStream, @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [SampledFrame] = []
    private var ended = false
    private var failure: Error?
    private var stopped = false
    private var seenWarnings: [String] = []
    private let depth: Int
    /// The side of the square frames in pixels (the source's).
    public let frameSize: Int

    /// Starts reading `source` on a thread of its own (the source is used only there from now on).
    public init(_ source: FrameStream, depth: Int = 2) {
        frameSize = source.frameSize
        self.depth = max(1, depth)
        let handOver = UncheckedSendable(source)
        let thread = Thread { [self] in self.produce(handOver.value) }
        thread.stackSize = 4 << 20
        thread.name = "movinet-read-ahead"
        thread.start()
    }

    private func produce(_ source: FrameStream) {
        while true {
            condition.lock()
            while queue.count >= depth && !stopped { condition.wait() }
            let stop = stopped
            condition.unlock()
            if stop { return }
            let frame: SampledFrame?
            var caught: Error?
            do { frame = try source.next() } catch { frame = nil; caught = error }
            condition.lock()
            seenWarnings = source.warnings
            if let frame { queue.append(frame) } else { ended = true; failure = caught }
            condition.broadcast()
            condition.unlock()
            if frame == nil { return }
        }
    }

    /// The next frame, waiting for it; nil at the end (after the source's error, if any).
    public func next() throws -> SampledFrame? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !ended { condition.wait() }
        if !queue.isEmpty {
            condition.broadcast()
            return queue.removeFirst()
        }
        if let failure {
            self.failure = nil
            throw failure
        }
        return nil
    }

    /// The source's warnings, as of the last frame it gave.
    public var warnings: [String] {
        condition.lock()
        defer { condition.unlock() }
        return seenWarnings
    }

    /// Stops reading after the frame being read.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
