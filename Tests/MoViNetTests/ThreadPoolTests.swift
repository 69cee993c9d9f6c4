// The engine's parallel-for: every index exactly once over many back-to-back regions, wake-up
// after the workers went to sleep, threads released with their pool, and stream stepping (the
// ring update inside the temporal conv) identical for any thread count.

import Foundation
import MoViNet
import XCTest

final class ThreadPoolTests: XCTestCase {
    /// Back-to-back regions of varying sizes: each index is visited exactly once per region.
    func testEveryIndexOnceAcrossManyRegions() {
        for threads in [2, 3, 5] {
            let p = Parallel(threads: threads)
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
            defer { hits.deallocate() }
            for region in 0..<3000 {
                let count = 1 + (region * 37) % 1000, granule = 1 + region % 6
                hits.initialize(repeating: 0, count: count)
                p.run(count, granule: granule, work: 1 << 30) { range in
                    for i in range { hits[i] += 1 }
                }
                let wrong = (0..<count).filter { hits[$0] != 1 }
                XCTAssertEqual(wrong, [], "threads \(threads), region \(region), count \(count), granule \(granule)")
                if !wrong.isEmpty { return }
            }
        }
    }

    /// Regions after the workers stopped spinning and went to sleep still run (and finish).
    func testRegionsAfterWorkersSleep() {
        let p = Parallel(threads: 3)
        var sums: [Int] = []
        for _ in 0..<4 {
            let parts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
            parts.initialize(repeating: 0, count: 3)
            p.run(3, work: 1 << 30) { range in for i in range { parts[i] = (i + 1) * 100 } }
            sums.append(parts[0] + parts[1] + parts[2])
            parts.deallocate()
            usleep(20_000)   // well past the workers' spin time
        }
        XCTAssertEqual(sums, [600, 600, 600, 600])
    }

    /// A pool's threads end when the last copy of its `Parallel` is released.
    func testWorkerThreadsEndWithTheirPool() throws {
        func live() -> Int { Parallel.liveWorkers }
        var before = live()
        for _ in 0..<200 where before > 0 {   // pools released by earlier tests wind down first
            usleep(10_000)
            before = live()
        }
        do {
            let p = Parallel(threads: 4)
            p.run(8, work: 1 << 30) { _ in }
            var during = live()
            for _ in 0..<200 where during < before + 3 {   // workers start asynchronously
                usleep(10_000)
                during = live()
            }
            XCTAssertEqual(during, before + 3)
        }
        var after = live()
        for _ in 0..<200 where after > before {   // up to 2 s for the workers to notice
            usleep(10_000)
            after = live()
        }
        XCTAssertEqual(after, before)
    }

    /// Frame-by-frame stepping (the ring update happens inside the temporal conv's pieces) gives
    /// bit-identical logits for 1, 2 and 3 threads, and the same as one chunk of the same frames.
    func testSteppingIsIdenticalForAnyThreadCount() throws {
        let model = try MoViNetModel(RandomWeights.model(id: "a0-stream", classes: 600, seed: 3))
        var rng = SeededGenerator(seed: 5)
        let t = 4, size = 72
        let n = size * size * 3
        let x = randomArray(t * n, &rng, 0, 1)
        var perThreads: [[[Float]]] = []
        for threads in [1, 2, 3] {
            let r = try MoViNetRunner(model: model, height: size, width: size, threads: threads)
            perThreads.append((0..<t).map { k in x[(k * n)..<((k + 1) * n)].withUnsafeBufferPointer { r.step($0) } })
        }
        XCTAssertEqual(perThreads[0], perThreads[1])
        XCTAssertEqual(perThreads[0], perThreads[2])
        let chunked = try MoViNetRunner(model: model, height: size, width: size, threads: 2)
        let last = x.withUnsafeBufferPointer { chunked.classify(clip: $0, frames: t) }
        XCTAssertLessThan(relativeError(last, perThreads[0][t - 1]), 1e-5)
    }
}
