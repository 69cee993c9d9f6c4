// The three shared samples glued into one video with ffmpeg (jumping jacks ×3 → carving ice →
// arm wrestling, each 320×240 at 25 fps), made in a temporary folder for the segments tests.

import Foundation

public enum GluedClip {
    /// The labels of the parts, in order.
    public static let labels = ["jumping jacks", "carving ice", "arm wrestling"]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: (path: String, cuts: [Double])??

    /// The glued clip made once per test process (in a temporary folder), shared by the tests.
    public static func shared() throws -> (path: String, cuts: [Double])? {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-glued-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let clip = try make(in: dir)
        made = .some(clip)
        return clip
    }

    /// The glued clip in `directory` and the true times of its parts: `[0, cut 1, cut 2, end]` in
    /// seconds (frame counts of the parts / 25). Nil when the shared samples are absent and CI is
    /// not set.
    public static func make(in directory: URL) throws -> (path: String, cuts: [Double])? {
        guard let gif = try SharedFiles.url("samples/jumpingjack.gif"),
              let ice = try SharedFiles.url("samples/carving_ice.mp4"),
              let arm = try SharedFiles.url("samples/mmaction2_demo.mp4") else { return nil }
        let filter = "scale=320:240:force_original_aspect_ratio=decrease,pad=320:240:(ow-iw)/2:(oh-ih)/2,"
            + "setsar=1,fps=25,format=yuv420p"
        var frames: [Int] = []
        var parts: [String] = []
        for (n, (input, loop)) in [(gif, true), (ice, false), (arm, false)].enumerated() {
            let part = directory.appendingPathComponent("part\(n).mp4").path
            try Tools.ffmpeg((loop ? ["-stream_loop", "2"] : []) + ["-i", input.path, "-vf", filter, "-an",
                             "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", part])
            let count = try Tools.check("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v",
                                                    "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", part])
            guard let k = Int(String(decoding: count, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw Tools.Failure(description: "ffprobe gave no frame count for \(part)") }
            frames.append(k)
            parts.append(part)
        }
        let glued = directory.appendingPathComponent("glued.mp4").path
        try Tools.ffmpeg(parts.flatMap { ["-i", $0] } + ["-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
                         "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", glued])
        let cuts = (0...3).map { Double(frames.prefix($0).reduce(0, +)) / 25 }
        return (glued, cuts)
    }
}
