// Test helpers that run independent tools (ffmpeg above all) to make inputs and reference outputs,
// and that doctor MP4 files the way phones and damaged disks do.

import Foundation

public enum Tools {
    /// What a tool printed and how it ended.
    public struct Output {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `tool` (looked up in PATH) with `arguments`, capturing both outputs.
    public static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: data, stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Runs `tool` and returns its standard output; throws when it fails.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String]) throws -> Data {
        let r = try run(tool, arguments)
        if r.status != 0 {
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(500))")
        }
        return r.stdout
    }

    /// `ffmpeg -nostdin -y -v error …`.
    public static func ffmpeg(_ arguments: [String]) throws {
        try check("ffmpeg", ["-nostdin", "-y", "-v", "error"] + arguments)
    }

    /// The RGB24 frames ffmpeg makes of `path`: `input` options go before `-i` (e.g. `-ss`),
    /// `output` options after it (e.g. `-vf fps=5`); frames are `width`×`height`.
    public static func ffmpegFrames(_ path: String, input: [String] = [], output: [String] = [],
                                    width: Int, height: Int) throws -> [[UInt8]] {
        let raw = [UInt8](try check("ffmpeg", ["-nostdin", "-v", "error"] + input + ["-i", path] + output
                                    + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]))
        let n = width * height * 3
        return stride(from: 0, to: raw.count - n + 1, by: n).map { Array(raw[$0..<($0 + n)]) }
    }

    /// The top-level boxes of an MP4 file: (type, offset of the box, offset of its payload, end).
    public static func mp4Boxes(_ d: [UInt8]) -> [(type: String, start: Int, payload: Int, end: Int)] {
        var boxes: [(String, Int, Int, Int)] = []
        var i = 0
        func be(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 << 8 | Int(d[at + $1]) } }
        while i + 8 <= d.count {
            var size = be(i, 4), header = 8
            if size == 1 { size = be(i + 8, 8); header = 16 }
            if size == 0 { size = d.count - i }
            let type = String(decoding: d[(i + 4)..<(i + 8)], as: UTF8.self)
            boxes.append((type, i, i + header, min(d.count, i + size)))
            if size < header { break }
            i += size
        }
        return boxes
    }

    /// Replaces the display matrix of the first track of an MP4 (its `tkhd` box) with `matrix`:
    /// nine integers, the first two columns in 16.16 fixed point and the last in 2.30, as
    /// ISO/IEC 14496-12 stores it. How phones mark a video stored sideways or mirrored.
    public static func setDisplayMatrix(_ url: URL, _ matrix: [Int32]) throws {
        precondition(matrix.count == 9)
        var d = [UInt8](try Data(contentsOf: url))
        guard let at = find(Array("tkhd".utf8), in: d) else { throw Failure(description: "no tkhd in \(url.path)") }
        let version = d[at + 4]
        let offset = at + 4 + 4 + (version == 0 ? 20 : 32) + 8 + 8
        for (k, v) in matrix.enumerated() {
            let bits = UInt32(bitPattern: v)
            for b in 0..<4 { d[offset + 4 * k + b] = UInt8((bits >> (24 - 8 * UInt32(b))) & 0xFF) }
        }
        try Data(d).write(to: url)
    }

    /// A 3×3 display matrix from rotation/mirroring entries a, b, c, d (±1 or 0): [a b 0; c d 0; 0 0 1].
    public static func displayMatrix(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> [Int32] {
        [a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30]
    }

    /// A copy of `source` with one byte in every `every` of its `mdat` payload (after the first
    /// `skip` bytes) XORed with 0x55: the kind of damage a bad sector or a broken download leaves.
    public static func flipBits(_ source: URL, to target: URL, skip: Int = 3000, every: Int = 1500) throws {
        var d = [UInt8](try Data(contentsOf: source))
        guard let mdat = mp4Boxes(d).first(where: { $0.type == "mdat" }) else {
            throw Failure(description: "no mdat in \(source.path)")
        }
        for k in stride(from: mdat.payload + skip, to: mdat.end, by: every) { d[k] ^= 0x55 }
        try Data(d).write(to: target)
    }

    /// Where `needle` first occurs in `hay`.
    public static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
