// The Swift rescaling that keeps GIFs off FFmpeg gives av_rescale_q's results, value for value.

import CFFmpeg
import XCTest

@testable import VideoDecoding

final class RescaleTests: XCTestCase {
    /// `rescale` against FFmpeg's own av_rescale_q, wherever FFmpeg's result is exact (its 128-bit
    /// path keeps only the low 64 bits of quotients of 2^64 and more; `rescale` says Int64.min).
    func testRescaleEqualsAVRescaleQ() {
        let bases: [(Int64, Int64)] = [(1, 1_000_000), (1, 100), (1, 90_000), (1001, 30_000), (1, 25), (1, 1),
                                       (1, 2_147_483_647), (2_147_483_647, 1), (3, 7), (0, 1), (1, 0), (-1, 25)]
        var values: [Int64] = [0, 1, -1, 49, 50, 51, -50, -51, 5_000, 15_000, 1_000_000, 1_500_000, -1_500_000,
                               Int64(Int32.max), Int64(Int32.max) + 1, .max, .min, .max / 3, .min / 7]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 { values.append(Int64.random(in: .min ... .max, using: &generator)) }
        for _ in 0..<200 { values.append(Int64.random(in: -10_000_000...10_000_000, using: &generator)) }
        var compared = 0
        for from in bases {
            for to in bases {
                for a in values {
                    let b = Int128(from.0) * Int128(to.1), c = Int128(to.0) * Int128(from.1)
                    if c > 0 && b >= 0 && (Int128(a).magnitude * UInt128(b) / UInt128(c)) >> 64 != 0 { continue }
                    let reference = ffmpeg.av_rescale_q(a, AVRational(num: Int32(from.0), den: Int32(from.1)),
                                                        AVRational(num: Int32(to.0), den: Int32(to.1)))
                    XCTAssertEqual(rescale(a, from: from, to: to), reference, "\(a) × \(from) / \(to)")
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 40_000)
    }
}
