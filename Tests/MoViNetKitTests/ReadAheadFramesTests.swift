// Read-ahead (ReadAheadFrames): the source is read ahead of the consumer, at most `depth` frames,
// and hands over every frame in order, then its error. Order of events only: the source and the
// consumer hand over through semaphores (GatedFrames in LiveFramesTests), never through sleeps.

import Foundation
import XCTest

import MoViNetKit

final class ReadAheadFramesTests: XCTestCase {
    func testReadsAheadWhileTheConsumerWaitsAndStopsAtTheDepth() throws {
        let source = GatedFrames(count: 5)
        for k in 0..<5 { source.release(k) }
        let frames = ReadAheadFrames(source, depth: 2)
        // Before the consumer asks for anything, the reader has taken frames 0 and 1 and asks
        // for frame 2 only once the consumer took one.
        XCTAssertTrue(source.waitAsked(2), "the reader did not read ahead")
        XCTAssertFalse(source.waitAsked(3, timeout: 0.5), "the reader went past its depth")
        XCTAssertEqual(try frames.next()?.index, 0)
        XCTAssertTrue(source.waitAsked(3), "the reader did not refill after a frame was taken")
        var rest: [Int] = []
        while let frame = try frames.next() { rest.append(frame.index) }
        XCTAssertEqual(rest, [1, 2, 3, 4])
        XCTAssertNil(try frames.next())
    }

    func testTheErrorComesAfterTheFramesBeforeIt() throws {
        let source = GatedFrames(count: 4)
        source.failAt = 2
        for k in 0..<4 { source.release(k) }
        let frames = ReadAheadFrames(source, depth: 3)
        XCTAssertEqual(try frames.next()?.index, 0)
        XCTAssertEqual(try frames.next()?.index, 1)
        XCTAssertThrowsError(try frames.next()) { XCTAssertTrue("\($0)".contains("broken at 2"), "\($0)") }
        XCTAssertNil(try frames.next())
    }

    func testStopEndsTheReading() throws {
        let source = GatedFrames(count: 10)
        for k in 0..<10 { source.release(k) }
        let frames = ReadAheadFrames(source, depth: 1)
        XCTAssertEqual(try frames.next()?.index, 0)
        frames.stop()
        // At most the frame being read when stop came is read after it.
        XCTAssertFalse(source.waitAsked(4, timeout: 0.5), "the reader kept reading after stop()")
    }
}
