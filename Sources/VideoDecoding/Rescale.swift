// Timestamps moved between time bases exactly as FFmpeg's av_rescale_q does it
// (libavutil/mathematics.c, av_rescale_rnd with AV_ROUND_NEAR_INF), so that GIFs need no FFmpeg.

/// `a` ticks of `from` in ticks of `to` (time bases in seconds per tick, num/den): `a × from / to`
/// rounded to the nearest integer, halves away from zero. Like FFmpeg, Int64.min when the result
/// does not fit in an Int64 or a time base is not positive (and `a` = Int64.min counts as −Int64.max).
func rescale(_ a: Int64, from: (num: Int64, den: Int64), to: (num: Int64, den: Int64)) -> Int64 {
    let b = Int128(from.num) * Int128(to.den), c = Int128(to.num) * Int128(from.den)
    if c <= 0 || b < 0 { return .min }
    let magnitude = UInt128(max(a, -.max).magnitude)
    let quotient = (magnitude * UInt128(b) + UInt128(c / 2)) / UInt128(c)
    if quotient > Int64.max { return .min }
    return a < 0 ? -Int64(quotient) : Int64(quotient)
}
