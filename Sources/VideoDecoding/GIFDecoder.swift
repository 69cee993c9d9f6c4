// Reads a GIF record by record through giflib and composites each frame (GIFCanvas); delays → timestamps.

import CGIFLib

/// Bytes held in memory, served to giflib's read callback (GIFs from standard input or a URL).
final class MemoryReader {
    let bytes: [UInt8]
    private var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let n = min(count, bytes.count - position)
        if n <= 0 { return 0 }
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + position, count: n) }
        position += n
        return n
    }
}

/// Where a GIF's bytes come from: a file (opened afresh for each pass) or memory.
enum GIFInput {
    case file(String)
    case memory(MemoryReader)
}

/// One open giflib decoder; owns the GifFileType and closes it in deinit.
final class GIFHandle {
    let gif: UnsafeMutablePointer<GifFileType>
    private let reader: MemoryReader?   // kept alive while giflib calls back into it

    init(_ input: GIFInput, path: String) throws {
        var error: Int32 = 0
        switch input {
        case .file(let file):
            let fd = FileNames.open(file, O_RDONLY)
            if fd < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "cannot open: \(errnoText())") }
            // giflib takes ownership of fd and closes it.
            guard let g = DGifOpenFileHandle(fd, &error) else {
                throw VideoDecodingError.decodeFailed(path: path, detail: "damaged or truncated GIF header (\(gifErrorText(error)))")
            }
            gif = g
            reader = nil
        case .memory(let r):
            let read: InputFunc = { file, buffer, count in
                guard let file, let buffer, let user = file.pointee.UserData, count > 0 else { return 0 }
                return Int32(Unmanaged<MemoryReader>.fromOpaque(user).takeUnretainedValue()
                    .read(into: buffer, count: Int(count)))
            }
            guard let g = DGifOpen(Unmanaged.passUnretained(r).toOpaque(), read, &error) else {
                throw VideoDecodingError.decodeFailed(path: path, detail: "damaged or truncated GIF header (\(gifErrorText(error)))")
            }
            gif = g
            reader = r
        }
    }

    deinit {
        var error: Int32 = 0
        DGifCloseFile(gif, &error)
    }

    var lastError: String { gifErrorText(gif.pointee.Error) }
}

func gifErrorText(_ code: Int32) -> String {
    if code == 0 { return "unexpected end of data" }
    if let s = GifErrorString(code) { return String(cString: s) }
    return "giflib error \(code)"
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// A palette as packed RGB triples.
private func paletteBytes(_ map: UnsafeMutablePointer<ColorMapObject>?) -> [UInt8]? {
    guard let map, let colours = map.pointee.Colors, map.pointee.ColorCount > 0 else { return nil }
    var out = [UInt8]()
    out.reserveCapacity(Int(map.pointee.ColorCount) * 3)
    for i in 0..<Int(map.pointee.ColorCount) {
        out.append(colours[i].Red); out.append(colours[i].Green); out.append(colours[i].Blue)
    }
    return out
}

/// FFmpeg and browsers show a frame with a delay under 2/100 s for 1/10 s; so do we.
func effectiveDelay(centiseconds: Int) -> Int { centiseconds < 2 ? 10 : centiseconds }

final class GIFDecoder: FrameDecoder {
    let path: String
    let info: VideoInfo
    private(set) var warnings: [String] = []
    private let handle: GIFHandle
    private var canvas: GIFCanvas
    private let globalPalette: [UInt8]?
    private var raster: [UInt8] = []          // (rect.height, rect.width) palette indices
    private var control: GraphicsControlBlock? // the GCE that applies to the next image
    private var elapsed = 0                   // centiseconds shown before the next frame
    /// `DecodingOptions.start` in centiseconds (the span's time base is the GIF's).
    private let spanOffset: Int64
    let spanTimeBase: (num: Int64, den: Int64) = (1, 100)
    private var index = 0
    private var finished = false

    init(input: GIFInput, path: String, start: Double = 0) throws {
        self.path = path
        spanOffset = rescale(Int64((start * 1e6).rounded()), from: (1, 1_000_000), to: spanTimeBase)
        handle = try GIFHandle(input, path: path)
        let gif = handle.gif.pointee
        let width = Int(gif.SWidth), height = Int(gif.SHeight)
        try DecodingLimits.checkSize(width: width, height: height, path: path)
        globalPalette = paletteBytes(gif.SColorMap)
        var background: (UInt8, UInt8, UInt8) = (0, 0, 0)
        if let pal = globalPalette, Int(gif.SBackGroundColor) * 3 + 2 < pal.count {
            let b = Int(gif.SBackGroundColor) * 3
            background = (pal[b], pal[b + 1], pal[b + 2])
        }
        canvas = GIFCanvas(width: width, height: height, background: background)
        let scan = GIFDecoder.scan(input, path: path)
        info = VideoInfo(
            path: path, container: "gif", codec: "gif", width: width, height: height,
            frameRate: scan.map { $0.duration > 0 ? Double($0.frames) / $0.duration : nil } ?? nil,
            duration: scan?.duration, frameCountHint: scan?.frames)
    }

    /// Frame count and total duration from a pass over the file that skips the image data
    /// without decompressing it. nil when the file is damaged before its end.
    private static func scan(_ input: GIFInput, path: String) -> (frames: Int, duration: Double)? {
        let source: GIFInput
        switch input {
        case .file: source = input
        case .memory(let r): source = .memory(MemoryReader(r.bytes))
        }
        guard let h = try? GIFHandle(source, path: path) else { return nil }
        var frames = 0, centiseconds = 0, delay = 0
        while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(h.gif, &type) == GIF_OK else { return nil }
            switch type {
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(h.gif) == GIF_OK else { return nil }
                movinet_gif_forget_saved_images(h.gif)
                var size: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetCode(h.gif, &size, &block) == GIF_OK else { return nil }
                while block != nil { guard DGifGetCodeNext(h.gif, &block) == GIF_OK else { return nil } }
                frames += 1
                centiseconds += effectiveDelay(centiseconds: delay)
                delay = 0
                if frames > DecodingLimits.maxFrames { return nil }
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var ext: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(h.gif, &code, &ext) == GIF_OK else { return nil }
                if code == GRAPHICS_EXT_FUNC_CODE, let e = ext {
                    var gcb = GraphicsControlBlock()
                    if DGifExtensionToGCB(Int(e[0]), e + 1, &gcb) == GIF_OK { delay = Int(gcb.DelayTime) }
                }
                while ext != nil { guard DGifGetExtensionNext(h.gif, &ext) == GIF_OK else { return nil } }
            case TERMINATE_RECORD_TYPE:
                return (frames, Double(centiseconds) / 100)
            default:
                return nil
            }
        }
    }

    /// Ends decoding at damage: a warning if frames came before it, an error if none did.
    private func damaged(_ what: String) throws -> HeldFrame? {
        finished = true
        if index == 0 {
            throw VideoDecodingError.decodeFailed(path: path, detail: "damaged GIF, no frame decoded (\(what))")
        }
        warnings.append("truncated or damaged after frame \(index - 1) (\(what)); using the \(index) frames before it")
        return nil
    }

    func nextHeld() throws -> HeldFrame? {
        if finished { return nil }
        let gif = handle.gif
        while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &type) == GIF_OK else { return try damaged(handle.lastError) }
            switch type {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var ext: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &ext) == GIF_OK else { return try damaged(handle.lastError) }
                if code == GRAPHICS_EXT_FUNC_CODE, let e = ext {
                    var gcb = GraphicsControlBlock()
                    if DGifExtensionToGCB(Int(e[0]), e + 1, &gcb) == GIF_OK { control = gcb }
                }
                while ext != nil {
                    guard DGifGetExtensionNext(gif, &ext) == GIF_OK else { return try damaged(handle.lastError) }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { return try damaged(handle.lastError) }
                return try readImage()
            case TERMINATE_RECORD_TYPE:
                finished = true
                if index == 0 { throw VideoDecodingError.noFrames(path: path) }
                return nil
            default:
                return try damaged("unknown record")
            }
        }
    }

    private func readImage() throws -> HeldFrame? {
        let gif = handle.gif
        let desc = gif.pointee.Image
        let rect = GIFRect(left: Int(desc.Left), top: Int(desc.Top), width: Int(desc.Width), height: Int(desc.Height))
        let local = paletteBytes(desc.ColorMap)
        movinet_gif_forget_saved_images(gif)
        if index >= DecodingLimits.maxFrames {
            throw VideoDecodingError.tooLarge(path: path, detail: "more than \(DecodingLimits.maxFrames) frames")
        }
        if rect.width > DecodingLimits.maxSide || rect.height > DecodingLimits.maxSide {
            throw VideoDecodingError.tooLarge(
                path: path, detail: "frame \(index) size \(rect.width)×\(rect.height) exceeds \(DecodingLimits.maxSide) px a side")
        }
        let count = rect.width * rect.height
        if count > 0 {
            if raster.count < count { raster = [UInt8](repeating: 0, count: count) }
            let ok = raster.withUnsafeMutableBufferPointer { buf -> Bool in
                let base = buf.baseAddress!
                let rows: [Int]
                if desc.Interlace {
                    // GIF89a appendix E: rows 0,8,16… then 4,12… then 2,6… then 1,3…
                    rows = [(0, 8), (4, 8), (2, 4), (1, 2)].flatMap { stride(from: $0.0, to: rect.height, by: $0.1) }
                } else {
                    rows = Array(0..<rect.height)
                }
                for y in rows where DGifGetLine(gif, base + y * rect.width, Int32(rect.width)) != GIF_OK {
                    return false
                }
                return true
            }
            if !ok { return try damaged(handle.lastError) }
        } else {
            var size: Int32 = 0
            var block: UnsafeMutablePointer<GifByteType>?
            guard DGifGetCode(gif, &size, &block) == GIF_OK else { return try damaged(handle.lastError) }
            while block != nil {
                guard DGifGetCodeNext(gif, &block) == GIF_OK else { return try damaged(handle.lastError) }
            }
        }
        let gcb = control
        control = nil
        let transparent = gcb.flatMap { $0.TransparentColor >= 0 ? Int($0.TransparentColor) : nil }
        raster.withUnsafeBufferPointer { buf in
            canvas.draw(rect: rect, indices: UnsafeBufferPointer(rebasing: buf[0..<count]),
                        palette: local ?? globalPalette ?? [], transparentIndex: transparent,
                        disposal: Int(gcb?.DisposalMode ?? 0))
        }
        let delay = effectiveDelay(centiseconds: Int(gcb?.DelayTime ?? 0))
        let frame = VideoFrame(index: index, timestamp: Double(elapsed) / 100, width: canvas.width,
                               height: canvas.height, rgb: canvas.rgb, duration: Double(delay) / 100)
        elapsed += delay
        index += 1
        let span = Int64(elapsed - delay) - spanOffset
        return HeldFrame(frame, spanTicks: span, spanTime: Double(span) / 100)
    }
}
