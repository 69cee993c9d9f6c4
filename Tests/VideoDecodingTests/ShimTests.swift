// The C shims import, giflib links and FFmpeg loads: both report their versions.
import XCTest
import VideoDecoding

final class ShimTests: XCTestCase {
    func testLibrariesLink() {
        XCTAssertEqual(VideoDecodingInfo.ffmpegVersion?.isEmpty, false)
        XCTAssertTrue(VideoDecodingInfo.giflibVersion.hasPrefix("5."))
    }
}
