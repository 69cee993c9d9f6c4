// The C shims import and link: FFmpeg and giflib report their versions.
import XCTest
import VideoDecoding

final class ShimTests: XCTestCase {
    func testLibrariesLink() {
        XCTAssertFalse(VideoDecodingInfo.ffmpegVersion.isEmpty)
        XCTAssertTrue(VideoDecodingInfo.giflibVersion.hasPrefix("5."))
    }
}
