// Fuzzes the frame sampler with timestamps as decoders derive them (integer pts × time_base, or a
// raw double), the rate, and the end; copies are never negative and finish() ends the stream.
// Input: u8 rate choice (+ f64 when free), u32 time_base num, u32 den, then records of
// u8 kind (0: pts i64, 1: seconds f64, 2: end with f64 end time, 3: end with none) + value.

import FuzzSupport
import VideoDecoding

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSampler(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var r = ByteReader(Scratch.buffer(data, size))
    let rates: [Double] = [0, 5, 1, 30, 29.97, 0.5, 1e-9, 1e9, -1]
    let choice = Int(r.u8())
    let fps = choice < rates.count ? rates[choice] : r.f64()
    let num = Int64(r.u32()), den = Int64(max(r.u32(), 1))
    let tb = Double(num) / Double(den)
    var sampler = FrameSampler(fps: fps)
    var total = 0
    while !r.isAtEnd {
        let kind = r.u8() % 4
        let copies: Int
        switch kind {
        case 0: copies = sampler.take(timestamp: Double(r.i64()) * tb)
        case 1: copies = sampler.take(timestamp: r.f64())
        case 2: copies = sampler.finish(endTimestamp: r.f64())
        default: copies = sampler.finish(endTimestamp: nil)
        }
        precondition(copies >= 0, "negative copies")
        total = total &+ copies
    }
    _ = sampler.finish(endTimestamp: nil)
    precondition(sampler.finish(endTimestamp: nil) == 0, "a second finish yields frames")
    return total == Int.min ? 1 : 0
}
