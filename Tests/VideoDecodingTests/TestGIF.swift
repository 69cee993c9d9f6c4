// Test helper: writes GIFs through giflib's encoder (GCE disposal, transparency, delays,
// local palettes, interlace, offset sub-frames) so the compositing tests make their own inputs.

import CGIFLib
import Foundation
import VideoDecoding

struct TestGIF {
    typealias RGB = (UInt8, UInt8, UInt8)

    struct Frame {
        var left = 0, top = 0, width: Int, height: Int
        var indices: [UInt8]               // (height, width), top to bottom
        var palette: [RGB]? = nil          // local colour table
        var disposal = 1
        var transparent: Int? = nil
        var delay = 10                     // centiseconds
        var interlace = false
    }

    var width: Int
    var height: Int
    var global: [RGB]?
    var background = 0
    var frames: [Frame]

    struct WriteError: Error, CustomStringConvertible { var description: String }

    /// A giflib colour map, padded with black to a power of two as GIF requires.
    private static func map(_ colours: [RGB]) -> UnsafeMutablePointer<ColorMapObject>? {
        var n = 2
        while n < colours.count { n *= 2 }
        var c = colours.map { GifColorType(Red: $0.0, Green: $0.1, Blue: $0.2) }
        c += Array(repeating: GifColorType(Red: 0, Green: 0, Blue: 0), count: n - colours.count)
        return GifMakeMapObject(Int32(n), c)
    }

    func write(to path: String) throws {
        var error: Int32 = 0
        guard let gif = EGifOpenFileName(path, false, &error) else { throw WriteError(description: "open \(error)") }
        EGifSetGifVersion(gif, true)
        let gmap = global.flatMap(TestGIF.map)
        defer { if let gmap { GifFreeMapObject(gmap) } }
        guard EGifPutScreenDesc(gif, Int32(width), Int32(height), 8, Int32(background), gmap) == GIF_OK else {
            throw WriteError(description: "screen \(gif.pointee.Error)")
        }
        for f in frames {
            var gcb = GraphicsControlBlock(DisposalMode: Int32(f.disposal), UserInputFlag: false,
                                           DelayTime: Int32(f.delay), TransparentColor: Int32(f.transparent ?? -1))
            var ext = [GifByteType](repeating: 0, count: 4)
            let n = EGifGCBToExtension(&gcb, &ext)
            guard EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, Int32(n), ext) == GIF_OK else {
                throw WriteError(description: "gce")
            }
            let lmap = f.palette.flatMap(TestGIF.map)
            defer { if let lmap { GifFreeMapObject(lmap) } }
            guard EGifPutImageDesc(gif, Int32(f.left), Int32(f.top), Int32(f.width), Int32(f.height),
                                   f.interlace, lmap) == GIF_OK else { throw WriteError(description: "desc") }
            // The encoder writes rows in the order given: interlaced files list them pass by pass.
            let order = f.interlace
                ? [(0, 8), (4, 8), (2, 4), (1, 2)].flatMap { stride(from: $0.0, to: f.height, by: $0.1) }
                : Array(0..<f.height)
            for y in order {
                var row = Array(f.indices[(y * f.width)..<((y + 1) * f.width)])
                guard EGifPutLine(gif, &row, Int32(f.width)) == GIF_OK else { throw WriteError(description: "line") }
            }
        }
        guard EGifCloseFile(gif, &error) == GIF_OK else { throw WriteError(description: "close \(error)") }
    }
}

/// Small shared helpers for the decoder tests.
enum TestFiles {
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("movinet-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs a program and returns its standard output; throws on a non-zero exit.
    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw TestGIF.WriteError(description: "\(tool) \(args.joined(separator: " ")) exited \(p.terminationStatus)")
        }
        return data
    }

    /// Every frame of a source.
    static func decodeAll(_ path: String) throws -> (frames: [VideoFrame], warnings: [String]) {
        let src = try VideoSource(path: path)
        var frames: [VideoFrame] = []
        while let f = try src.nextFrame() { frames.append(f) }
        return (frames, src.warnings)
    }

    /// (T, H, W, 3) frames of `ffmpeg -i path [args] -f rawvideo -pix_fmt rgb24`.
    static func ffmpegFrames(_ path: String, width: Int, height: Int, _ args: [String] = []) throws -> [[UInt8]] {
        let raw = [UInt8](try run("ffmpeg", ["-v", "error", "-i", path] + args + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]))
        let n = width * height * 3
        return stride(from: 0, to: raw.count - n + 1, by: n).map { Array(raw[$0..<($0 + n)]) }
    }
}
