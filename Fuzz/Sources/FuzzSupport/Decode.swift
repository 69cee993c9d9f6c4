// Shared by the decoder harnesses: open, sample, resize a bounded number of frames.

import VideoDecoding

/// Decodes up to `limit` sampled frames of `path` at 5 fps, each resized to 8×8; every frame has
/// the size its bytes say.
public func decodeSome(_ path: String, limit: Int) {
    guard let source = try? VideoSource(path: path) else { return }
    let frames = SampledFrames(source: source, fps: 5)
    for _ in 0..<limit {
        guard let f = try? frames.next() else { break }
        precondition(f.width > 0 && f.height > 0 && f.rgb.count == f.width * f.height * 3,
                     "frame \(f.width)×\(f.height) with \(f.rgb.count) bytes")
        _ = Preprocess.modelInput(rgb: f.rgb, width: f.width, height: f.height, size: 8)
    }
}
