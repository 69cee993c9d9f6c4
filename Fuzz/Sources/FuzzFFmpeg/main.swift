// Fuzzes the FFmpeg decoder glue (probe, decode, display matrix, timestamps, damage accounting)
// through a file, sampling at 5 fps; at most 30 sampled frames per input.

import FuzzSupport
import VideoDecoding

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFFmpeg(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Scratch.write(Scratch.buffer(data, size), to: "in.video")
    decodeSome(path, limit: 30)
    return 0
}
