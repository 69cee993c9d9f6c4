// Parallel work over a list with output in list order: the item at the head writes straight
// through, later items buffer until every earlier item has finished.

import Foundation

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

/// Buffered standard output, flushed at the end of each input and of the run.
public enum StandardOutput {
    private final class Buffer: @unchecked Sendable {
        let lock = NSLock()
        var pending = ""
    }
    private static let buffer = Buffer()
    private static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    public static func write(_ text: String) {
        buffer.lock.lock()
        buffer.pending += text
        let full = buffer.pending.utf8.count >= 1 << 16
        buffer.lock.unlock()
        if full { flush() }
    }

    public static func flush() {
        buffer.lock.lock()
        defer { buffer.lock.unlock() }
        if buffer.pending.isEmpty { return }
        // On a shared terminal the progress line would otherwise prefix the next result line.
        if stdoutIsTerminal { Diagnostics.shared.clearProgress() }
        FileHandle.standardOutput.write(Data(buffer.pending.utf8))
        buffer.pending = ""
    }
}
