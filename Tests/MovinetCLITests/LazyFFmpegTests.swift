// FFmpeg is loaded on first use: the dynamic loader's own log (glibc's LD_DEBUG) shows that runs
// which decode no video never load libavformat, and that a video run does.

import Foundation
import TestSupport
import XCTest

final class LazyFFmpegTests: XCTestCase {
    /// Runs movinet with the loader logging every library it opens; the libraries named.
    func librariesLoaded(_ arguments: [String]) throws -> (status: Int32, libraries: Set<String>) {
        #if !os(Linux)
        throw XCTSkip("LD_DEBUG is glibc's")
        #else
        let r = try Binary.run(arguments, environment: ["LD_DEBUG": "files"])
        // "   1234:\tfile=libavformat.so.59 [0];  dynamically loaded by …"
        let names = r.stderr.split(separator: "\n").compactMap { line -> String? in
            guard let start = line.range(of: "file=") else { return nil }
            return String(line[start.upperBound...].prefix { $0 != " " && $0 != ";" })
        }
        return (r.status, Set(names))
        #endif
    }

    func testOnlyVideosLoadFFmpeg() throws {
        let dir = try temporaryDirectory(self)
        let gif = dir.appendingPathComponent("clip.gif").path, mp4 = dir.appendingPathComponent("clip.mp4").path
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "0.5", gif])
        try Tools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "0.5", "-pix_fmt", "yuv420p", mp4])

        let video = try librariesLoaded(["inspect", mp4])
        XCTAssertEqual(video.status, 0)
        XCTAssertTrue(video.libraries.contains { $0.hasPrefix("libavformat") }, "\(video.libraries.sorted())")
        XCTAssertTrue(video.libraries.contains("libgif.so.7"), "\(video.libraries.sorted())")   // the log works

        for arguments in [["inspect", gif], ["--version"], ["models", "list"]] {
            let run = try librariesLoaded(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments)")
            let ffmpeg = run.libraries.filter { $0.hasPrefix("libav") || $0.hasPrefix("libsw") && !$0.hasPrefix("libswift") }
            XCTAssertEqual(ffmpeg, [], "movinet \(arguments.joined(separator: " "))")
        }
    }
}
