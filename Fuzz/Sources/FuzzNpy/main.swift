// Fuzzes the `.npy` frame reader: header parsing, size checks, frame reads (at most 64 frames).

import FuzzSupport
import MoViNetKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Scratch.write(Scratch.buffer(data, size), to: "in.npy")
    guard let reader = try? NpyReader(path: path) else { return 0 }
    for _ in 0..<64 {
        let frame: [Float]?
        if reader.dtype == .uint8, reader.frames % 2 == 0 {
            frame = (try? reader.nextFrameBytes())??.map { Float($0) }
        } else {
            frame = try? reader.nextFrame()
        }
        guard let frame else { break }
        precondition(frame.count == reader.height * reader.width * 3)
    }
    return 0
}
