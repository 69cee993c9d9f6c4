// Parallel work over a list with output in list order: the item at the head writes straight
// through, later items buffer until every earlier item has finished.

import Foundation
import VideoDecoding

public final class OrderedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private let write: (String) -> Void
    private var head = 0
    private var buffers: [Int: String] = [:]
    private var finished = Set<Int>()

    /// `write` is called under a lock, in order.
    public init(write: @escaping (String) -> Void) {
        self.write = write
    }

    public func emit(_ index: Int, _ text: String) {
        if text.isEmpty { return }
        lock.lock()
        defer { lock.unlock() }
        if index == head { write(text) } else { buffers[index, default: ""] += text }
    }

    public func finish(_ index: Int) {
        lock.lock()
        defer { lock.unlock() }
        finished.insert(index)
        while finished.contains(head) {
            finished.remove(head)
            head += 1
            if let pending = buffers.removeValue(forKey: head) { write(pending) }
        }
    }

    /// Runs `body(index, item)` for every item of `items` as it arrives, at most `jobs` at a time,
    /// starting them in order; stops taking items once `stop()` says so. Returns how many were run.
    public static func run<Items: AsyncSequence & Sendable>(
        items: Items, jobs: Int, stop: @escaping @Sendable () -> Bool = { false },
        body: @escaping @Sendable (_ index: Int, _ item: Items.Element) async -> Void
    ) async -> Int where Items.Element: Sendable {
        await withTaskGroup(of: Void.self) { group in
            var count = 0
            var running = 0
            do {
                for try await item in items {
                    if stop() { break }
                    if running >= max(1, jobs) {
                        await group.next()
                        running -= 1
                        if stop() { break }
                    }
                    let i = count
                    group.addTask { await body(i, item) }
                    count += 1
                    running += 1
                }
            } catch {
                // The feeds used here do not throw; an error ends the list like its end.
            }
            if stop() { group.cancelAll() }   // the inputs in progress stop after their current frame
            await group.waitForAll()
            return count
        }
    }

    /// Runs `body(index)` for every index in 0..<count, at most `jobs` at a time, starting them in
    /// index order.
    public static func run(count: Int, jobs: Int, body: @escaping @Sendable (_ index: Int) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(max(1, jobs), count) {
                let i = next
                group.addTask { await body(i) }
                next += 1
            }
            while await group.next() != nil {
                if next < count {
                    let i = next
                    group.addTask { await body(i) }
                    next += 1
                }
            }
        }
    }
}

/// Buffered standard output, flushed at the end of each input and of the run (or more often:
/// `flush()` may be called at any time). Every write is checked: after the first failure (a full
/// disk, a closed pipe) nothing more is written and ``failure`` says why; batches stop early and
/// `MovinetCommand.runAndExit` reports it as one line with status 4.
public enum StandardOutput {
    private final class Buffer: @unchecked Sendable {
        let lock = NSLock()
        var pending: [UInt8] = []
        var failure: String?
        var brokenPipe = false
    }
    private static let buffer = Buffer()
    private static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    /// Queues `text`; file names in it go out as the bytes they stand for (`FileNames`).
    public static func write(_ text: String) {
        let bytes = FileNames.bytes(text)
        buffer.lock.lock()
        if buffer.failure == nil { buffer.pending += bytes }
        let full = buffer.pending.count >= 1 << 16
        buffer.lock.unlock()
        if full { flush() }
    }

    /// Writes what is queued; a failed write is remembered in ``failure``.
    public static func flush() {
        buffer.lock.lock()
        defer { buffer.lock.unlock() }
        if buffer.pending.isEmpty || buffer.failure != nil { return }
        // On a shared terminal the progress line would otherwise prefix the next result line.
        if stdoutIsTerminal { Diagnostics.shared.clearProgress() }
        if let error = writeAll(STDOUT_FILENO, buffer.pending) {
            buffer.failure = String(cString: strerror(error))
            buffer.brokenPipe = error == EPIPE
        }
        buffer.pending.removeAll(keepingCapacity: true)
    }

    /// Why standard output could not be written, once a write has failed.
    public static var failure: String? {
        buffer.lock.lock()
        defer { buffer.lock.unlock() }
        return buffer.failure
    }

    /// Whether the failure was a closed pipe (`movinet … | head`): the reader went away on purpose,
    /// so it is not worth a message.
    public static var failedOnClosedPipe: Bool {
        buffer.lock.lock()
        defer { buffer.lock.unlock() }
        return buffer.brokenPipe
    }
}

/// Writes all of `bytes` to `fd` (retrying interrupted and partial writes); the errno of a
/// failure, or nil.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if n == 0 { return EIO }
        done += n
    }
    return nil
}
