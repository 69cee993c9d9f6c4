// Frame-rate sampling by timestamps, the same selection as FFmpeg's `fps` filter (libavfilter/vf_fps.c)
// with its defaults `round=near` and `eof_action=round`.
//
// The filter gives every input frame an output slot p = round(t × fps) (nearest, halves away from
// zero) and fills output slot j with the last frame whose slot is ≤ j, starting at the first
// frame's slot and ending before round(end × fps), where `end` is when the last frame stops
// (its timestamp plus its duration). So a frame's number of copies is known only when the next
// frame's timestamp arrives: `take` answers for the frame fed before.

public struct FrameSampler: Sendable {
    public let fps: Double
    private var nextSlot: Int64 = 0     // the next output slot to fill
    private var lastSlot: Int64 = 0     // slot of the frame fed last
    private var holding = false         // a frame has been fed and not yet answered for

    /// `fps` ≤ 0 keeps every frame once.
    public init(fps: Double) { self.fps = fps }

    /// Slots are kept within ±2^61 so that differences of two slots never overflow: a file can
    /// put any pts and time base in its timestamps (2^62 s at 5 fps is a slot past Int64).
    static let slotLimit: Double = 0x1p61

    /// The output slot of a time, as `av_rescale_q_rnd(…, AV_ROUND_NEAR_INF)` computes it from
    /// exact rationals; the tiny bias keeps exact halves (t × fps = k + ½) rounding up as there.
    /// Times beyond the slot range (and infinities) are clamped to it; NaN counts as the frame
    /// fed before it (a frame without a usable time adds no copies).
    private func slot(_ t: Double) -> Int64 {
        let x = t * fps
        guard !x.isNaN else { return lastSlot }
        let rounded = (x + (x >= 0 ? 1e-9 : -1e-9)).rounded(.toNearestOrAwayFromZero)
        return Int64(min(max(rounded, -Self.slotLimit), Self.slotLimit))
    }

    /// Feeds the next decoded frame's timestamp (seconds). Returns how many copies of the frame fed
    /// *before* this one the sampled sequence holds (0 = dropped); the first call returns 0.
    public mutating func take(timestamp: Double) -> Int {
        defer { holding = true }
        if fps <= 0 { return holding ? 1 : 0 }
        let p = slot(timestamp)
        guard holding else {
            nextSlot = p
            lastSlot = p
            return 0
        }
        lastSlot = p
        if p <= nextSlot { return 0 }
        let copies = p - nextSlot
        nextSlot = p
        return Int(copies)
    }

    /// At the end of the stream: how many copies of the last frame fed the sampled sequence holds.
    /// `endTimestamp` is when that frame stops being shown (timestamp + duration); when unknown the
    /// last frame fills its own slot only.
    public mutating func finish(endTimestamp: Double?) -> Int {
        guard holding else { return 0 }
        holding = false
        if fps <= 0 { return 1 }
        let end = endTimestamp.map(slot) ?? (lastSlot + 1)
        return end > nextSlot ? Int(end - nextSlot) : 0
    }
}

/// A source's frames at a target rate: each decoded frame is yielded as many times as the
/// sampler keeps it (FFmpeg `fps` filter semantics; `fps` 0 keeps every frame), timed from the
/// start of the source's span (``DecodingOptions/start``) as `ffmpeg -ss` times them. An input
/// too short for the rate (one still image, two frames 1/30 s apart) still yields its last frame
/// once, so that every decodable input has something to classify. At most two decoded frames are
/// held at a time.
public final class SampledFrames {
    public let source: VideoSource
    /// Frames decoded from the source so far.
    public private(set) var decodedCount = 0
    /// Frames yielded so far.
    public private(set) var sampledCount = 0
    private var sampler: FrameSampler
    private var pending: HeldFrame?     // decoded, copies not yet known
    private var held: VideoFrame?       // being yielded `repeats` more times
    private var repeats = 0
    private var ended = false

    public init(source: VideoSource, fps: Double) {
        self.source = source
        sampler = FrameSampler(fps: fps)
    }

    public convenience init(path: String, fps: Double, options: DecodingOptions = DecodingOptions()) throws {
        self.init(source: try VideoSource(path: path, options: options), fps: fps)
    }

    /// Most copies of one decoded frame: an hour of the sampled sequence. A timestamp jump (a
    /// damaged or hostile file: pts 2^40 s after the previous frame) would otherwise repeat one
    /// frame without bound; one GIF frame lasts at most 655.35 s, so real files stay well below.
    public static let maxRepeatedSeconds: Double = 3600

    private func checked(_ copies: Int, before next: Double?) throws -> Int {
        let limit = Int(min(max(1, Self.maxRepeatedSeconds * sampler.fps), FrameSampler.slotLimit))
        guard copies > limit, let frame = pending else { return copies }
        let to = next.map { "\($0) s" } ?? "its end"
        throw VideoDecodingError.tooLarge(path: source.info.path, detail:
            "timestamps jump from \(frame.spanTime) s to \(to): frame \(frame.index) would be repeated \(copies) times (more than \(Int(Self.maxRepeatedSeconds)) s of one frame)")
    }

    /// The next sampled frame, or nil at the end.
    public func next() throws -> VideoFrame? {
        while true {
            if repeats > 0, let frame = held {
                repeats -= 1
                sampledCount += 1
                if repeats == 0 { held = nil }
                return frame
            }
            if ended { return nil }
            if let frame = try source.nextHeld() {
                decodedCount += 1
                repeats = try checked(sampler.take(timestamp: frame.spanTime), before: frame.spanTime)
                // Converted now (if kept), before the decoder converts anything newer.
                held = repeats > 0 ? try pending?.frame() : nil
                pending = frame
            } else {
                ended = true
                let end = pending.flatMap { f in f.duration.map { f.spanTime + $0 } }
                repeats = try checked(sampler.finish(endTimestamp: end), before: end)
                if repeats == 0 && sampledCount == 0 && pending != nil { repeats = 1 }
                held = repeats > 0 ? try pending?.frame() : nil
                pending = nil
            }
        }
    }
}
