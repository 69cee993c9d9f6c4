// Shard arithmetic, input expansion (folders, stdin lists, content sniffing), and the ordered
// parallel runner behind --jobs.

import Foundation
import XCTest
import TestSupport

import MovinetCLI
import MoViNetKit
import VideoDecoding

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
    /// Real media written by ffmpeg (folder scans open what FFmpeg's probe accepts, which a
    /// made-up header is not), and a .npy header.
    static let media: (gif: Data, mp4: Data) = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-tree-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gif = dir.appendingPathComponent("a.gif"), mp4 = dir.appendingPathComponent("a.mp4")
        let pattern = ["-f", "lavfi", "-i", "testsrc2=size=32x32:rate=5:duration=0.4"]
        try? Tools.ffmpeg(pattern + [gif.path])
        try? Tools.ffmpeg(pattern + ["-c:v", "libx264", "-pix_fmt", "yuv420p", mp4.path])
        return ((try? Data(contentsOf: gif)) ?? Data(), (try? Data(contentsOf: mp4)) ?? Data())
    }()
    let npy = Data([0x93]) + Data("NUMPY".utf8) + Data(repeating: 0, count: 20)

    func makeTree() throws -> URL {
        let root = try temporaryDirectory(self)
        let fm = FileManager.default
        for dir in ["b", "a/z", ".hidden"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        let (gif, mp4) = Self.media
        XCTAssertFalse(gif.isEmpty || mp4.isEmpty, "ffmpeg could not make the test media")
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
        var scans: [(String, MediaFiles.Scan)] = []
        let got = Inputs.expand([root.path], onScan: { scans.append(($0, $1)) }).map { String($0.dropFirst(root.path.count + 1)) }
        XCTAssertEqual(got, ["a.gif", "a/frames.npy", "a/z/anim.dat", "b/clip.mp4"])
        XCTAssertEqual(scans.map(\.0), [root.path])
        XCTAssertEqual(scans.first?.1.skipped, [MediaFiles.Skipped(path: root.path + "/a/notes.txt", reason: "not a video",
                                                                  special: false)])
    }

    func testStdinListMatchesTheSameFilesGivenDirectly() throws {
        let root = try makeTree()
        let direct = Inputs.expand([root.path])
        let list = direct.joined(separator: "\n") + "\n\n"
        XCTAssertEqual(Inputs.expand(["-"], stdin: { list }), direct)
        // A folder named on stdin is expanded too, and order of arguments is kept around '-'.
        XCTAssertEqual(Inputs.expand(["x.mp4", "-", "y.mp4"], stdin: { root.path + "\r\n" }),
                       ["x.mp4"] + direct + ["y.mp4"])
        // NUL-separated: any byte but NUL belongs to the name, newlines included.
        XCTAssertEqual(Inputs.expand(["-"], stdin: { "a\nb.mp4\u{0}c.mp4\u{0}\u{0}" }, separator: .nul),
                       ["a\nb.mp4", "c.mp4"])
    }

    func testListEntriesAreCutAcrossReads() {
        var s = EntrySplitter(separator: .newline)
        XCTAssertEqual(s.feed(Array("ab".utf8)), [])
        XCTAssertEqual(s.feed(Array("c\r\nd".utf8)), ["abc"])
        XCTAssertEqual(s.feed(Array("\n\n".utf8)), ["d"])
        XCTAssertEqual(s.finish(), [])
        var n = EntrySplitter(separator: .nul)
        XCTAssertEqual(n.feed(Array("x\ny\u{0}z".utf8)), ["x\ny"])
        XCTAssertEqual(n.feed([0xE9]), [])
        XCTAssertEqual(n.finish().map(FileNames.bytes), [Array("z".utf8) + [0xE9]])   // a Latin-1 byte kept
    }

    func testExplicitFilesAndURLsAreKeptAsGiven() {
        XCTAssertEqual(Inputs.expand(["missing.mp4", "https://example.com/v.mp4", "notes.txt"], stdin: { "" }),
                       ["missing.mp4", "https://example.com/v.mp4", "notes.txt"])
    }

    func testTheFeedYieldsTheSameListAsTheExpansion() async throws {
        let root = try makeTree()
        let pipe = Pipe()
        let list = [root.path + "/a.gif", root.path, "missing.mp4"].joined(separator: "\n") + "\n"
        pipe.fileHandleForWriting.write(Data(list.utf8))
        try pipe.fileHandleForWriting.close()
        var fed: [String] = []
        for await item in Inputs.feed(["first.mp4", "-"], input: pipe.fileHandleForReading.fileDescriptor) {
            fed.append(item)
        }
        XCTAssertEqual(fed, ["first.mp4"] + Inputs.expand(["-"], stdin: { list }))
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
