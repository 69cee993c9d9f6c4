// Fuzzes GIF decoding and compositing (giflib + GIFCanvas), sampling at 5 fps and the resize, at
// most 100 sampled frames per input.

import FuzzSupport
import VideoDecoding

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGIF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Scratch.write(Scratch.buffer(data, size), to: "in.gif")
    decodeSome(path, limit: 100)
    return 0
}
