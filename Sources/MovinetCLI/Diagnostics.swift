// Everything that is not a result goes to stderr through here: one-line errors, warnings, and the
// progress bar (drawn only when stderr is a terminal).

import Foundation
import VideoDecoding

public final class Diagnostics: @unchecked Sendable {
    public static let shared = Diagnostics()

    private let lock = NSLock()
    /// `--quiet`: no progress, warnings or per-input errors (fatal errors still print).
    public var quiet = false
    /// `--verbose`: also list what folder scans skipped.
    public var verbose = false
    /// Whether a progress line is currently drawn (and must be cleared before other output).
    private var progressShown = false
    public let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    /// `movinet: <subject>: <problem>` — an input failed.
    public func inputError(_ subject: String, _ problem: String) {
        if quiet { return }
        line("movinet: \(subject): \(problem)")
    }

    public func warning(_ text: String) {
        if quiet { return }
        line("movinet: warning: \(text)")
    }

    /// Informational line (downloads and the like).
    public func note(_ text: String) {
        if quiet { return }
        line("movinet: \(text)")
    }

    /// Printed even with `--quiet`: the run cannot go on.
    public func fatal(_ text: String) {
        line(text.hasPrefix("movinet: ") || text.hasPrefix("Error: ") || text.hasPrefix("Usage: ")
             ? text : "movinet: \(text)")
    }

    private func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if progressShown { writeStderr("\r\u{1B}[K"); progressShown = false }
        writeStderr(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Draws (or redraws) the progress line; a no-op unless stderr is a terminal and not quiet.
    public func progress(_ text: String) {
        if quiet || !stderrIsTerminal { return }
        lock.lock()
        defer { lock.unlock() }
        writeStderr("\r\u{1B}[K" + text)
        progressShown = true
    }

    /// Writes to stderr, file names as their bytes. A failure is ignored: there is nowhere left
    /// to report it, and results on stdout must not be lost because stderr is full.
    private func writeStderr(_ text: String) {
        _ = writeAll(STDERR_FILENO, FileNames.bytes(text))
    }

    public func clearProgress() {
        lock.lock()
        defer { lock.unlock() }
        if progressShown { writeStderr("\r\u{1B}[K"); progressShown = false }
    }
}

/// Files done, frames, elapsed time and rate, redrawn at most ten times a second.
public final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Int
    private var filesDone = 0
    private var frames = 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    public init(totalFiles: Int, diagnostics: Diagnostics = .shared) {
        total = totalFiles
        enabled = diagnostics.stderrIsTerminal && !diagnostics.quiet
    }

    /// One more input to do (inputs read from standard input become known as they arrive).
    public func addInput() {
        guard enabled else { return }
        lock.lock(); total += 1; lock.unlock()
    }

    public func addFrames(_ n: Int) {
        guard enabled else { return }
        lock.lock(); frames += n; lock.unlock()
        draw(force: false)
    }

    public func fileDone() {
        guard enabled else { return }
        lock.lock(); filesDone += 1; lock.unlock()
        draw(force: true)
    }

    public func finish() {
        guard enabled else { return }
        Diagnostics.shared.clearProgress()
    }

    private func draw(force: Bool) {
        lock.lock()
        let now = Date()
        if !force && now.timeIntervalSince(lastDraw) < 0.1 { lock.unlock(); return }
        lastDraw = now
        let text = ProgressBar.render(filesDone: filesDone, total: total, frames: frames,
                                      elapsed: now.timeIntervalSince(start), width: 24)
        lock.unlock()
        Diagnostics.shared.progress(text)
    }

    /// `[#########...............] 3/8 files  412 frames  0:12  34.1 frames/s`
    public static func render(filesDone: Int, total: Int, frames: Int, elapsed: Double, width: Int) -> String {
        let filled = total > 0 ? min(width, filesDone * width / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let seconds = Int(elapsed)
        let clock = String(format: "%d:%02d", seconds / 60, seconds % 60)
        let rate = elapsed > 0 ? Double(frames) / elapsed : 0
        return "[\(bar)] \(filesDone)/\(total) files  \(frames) frames  \(clock)  "
            + String(format: "%.1f frames/s", rate)
    }
}
