// Realtime reading (LatestFrames): the source is never made to wait, the consumer gets the newest
// frame, the frames it never took are counted as skipped in the predictions, the last frame is
// always classified, and errors come after the frames before them. Order of events only: the
// source and the consumer hand over through semaphores, never through sleeps.

import Foundation
import XCTest

import MoViNet
import MoViNetKit
import TestSupport

/// A source whose frame k is released by the test (`release(k)`); `waitAsked(n)` waits until
/// `next()` has been called n times — once the reader asks for frame k + 1, frame k has been
/// handed over.
final class GatedFrames: FrameStream, @unchecked Sendable {
    let count: Int
    let frameSize = 2
    let gates: [DispatchSemaphore]
    var failAt: Int?
    private var done = 0
    private let asks = NSCondition()
    private var asked = 0

    init(count: Int) {
        self.count = count
        gates = (0..<count).map { _ in DispatchSemaphore(value: 0) }
    }

    var warnings: [String] { [] }
    func release(_ k: Int) { gates[k].signal() }

    /// Whether `next()` was called n times within `timeout` seconds.
    @discardableResult
    func waitAsked(_ n: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        asks.lock()
        defer { asks.unlock() }
        while asked < n { if !asks.wait(until: deadline) { return false } }
        return true
    }

    func next() throws -> SampledFrame? {
        asks.lock(); asked += 1; asks.broadcast(); asks.unlock()
        guard done < count else { return nil }
        gates[done].wait()
        defer { done += 1 }
        if done == failAt { throw MoViNetKitError.input(path: "gated", problem: "broken at \(done)") }
        return SampledFrame(index: done, timestamp: Double(done) / 5, pixels: [Float](repeating: 0, count: 12))
    }
}

/// A runner that waits for the test before each step, so the test decides how far the source gets
/// while the model "runs".
final class GatedRunner: FrameClassifier, @unchecked Sendable {
    let classifierKind = ModelKind.stream
    let classCount = 3
    let stepStarted = DispatchSemaphore(value: 0)
    let stepMayEnd = DispatchSemaphore(value: 0)
    func reset() {}
    func step(_ frame: UnsafeBufferPointer<Float>) -> [Float] {
        stepStarted.signal()
        stepMayEnd.wait()
        return [0, 1, 0]
    }
    func classify(clip: UnsafeBufferPointer<Float>, frames: Int) -> [Float] { [0, 0, 0] }
}

final class LiveFramesTests: XCTestCase {
    let labels = Labels(names: ["a", "b", "c"])

    /// Source: 0 … 5. While the model works on frame 0, frames 1, 2 and 3 arrive (the source does
    /// not wait for it): the next frame classified is 3, with 2 skipped before it. Then 4 arrives
    /// while 3 is classified and 5 after: both are classified. The last frame is never lost.
    func testTheNewestFrameIsTakenAndTheOthersCountedAsSkipped() throws {
        let source = GatedFrames(count: 6)
        let live = LatestFrames(source)
        let runner = GatedRunner()
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable {
            var result: Classification?
            var error: Error?
            var predictions: [FramePrediction] = []
        }
        let box = Box()
        let labels = self.labels
        Thread.detachNewThread {
            do {
                box.result = try Inference.run(live, runner: runner, labels: labels,
                                               settings: InferenceSettings(topK: 1, threshold: 0, window: 1),
                                               path: "gated", perFrame: true,
                                               onFrame: { box.predictions.append($0) })
            } catch { box.error = error }
            done.signal()
        }
        /// Frame k arrives: released, and handed over to the reader (which then asks for k + 1).
        func arrive(_ k: Int) { source.release(k); XCTAssertTrue(source.waitAsked(k + 2)) }
        arrive(0)
        runner.stepStarted.wait()                // the model works on frame 0 …
        for k in 1...3 { arrive(k) }             // … while 1, 2 and 3 arrive
        runner.stepMayEnd.signal()
        runner.stepStarted.wait()                // the model works on the newest: 3
        arrive(4)
        runner.stepMayEnd.signal()
        runner.stepStarted.wait()                // 4
        arrive(5)
        runner.stepMayEnd.signal()
        runner.stepStarted.wait()                // 5
        runner.stepMayEnd.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertNil(box.error)
        XCTAssertEqual(box.predictions.map(\.index), [0, 3, 4, 5])   // read after done: no race
        XCTAssertEqual(box.predictions.map(\.skipped), [0, 2, 0, 0])
        XCTAssertEqual(box.result?.frames, 4)
        XCTAssertEqual(box.result?.skipped, 2)
        XCTAssertTrue(box.result?.warnings.contains { $0.contains("skipped 2 of 6 sampled frames") } ?? false)
    }

    /// Without realtime reading every frame is classified, in order, none skipped.
    func testWithoutRealtimeNothingIsSkipped() throws {
        let source = GatedFrames(count: 5)
        for k in 0..<5 { source.release(k) }
        let result = try Inference.run(source, runner: FakeRunner(.stream), labels: labels,
                                       settings: InferenceSettings(topK: 1, threshold: 0, window: 1), path: "x",
                                       perFrame: true, onFrame: { XCTAssertEqual($0.skipped, 0) })
        XCTAssertEqual(result.frames, 5)
        XCTAssertEqual(result.skipped, 0)
    }

    /// A failing source: the frames before the failure, then its error.
    func testAnErrorComesAfterTheFramesBeforeIt() throws {
        let source = GatedFrames(count: 4)
        source.failAt = 2
        let live = LatestFrames(source)
        source.release(0)
        XCTAssertEqual(try live.next()?.index, 0)
        source.release(1)
        XCTAssertEqual(try live.next()?.index, 1)
        source.release(2)
        XCTAssertThrowsError(try live.next()) { XCTAssertTrue("\($0)".contains("broken at 2")) }
        XCTAssertNil(try live.next())
    }

    /// Stopped by the consumer, the reading thread ends after the frame in progress.
    func testStopEndsTheReadingThread() throws {
        let source = GatedFrames(count: 3)
        let live = LatestFrames(source)
        source.release(0)
        XCTAssertEqual(try live.next()?.index, 0)
        live.stop()
        source.release(1)
        source.release(2)
        // Frame 1 was being read; after it the thread ends instead of asking for frame 2.
        XCTAssertTrue(source.waitAsked(2))
        XCTAssertFalse(source.waitAsked(3, timeout: 0.5))
    }
}
