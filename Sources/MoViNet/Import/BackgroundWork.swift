// Work started on its own thread while the caller does something else (model import: the int8
// plan is built beside the float weight mapping, on the second core).

import Foundation

/// `work` running on a new thread; `join()` waits for it and returns its result or rethrows.
final class BackgroundWork<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?
    private var joined = false  // touched by the joining thread only

    init(_ work: @escaping () throws -> T) {
        // `work` runs only on the new thread, and `result` is read only after `done` is signalled.
        nonisolated(unsafe) let work = work
        Thread { [self] in
            result = Result(catching: work)
            done.signal()
        }.start()
    }

    /// Waits (the first time) for the work to end; call from one thread.
    func join() throws -> T {
        if !joined {
            done.wait()
            joined = true
        }
        return try result!.get()
    }
}
