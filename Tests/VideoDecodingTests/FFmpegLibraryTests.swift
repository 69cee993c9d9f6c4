// FFmpeg opened at run time: the headers' libraries load, and a missing library or function is a
// one-line error naming it.

import XCTest

@testable import VideoDecoding

final class FFmpegLibraryTests: XCTestCase {
    func testMissingLibraryIsNamedInTheError() {
        XCTAssertThrowsError(try FFmpegLibrary(sonames: ["libavformat-missing.so.59"])) {
            let reason = ($0 as? FFmpegUnavailable)?.reason ?? ""
            XCTAssertTrue(reason.contains("libavformat-missing.so.59"), reason)
        }
    }

    func testMissingFunctionIsNamedInTheError() {
        #if os(Linux)
        // giflib opens (movinet links it) but has none of FFmpeg's functions.
        XCTAssertThrowsError(try FFmpegLibrary(sonames: ["libgif.so.7"])) {
            XCTAssertEqual(($0 as? FFmpegUnavailable)?.reason, "av_malloc not found in libgif.so.7")
        }
        #endif
    }

    func testUnavailableReadsAsOneLineNamingTheFile() {
        let e = VideoDecodingError.ffmpegUnavailable(
            path: "clip.mp4", reason: "libavformat.so.59: cannot open shared object file: No such file or directory")
        XCTAssertEqual(e.description, "clip.mp4: cannot decode video: FFmpeg is not available "
                       + "(libavformat.so.59: cannot open shared object file: No such file or directory)")
    }

    func testTheLibrariesOfTheHeadersLoad() throws {
        XCTAssertNoThrow(try FFmpegLibrary.require(path: "clip.mp4"))
        XCTAssertEqual(VideoDecodingInfo.ffmpegVersion?.isEmpty, false)
    }
}
