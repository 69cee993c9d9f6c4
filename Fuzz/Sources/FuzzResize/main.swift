// Fuzzes the resize / centre-crop geometry: any frame size and output size; every value in [0, 1].
// Input: u16 width, u16 height, u8 output size, u8 flags, then pixels (repeated to fill the frame).

import FuzzSupport
import VideoDecoding

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResize(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var r = ByteReader(Scratch.buffer(data, size))
    let width = Int(r.u16() % 1024) + 1, height = Int(r.u16() % 1024) + 1
    let side = Int(r.u8() % 128) + 1
    let crop = r.u8() & 1 == 1
    let pixels = r.rest()
    var rgb = [UInt8](repeating: 0, count: width * height * 3)
    if !pixels.isEmpty { for i in rgb.indices { rgb[i] = pixels[i % pixels.count] } }
    let out = Preprocess.modelInput(rgb: rgb, width: width, height: height, size: side, centerCrop: crop)
    precondition(out.count == side * side * 3)
    for v in out { precondition(v >= 0 && v <= 1, "value \(v) outside [0, 1]") }
    let square = Preprocess.centerSquare(width: width, height: height)
    precondition(square.x >= 0 && square.y >= 0 && square.x + square.side <= width && square.y + square.side <= height)
    return 0
}
