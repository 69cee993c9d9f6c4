// Placeholder until the decoder lands (issue 2): checks that the C shims import and link.

import CFFmpeg
import CGIFLib

public enum VideoDecodingInfo {
    public static var ffmpegVersion: String { String(cString: av_version_info()) }
    public static var giflibVersion: String { "\(GIFLIB_MAJOR).\(GIFLIB_MINOR).\(GIFLIB_RELEASE)" }
}
