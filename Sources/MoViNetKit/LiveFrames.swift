// Realtime reading of a live input: the frames are decoded on a thread of their own as fast as
// they arrive, and the model takes the newest one each time it is ready; the ones it never took
// are skipped (their indices are missing from the predictions). The same hand-over, bounded and
// dropping nothing, reads a file's frames ahead of the model (ReadAheadFrames.swift).

import Foundation

/// A ``FrameStream`` that reads `source` on its own thread without ever waiting for the consumer,
/// keeping only the newest frame: ``next()`` returns it (waiting when none is new), so a consumer
/// slower than the source skips frames instead of making the source wait. The last frame of the
/// source is always handed out, and a read error comes after the frames before it.
public final class LatestFrames: FrameStream, @unchecked Sendable {
    private let handOver: FrameHandOver<SampledFrame>
    /// Frames replaced before the consumer took them.
    public var replaced: Int { handOver.replaced }
    /// The side of the square frames in pixels (the source's).
    public let frameSize: Int

    /// Starts reading `source` on a thread of its own (the source is used only there from now on);
    /// the thread runs until the source ends or ``stop()`` is called.
    public init(_ source: FrameStream) {
        frameSize = source.frameSize
        handOver = FrameHandOver(source, keeping: .newest, threadName: "movinet-live-frames")
    }

    /// The newest frame not handed out yet, waiting for one; nil at the end.
    public func next() throws -> SampledFrame? { try handOver.next() }

    /// The source's warnings, as of the last frame it gave.
    public var warnings: [String] { handOver.warnings }

    /// Stops reading after the frame being read (the consumer is done).
    public func stop() { handOver.stop() }
}

/// Frames read from a source on a thread of their own and handed to one consumer in order: only
/// the newest (the source never waits; older ones are replaced), or up to `depth` ahead (the
/// source waits; none is dropped). A read error comes after the frames before it. `Frame` is a
/// model-ready ``SampledFrame`` or, before the model is known, a decoded frame (EarlyFrames.swift).
final class FrameHandOver<Frame>: @unchecked Sendable {
    enum Keeping {
        case newest
        case ahead(depth: Int)
    }

    private let condition = NSCondition()
    private let keeping: Keeping
    private var queue: [Frame] = []
    private var ended = false
    private var failure: Error?
    private var stopped = false
    private var seenWarnings: [String] = []
    private(set) var replaced = 0

    /// Starts a thread that calls `read` (nil: the end) and `warnings` (after each read); they
    /// are called on that thread only.
    init(keeping: Keeping, threadName: String, read: @escaping () throws -> Frame?,
         warnings: @escaping () -> [String]) {
        self.keeping = keeping
        let source = UncheckedSendable((read, warnings))
        let thread = Thread { [self] in self.produce(read: source.value.0, warnings: source.value.1) }
        thread.stackSize = 4 << 20
        thread.name = threadName
        thread.start()
    }

    private func produce(read: () throws -> Frame?, warnings: () -> [String]) {
        while true {
            if case let .ahead(depth) = keeping {
                condition.lock()
                while queue.count >= depth && !stopped { condition.wait() }
                let stop = stopped
                condition.unlock()
                if stop { return }
            }
            let frame: Frame?
            var caught: Error?
            do { frame = try read() } catch { frame = nil; caught = error }
            condition.lock()
            seenWarnings = warnings()
            if stopped { condition.unlock(); return }
            if let frame {
                if case .newest = keeping, !queue.isEmpty {
                    replaced += queue.count
                    queue.removeAll()
                }
                queue.append(frame)
            } else {
                ended = true
                failure = caught
            }
            condition.broadcast()
            condition.unlock()
            if frame == nil { return }
        }
    }

    func next() throws -> Frame? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !ended { condition.wait() }
        if !queue.isEmpty {
            condition.broadcast()   // a reader ahead may wait for room
            return queue.removeFirst()
        }
        if let failure {
            self.failure = nil
            throw failure
        }
        return nil
    }

    var warnings: [String] {
        condition.lock()
        defer { condition.unlock() }
        return seenWarnings
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

extension FrameHandOver where Frame == SampledFrame {
    /// Reads a frame stream (used only on the hand-over's thread from now on).
    convenience init(_ source: FrameStream, keeping: Keeping, threadName: String) {
        let source = UncheckedSendable(source)
        self.init(keeping: keeping, threadName: threadName, read: { try source.value.next() },
                  warnings: { source.value.warnings })
    }
}
