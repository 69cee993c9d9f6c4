// A persistent pool of worker threads for the engine's parallel-for: workers spin briefly on an
// atomic job word before sleeping, so a parallel region costs a cache-line handoff, not a dispatch.

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `workers` threads besides the caller's, stopped when the pool is released. Each piece of a job
/// goes to the thread that owns it (thread `i` of `n` owns the pieces p with p·n / pieces = i), so
/// the same rows stay in the same core's cache from one op to the next; a thread that finds its
/// own pieces taken or done steals the ones nobody has started (a descheduled worker then costs
/// nothing).
final class ThreadPool: Sendable {
    let workers: Int
    let core: PoolCore

    /// `spin`: how long an idle worker polls for the next job before it sleeps (nanoseconds).
    init(workers: Int, spin: UInt64 = 500_000) {
        self.workers = workers
        core = PoolCore(spin: spin)
        for i in 0..<workers {
            let core = core, threads = workers + 1
            let thread = Thread { core.workerLoop(me: i + 1, threads: threads) }
            thread.name = "movinet-worker-\(i + 1)"
            thread.start()
        }
    }

    deinit { core.stop() }

    /// The most pieces one job can have.
    static let maxPieces = PoolCore.maxPieces

    /// Worker threads alive in this process, over all pools.
    static var liveWorkers: Int { PoolCore.liveWorkers.load(ordering: .sequentiallyConsistent) }

    /// Runs body(0), …, body(pieces − 1) on the caller and the workers; returns when all are done.
    func run(pieces: Int, _ body: (Int) -> Void) {
        precondition(pieces >= 1 && pieces <= PoolCore.maxPieces)
        core.run(pieces: pieces, threads: workers + 1, body)
    }
}

/// The state the caller and the workers share: the job word, the job, the sleep/wake machinery.
final class PoolCore: @unchecked Sendable {
    /// Job word: generation (bits 38–63) | piece count (bits 32–37) | claimed-piece mask (bits 0–31).
    /// Claiming a piece is a compare-exchange on it, so a worker late from the previous job can
    /// never take a piece of the next one.
    let state = Atomic<Int>(0)
    /// Pieces of the current job finished.
    let done = Atomic<Int>(0)
    /// Workers that stopped spinning and may be asleep on `cond`.
    let sleepers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    /// The current job's body (piece index → work). Written by the caller only while no piece is
    /// outstanding; read by a worker only after it claimed a piece (acquire on `state`).
    var job: ((Int) -> Void)?
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    let cond: UnsafeMutablePointer<pthread_cond_t>
    let spin: UInt64

    static let maxPieces = 32

    init(spin: UInt64) {
        self.spin = spin
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    @inline(__always) static func generation(_ s: Int) -> Int { Int(UInt(bitPattern: s) >> 38) }
    @inline(__always) static func pieces(_ s: Int) -> Int { (s >> 32) & 63 }

    /// Claims and runs pieces of the job whose word was last seen as `s` until none is left:
    /// first the ones thread `me` of `threads` owns, then any that nobody has claimed.
    @inline(__always) func work(from s: Int, me: Int, threads: Int) {
        let g = PoolCore.generation(s), pieces = PoolCore.pieces(s)
        let all = (1 << pieces) - 1
        let first = (me * pieces + threads - 1) / threads
        var cur = s
        for k in 0..<pieces {
            let p = (first + k) % pieces, bit = 1 << p
            while true {
                if PoolCore.generation(cur) != g || cur & all == all { return }
                if cur & bit != 0 { break }
                let (exchanged, now) = state.compareExchange(
                    expected: cur, desired: cur | bit, successOrdering: .acquiringAndReleasing,
                    failureOrdering: .acquiring)
                if exchanged {
                    job.unsafelyUnwrapped(p)
                    done.add(1, ordering: .releasing)
                    cur |= bit
                    break
                }
                cur = now
            }
        }
    }

    /// Publishes a job, wakes sleeping workers, takes part as thread 0, returns when all is done.
    func run(pieces: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            job = body
            done.store(0, ordering: .relaxed)
            let old = state.load(ordering: .relaxed)
            let s = ((PoolCore.generation(old) + 1) & 0x3FF_FFFF) << 38 | pieces << 32
            state.store(s, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(cond)
                pthread_mutex_unlock(mutex)
            }
            work(from: s, me: 0, threads: threads)
            var polls = 0
            while done.load(ordering: .acquiring) < pieces {
                polls += 1
                // A worker holding a piece was descheduled (the machine is busy): let it run.
                if polls > 1 << 14 { sched_yield() }
            }
            job = nil
        }
    }

    /// A worker's life: wait for a new generation (spinning, then asleep), take part, repeat.
    /// Worker threads alive in this process, over all pools (for the tests: they must end with
    /// their pool).
    static let liveWorkers = Atomic<Int>(0)

    func workerLoop(me: Int, threads: Int) {
        PoolCore.liveWorkers.add(1, ordering: .sequentiallyConsistent)
        defer { PoolCore.liveWorkers.subtract(1, ordering: .sequentiallyConsistent) }
        var seen = PoolCore.generation(state.load(ordering: .acquiring))
        while true {
            var s = state.load(ordering: .acquiring)
            var polls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while PoolCore.generation(s) == seen {
                polls += 1
                if polls & 1023 == 0 && DispatchTime.now().uptimeNanoseconds - start > spin { break }
                s = state.load(ordering: .acquiring)
            }
            if PoolCore.generation(s) == seen {
                // Announce the sleep, then re-check: either the caller sees us in `sleepers` and
                // broadcasts under the mutex, or we see its new job word here.
                sleepers.add(1, ordering: .sequentiallyConsistent)
                pthread_mutex_lock(mutex)
                s = state.load(ordering: .sequentiallyConsistent)
                while PoolCore.generation(s) == seen && !stopping.load(ordering: .sequentiallyConsistent) {
                    pthread_cond_wait(cond, mutex)
                    s = state.load(ordering: .sequentiallyConsistent)
                }
                pthread_mutex_unlock(mutex)
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = PoolCore.generation(s)
            work(from: s, me: me, threads: threads)
        }
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}
