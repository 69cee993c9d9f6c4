// An aligned, fixed-size float buffer owned by one object: weights and activation storage.

import Foundation

/// 64-byte aligned float storage, zero-initialised. Immutable after loading when it holds weights.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4 + 64, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

@inline(__always) func roundUp8(_ n: Int) -> Int { (n + 7) & ~7 }

/// Splits index ranges over threads: the caller and a persistent pool of `threads − 1` workers.
/// Every output element is computed by exactly the same instruction sequence whatever the split,
/// so results do not depend on the thread count.
public struct Parallel: Sendable {
    public let threads: Int
    let pool: ThreadPool?

    /// Below this rough cost (multiply-accumulates or loads) a region runs on the calling thread:
    /// handing a region to the pool costs about a microsecond.
    static let minimumWork = 20_000

    /// Worker threads alive in this process, over all pools (they end with their pool).
    public static var liveWorkers: Int { ThreadPool.liveWorkers }

    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = self.threads > 1 ? ThreadPool(workers: self.threads - 1) : nil
    }

    /// Runs `body` over contiguous pieces of 0..<count (piece boundaries multiples of `granule`),
    /// piece i always on thread i; single-threaded when `work` (a rough cost) is small.
    public func run(_ count: Int, granule: Int = 1, work: Int, _ body: (Range<Int>) -> Void) {
        let n = min(threads, ThreadPool.maxPieces, max(1, count / max(granule, 1)))
        guard let pool, n > 1, work >= Parallel.minimumWork else { body(0..<count); return }
        let units = (count + granule - 1) / granule
        pool.run(pieces: n) { i in
            let lo = min(count, units * i / n * granule), hi = min(count, units * (i + 1) / n * granule)
            if lo < hi { body(lo..<hi) }
        }
    }
}
