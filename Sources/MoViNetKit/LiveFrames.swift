// Realtime reading of a live input: the frames are decoded on a thread of their own as fast as
// they arrive, and the model takes the newest one each time it is ready; the ones it never took
// are skipped (their indices are missing from the predictions).

import Foundation

/// A ``FrameStream`` that reads `source` on its own thread without ever waiting for the consumer,
/// keeping only the newest frame: ``next()`` returns it (waiting when none is new), so a consumer
/// slower than the source skips frames instead of making the source wait. The last frame of the
/// source is always handed out, and a read error comes after the frames before it.
public final class LatestFrames: FrameStream, @unchecked Sendable {
    private let condition = NSCondition()
    private var latest: SampledFrame?
    private var ended = false
    private var failure: Error?
    private var stopped = false
    private var seenWarnings: [String] = []
    /// Frames replaced before the consumer took them.
    public private(set) var replaced = 0
    /// The side of the square frames in pixels (the source's).
    public let frameSize: Int

    /// Starts reading `source` on a thread of its own (the source is used only there from now on);
    /// the thread runs until the source ends or ``stop()`` is called.
    public init(_ source: FrameStream) {
        frameSize = source.frameSize
        let handOver = UncheckedSendable(source)
        let thread = Thread { [self] in self.produce(handOver.value) }
        thread.stackSize = 4 << 20
        thread.name = "movinet-live-frames"
        thread.start()
    }

    private func produce(_ source: FrameStream) {
        while true {
            let frame: SampledFrame?
            var caught: Error?
            do { frame = try source.next() } catch { frame = nil; caught = error }
            condition.lock()
            seenWarnings = source.warnings
            if stopped { condition.unlock(); return }
            if let frame {
                if latest != nil { replaced += 1 }
                latest = frame
            } else {
                ended = true
                failure = caught
            }
            condition.broadcast()
            condition.unlock()
            if frame == nil { return }
        }
    }

    /// The newest frame not handed out yet, waiting for one; nil at the end.
    public func next() throws -> SampledFrame? {
        condition.lock()
        defer { condition.unlock() }
        while latest == nil && !ended { condition.wait() }
        if let frame = latest {
            latest = nil
            return frame
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

    /// Stops reading after the frame being read (the consumer is done).
    public func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
    }
}
