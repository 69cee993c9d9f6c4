// A single-pass AsyncSequence of per-frame predictions, computed on a thread of its own with
// back-pressure: the producer waits while `bufferLimit` predictions are unread, so a slow consumer
// slows decoding instead of filling memory.

import Foundation

/// The predictions of a stream model after each sampled frame of one input, as they are computed.
///
/// Decoding and inference run on a thread owned by the sequence, started by the first
/// `makeAsyncIterator()`; the sequence can be iterated once. At most ``bufferLimit`` predictions
/// wait unread: while they do, decoding pauses. Cancelling the iterating task, or dropping the
/// iterator (e.g. `break` out of the loop), stops the thread after the frame in progress, and the
/// sequence ends (`next()` returns nil). A decoding problem part-way through is thrown by `next()`
/// after the predictions of the frames before it.
///
/// ```swift
/// let predictions = classifier.stream("clip.mp4")
/// for try await p in predictions {
///     print(p.timestamp, p.top[0].label)
/// }
/// print(predictions.classification?.top.first?.label ?? "-")
/// ```
public final class FramePredictions: AsyncSequence, @unchecked Sendable {
    public typealias Element = FramePrediction

    /// Predictions computed ahead of the consumer, at most.
    public let bufferLimit: Int
    private let channel: PredictionChannel
    /// The work, dropped once started so that what it holds (the source) goes with the thread.
    private var produce: (@Sendable (PredictionChannel) -> Void)?
    private let lock = NSLock()

    init(bufferLimit: Int, produce: @escaping @Sendable (PredictionChannel) -> Void) {
        self.bufferLimit = Swift.max(1, bufferLimit)
        channel = PredictionChannel(limit: Swift.max(1, bufferLimit))
        self.produce = produce
    }

    /// The input's classification (the prediction after its last frame), once the sequence has
    /// ended without error; nil before.
    public var classification: Classification? { channel.outcome?.classification }

    /// Non-fatal problems met while decoding, once the sequence has ended.
    public var warnings: [String] { channel.outcome?.classification?.warnings ?? [] }

    public func makeAsyncIterator() -> Iterator {
        lock.lock()
        let work = produce
        produce = nil
        lock.unlock()
        guard let work else {
            return Iterator(handle: IteratorHandle(PredictionChannel(failed: .invalidRequest(
                "a FramePredictions sequence can be iterated only once"))))
        }
        let channel = self.channel
        let thread = Thread { work(channel) }
        thread.stackSize = 8 << 20
        thread.name = "movinet-predictions"
        thread.start()
        return Iterator(handle: IteratorHandle(channel))
    }

    /// Iterates the predictions; dropping it stops the producer.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let handle: IteratorHandle

        /// The next prediction, nil at the end or after cancellation.
        /// - Throws: ``MoViNetKitError`` when the input cannot be decoded or classified.
        public mutating func next() async throws -> FramePrediction? {
            let channel = handle.channel
            return try await withTaskCancellationHandler {
                try await channel.next()
            } onCancel: {
                channel.cancel()
            }
        }
    }
}

/// Cancels the producer when the last copy of an iterator goes away.
final class IteratorHandle: Sendable {
    let channel: PredictionChannel
    init(_ channel: PredictionChannel) { self.channel = channel }
    deinit { channel.cancel() }
}

/// How a production ended.
struct ProductionOutcome: Sendable {
    var classification: Classification?
    var error: MoViNetKitError?
}

/// A bounded hand-over between one producing thread (blocking calls) and one async consumer.
final class PredictionChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private let limit: Int
    private var buffer: [FramePrediction] = []
    private var waiter: CheckedContinuation<FramePrediction?, Error>?
    private var finished = false
    private var pendingError: MoViNetKitError?
    private var cancelled = false
    private var ended: ProductionOutcome?

    init(limit: Int) { self.limit = limit }

    /// A channel that only reports `error`.
    init(failed error: MoViNetKitError) {
        limit = 1
        finished = true
        pendingError = error
    }

    // MARK: producer side (a thread that may block)

    /// Whether the consumer has gone away: the producer should stop.
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Hands over a prediction, waiting while `limit` are unread. Throws `cancelled` when the
    /// consumer has gone away.
    func send(_ prediction: FramePrediction) throws {
        condition.lock()
        while buffer.count >= limit && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            throw MoViNetKitError.cancelled
        }
        if let w = waiter {
            waiter = nil
            condition.unlock()
            w.resume(returning: prediction)
            return
        }
        buffer.append(prediction)
        condition.unlock()
    }

    /// Ends the sequence; the consumer reads what is buffered, then the error (if any), then nil.
    func finish(_ outcome: ProductionOutcome) {
        condition.lock()
        finished = true
        ended = outcome
        if outcome.error != .cancelled { pendingError = outcome.error }
        let w = waiter
        waiter = nil
        let error = pendingError
        if w != nil { pendingError = nil }
        condition.unlock()
        if let w {
            if let error { w.resume(throwing: error) } else { w.resume(returning: nil) }
        }
    }

    var outcome: ProductionOutcome? {
        condition.lock()
        defer { condition.unlock() }
        return ended
    }

    // MARK: consumer side

    func next() async throws -> FramePrediction? {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<FramePrediction?, Error>) in
            condition.lock()
            if !buffer.isEmpty {
                let p = buffer.removeFirst()
                condition.signal()
                condition.unlock()
                c.resume(returning: p)
            } else if finished || cancelled {
                let error = pendingError
                pendingError = nil
                condition.unlock()
                if let error { c.resume(throwing: error) } else { c.resume(returning: nil) }
            } else {
                waiter = c
                condition.unlock()
            }
        }
    }

    /// The consumer has gone away (cancelled or dropped): wake everyone, end the sequence.
    func cancel() {
        condition.lock()
        cancelled = true
        let w = waiter
        waiter = nil
        condition.broadcast()
        condition.unlock()
        w?.resume(returning: nil)
    }
}
