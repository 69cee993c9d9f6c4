// What people feed the library: folders holding FIFOs, sockets, link loops and formats beyond MP4
// (the scan must finish and find them); phone videos (turned upright by default, jumping jacks
// end to end); spans of a video; damaged files whose warnings reach the results.

import Foundation
import XCTest

import MoViNet
import MoViNetKit
import TestSupport
import VideoDecoding

final class InputKindsTests: XCTestCase {
    // MARK: folder scans

    func testScanOfAFolderWithAFIFOASocketAndALinkLoopFinishesAndFindsTheTS() throws {
        let dir = try temporaryDirectory(self)
        let ts = dir.appendingPathComponent("clip.ts")
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=1", "-c:v", "libx264",
                          "-pix_fmt", "yuv420p", "-f", "mpegts", ts.path])
        XCTAssertEqual(mkfifo(dir.appendingPathComponent("fifo").path, 0o600), 0)
        let socketPath = dir.appendingPathComponent("sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        defer { close(fd) }
        try "notes".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loop").path,
                                                   withDestinationPath: dir.path)
        // The scan runs on a thread of its own: if it blocked on the FIFO this test would fail, not hang.
        let done = expectation(description: "scan finished")
        nonisolated(unsafe) var scan = MediaFiles.Scan()
        Thread { scan = MediaFiles.scan(dir.path); done.fulfill() }.start()
        wait(for: [done], timeout: 60)
        XCTAssertEqual(scan.files, [ts.path])
        XCTAssertEqual(scan.skipped.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["fifo", "notes.txt", "sock"])
        XCTAssertEqual(scan.skipped.map(\.reason), ["FIFO", "not a video", "socket"])
        XCTAssertEqual(scan.skipped.map(\.special), [true, false, true])
    }

    // MARK: real weights

    func classifier(_ options: ClassifierOptions = ClassifierOptions(threads: 1, topK: 3)) throws -> VideoClassifier {
        guard let model = try SharedFiles.url("models/movinet_a0_stream_int8.tflite"),
              let labels = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("../shared is absent") }
        return try VideoClassifier(model: model.path, labels: labels.path, options: options, store: .standard(offline: true))
    }

    func sample(_ name: String) throws -> String {
        guard let url = try SharedFiles.url("samples/" + name) else { throw XCTSkip("no shared sample \(name)") }
        return url.path
    }

    func testPhoneVideoIsJumpingJacksUnlessAutorotationIsOff() throws {
        let dir = try temporaryDirectory(self)
        let side = dir.appendingPathComponent("side.mp4"), phone = dir.appendingPathComponent("phone.mp4")
        try Tools.ffmpeg(["-i", try sample("jumpingjack.gif"), "-vf", "transpose=cclock", "-c:v", "libx264",
                          "-pix_fmt", "yuv420p", side.path])
        try Tools.ffmpeg(["-i", side.path, "-c", "copy", "-metadata:s:v", "rotate=270", phone.path])
        let upright = try classifySync(try classifier(), phone.path)
        XCTAssertEqual(upright.top.first?.label, "jumping jacks")
        XCTAssertGreaterThan(upright.top.first?.probability ?? 0, 0.9)
        let sideways = try classifySync(try classifier(ClassifierOptions(threads: 1, topK: 3, autorotate: false)), phone.path)
        XCTAssertNotEqual(sideways.top.first?.label, "jumping jacks")
        XCTAssertEqual(sideways.logits, try classifySync(try classifier(), side.path).logits)
    }

    func testASpanIsClassifiedWithItsOwnTimes() async throws {
        let c = try classifier(ClassifierOptions(threads: 1, topK: 1, start: 3, duration: 2))
        let path = try sample("mmaction2_demo.mp4")
        let predictions = c.stream(path)
        var times: [Double] = []
        for try await p in predictions { times.append(p.timestamp) }
        XCTAssertEqual(times.count, 10)
        XCTAssertEqual(times.first ?? -1, 3, accuracy: 1e-9)
        XCTAssertEqual(times.last ?? -1, 4.8, accuracy: 1e-9)
        XCTAssertEqual(predictions.classification?.frames, 10)
        XCTAssertThrowsError(try ClassifierOptions(start: -1).validate())
        XCTAssertThrowsError(try ClassifierOptions(duration: 0).validate())
    }

    func testDamageWarningsReachTheClassificationAndTheSequence() async throws {
        let dir = try temporaryDirectory(self)
        let clean = dir.appendingPathComponent("clean.mp4"), damaged = dir.appendingPathComponent("damaged.mp4")
        try Tools.ffmpeg(["-i", try sample("carving_ice.mp4"), "-an", "-c:v", "copy", clean.path])
        try Tools.flipBits(clean, to: damaged)
        let c = try classifier()
        XCTAssertEqual(try classifySync(c, clean.path).warnings, [])
        let result = try classifySync(c, damaged.path)
        XCTAssertEqual(result.warnings.count, 1)
        XCTAssertTrue(result.warnings.first?.hasPrefix("damaged video: ") ?? false, "\(result.warnings)")
        let predictions = c.stream(damaged.path)
        for try await _ in predictions {}
        XCTAssertEqual(predictions.warnings.count, 1)
        XCTAssertTrue(predictions.warnings.first?.hasPrefix("damaged video: ") ?? false)
    }

    func testAStillImageIsClassified() throws {
        let dir = try temporaryDirectory(self)
        let png = dir.appendingPathComponent("still.png")
        try Tools.ffmpeg(["-i", try sample("jumpingjack.gif"), "-frames:v", "1", png.path])
        let result = try classifySync(try classifier(), png.path)
        XCTAssertEqual(result.frames, 1)
        XCTAssertEqual(result.top.count, 3)
    }
}
