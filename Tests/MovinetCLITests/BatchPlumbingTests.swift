// Shard arithmetic, input expansion (folders, stdin lists, content sniffing), and the ordered
// parallel runner behind --jobs.

import Foundation
import XCTest
import TestSupport

import MovinetCLI
import MoViNetKit

final class ShardTests: XCTestCase {
    func testParsing() {
        XCTAssertEqual(Shard(argument: "2/3"), Shard(index: 2, count: 3))
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", "-1/2", ""] {
            XCTAssertNil(Shard(argument: bad), bad)
        }
    }

    func testShardsCoverEveryInputExactlyOnce() {
        for n in 1...5 {
            for total in [0, 1, 2, 7, 20] {
                let items = Array(0..<total)
                let slices = (1...n).map { Shard(index: $0, count: n)!.select(items) }
                XCTAssertEqual(slices.flatMap { $0 }.sorted(), items, "n=\(n) total=\(total)")
                for s in slices { XCTAssertEqual(s, s.sorted()) }        // original order kept
                XCTAssertLessThanOrEqual((slices.map(\.count).max() ?? 0) - (slices.map(\.count).min() ?? 0), 1)
            }
        }
        XCTAssertEqual(Shard(index: 2, count: 3)!.select(Array(0..<8)), [1, 4, 7])
    }
}

final class InputExpansionTests: XCTestCase {
    let gif = Data("GIF89a".utf8) + Data(repeating: 0, count: 20)
    let mp4 = Data([0, 0, 0, 0x20]) + Data("ftypisom".utf8) + Data(repeating: 0, count: 20)
    let npy = Data([0x93]) + Data("NUMPY".utf8) + Data(repeating: 0, count: 20)

    func makeTree() throws -> URL {
        let root = try temporaryDirectory(self)
        let fm = FileManager.default
        for dir in ["b", "a/z", ".hidden"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try mp4.write(to: root.appendingPathComponent("b/clip.mp4"))
        try gif.write(to: root.appendingPathComponent("a/z/anim.dat"))           // sniffed, not by extension
        try npy.write(to: root.appendingPathComponent("a/frames.npy"))
        try gif.write(to: root.appendingPathComponent("a.gif"))
        try Data("hello".utf8).write(to: root.appendingPathComponent("a/notes.txt"))  // not media: skipped
        try gif.write(to: root.appendingPathComponent(".hidden/x.gif"))               // hidden: skipped
        try gif.write(to: root.appendingPathComponent("b/.y.gif"))                     // hidden: skipped
        return root
    }

    func testFolderIsExpandedRecursivelyInSortedOrder() throws {
        let root = try makeTree()
        let got = Inputs.expand([root.path]).map { String($0.dropFirst(root.path.count + 1)) }
        XCTAssertEqual(got, ["a.gif", "a/frames.npy", "a/z/anim.dat", "b/clip.mp4"])
    }

    func testStdinListMatchesTheSameFilesGivenDirectly() throws {
        let root = try makeTree()
        let direct = Inputs.expand([root.path])
        let list = direct.joined(separator: "\n") + "\n\n"
        XCTAssertEqual(Inputs.expand(["-"], stdin: { list }), direct)
        // A folder named on stdin is expanded too, and order of arguments is kept around '-'.
        XCTAssertEqual(Inputs.expand(["x.mp4", "-", "y.mp4"], stdin: { root.path + "\r\n" }),
                       ["x.mp4"] + direct + ["y.mp4"])
    }

    func testExplicitFilesAndURLsAreKeptAsGiven() {
        XCTAssertEqual(Inputs.expand(["missing.mp4", "https://example.com/v.mp4", "notes.txt"], stdin: { "" }),
                       ["missing.mp4", "https://example.com/v.mp4", "notes.txt"])
    }

    func testContentSniffing() {
        XCTAssertTrue(MediaFiles.isMedia(header: [UInt8](gif)))
        XCTAssertTrue(MediaFiles.isMedia(header: [UInt8](mp4)))
        XCTAssertTrue(MediaFiles.isMedia(header: [UInt8](npy)))
        XCTAssertTrue(MediaFiles.isMedia(header: [0x1A, 0x45, 0xDF, 0xA3, 0, 0]))          // Matroska/WebM
        XCTAssertTrue(MediaFiles.isMedia(header: Array("RIFF\0\0\0\0AVI LIST".utf8)))
        XCTAssertFalse(MediaFiles.isMedia(header: Array("RIFF\0\0\0\0WAVEfmt ".utf8)))
        XCTAssertFalse(MediaFiles.isMedia(header: Array("%PDF-1.4".utf8)))
        XCTAssertFalse(MediaFiles.isMedia(header: []))
    }
}

final class OrderedOutputTests: XCTestCase {
    /// Items of uneven duration emitting several chunks each: two workers must print exactly what
    /// one worker prints.
    func render(jobs: Int) async -> String {
        final class Sink: @unchecked Sendable { var text = "" }
        let sink = Sink()
        let output = OrderedOutput { sink.text += $0 }
        await OrderedOutput.run(count: 20, jobs: jobs) { i in
            for part in 0..<3 {
                output.emit(i, "item \(i) part \(part)\n")
                try? await Task.sleep(nanoseconds: UInt64(((i * 7919) % 5) * 1_000_000))
            }
            output.finish(i)
        }
        return sink.text
    }

    func testParallelOutputIsInInputOrderAndIdentical() async {
        let one = await render(jobs: 1)
        XCTAssertEqual(one.split(separator: "\n").count, 60)
        XCTAssertTrue(one.hasPrefix("item 0 part 0\nitem 0 part 1\n"))
        for _ in 0..<3 {
            let two = await render(jobs: 2)
            XCTAssertEqual(two, one)
        }
        let five = await render(jobs: 5)
        XCTAssertEqual(five, one)
    }

    func testEveryIndexRunsOnceAndAtMostJobsAtATime() async {
        final class Seen: @unchecked Sendable {
            let lock = NSLock(); var list: [Int] = []; var running = 0; var most = 0
            func start(_ i: Int) {
                lock.withLock { list.append(i); running += 1; most = max(most, running) }
            }
            func end() { lock.withLock { running -= 1 } }
        }
        let seen = Seen()
        await OrderedOutput.run(count: 37, jobs: 4) { i in
            seen.start(i)
            try? await Task.sleep(nanoseconds: UInt64((i % 3) * 1_000_000))
            seen.end()
        }
        XCTAssertEqual(seen.list.sorted(), Array(0..<37))
        XCTAssertLessThanOrEqual(seen.most, 4)
    }

    func testProgressLine() {
        XCTAssertEqual(ProgressBar.render(filesDone: 3, total: 8, frames: 412, elapsed: 12.5, width: 8),
                       "[###.....] 3/8 files  412 frames  0:12  33.0 frames/s")
    }
}
