// Display matrices (phone videos stored sideways) to the turn FFmpeg's CLI applies when it
// autorotates (fftools/ffmpeg_filter.c, FFmpeg 5.1), and that turn applied to frames the way its
// transpose/hflip/vflip filters do: pixels moved, never resampled.

import CFFmpeg

/// How a frame is turned to be shown upright: one of the eight rotations and mirrorings of a
/// rectangle, named by the FFmpeg filters that perform it.
public enum Orientation: String, Sendable, CaseIterable {
    /// As stored.
    case upright = "none"
    /// Turned 90° clockwise (`transpose=clock`).
    case clockwise = "transpose=clock"
    /// Turned 90° counter-clockwise (`transpose=cclock`).
    case counterclockwise = "transpose=cclock"
    /// Rows become columns (`transpose=cclock_flip`: 90° counter-clockwise, then upside down).
    case transposed = "transpose=cclock_flip"
    /// Rows become columns the other way (`transpose=clock_flip`).
    case antitransposed = "transpose=clock_flip"
    /// Turned 180° (`hflip,vflip`).
    case upsideDown = "hflip,vflip"
    /// Mirrored left to right (`hflip`).
    case mirrored = "hflip"
    /// Mirrored top to bottom (`vflip`).
    case flipped = "vflip"

    /// Whether width and height swap.
    public var swapsSides: Bool {
        switch self {
        case .clockwise, .counterclockwise, .transposed, .antitransposed: return true
        default: return false
        }
    }

    /// What the FFmpeg CLI (5.1) inserts for a stream's display matrix (`matrix`: 9 values,
    /// 16.16 fixed point, as in `AV_PKT_DATA_DISPLAYMATRIX`), and the angle it would turn by with
    /// its `rotate` filter when that is not a multiple of 90° (we do not resample; the caller warns).
    public static func forDisplayMatrix(_ matrix: [Int32]) -> (orientation: Orientation, unsupportedAngle: Double?) {
        precondition(matrix.count == 9)
        let angle = matrix.withUnsafeBufferPointer { ffmpeg.av_display_rotation_get($0.baseAddress!) }
        if angle.isNaN { return (.upright, nil) }
        // get_rotation() in fftools/cmdutils.c: counter-clockwise angle → clockwise, in [0, 360).
        var theta = -angle.rounded()
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        if abs(theta - 90) < 1 { return (matrix[3] > 0 ? .transposed : .clockwise, nil) }
        if abs(theta - 180) < 1 {
            switch (matrix[0] < 0, matrix[4] < 0) {
            case (true, true): return (.upsideDown, nil)
            case (true, false): return (.mirrored, nil)
            case (false, true): return (.flipped, nil)
            case (false, false): return (.upright, nil)
            }
        }
        if abs(theta - 270) < 1 { return (matrix[3] < 0 ? .antitransposed : .counterclockwise, nil) }
        if abs(theta) > 1 { return (.upright, theta) }
        return (matrix[4] < 0 ? .flipped : .upright, nil)
    }

    /// Output row `row` of a plane read as a walk through the input (`inWidth`×`inHeight`): the
    /// input pixel of its column 0, and how the input row and column change per output column.
    /// FFmpeg's transpose/hflip/vflip loops, inverted (every turn is linear).
    @inline(__always)
    func walk(row: Int, inWidth: Int, inHeight: Int) -> (row: Int, column: Int, rowStep: Int, columnStep: Int) {
        switch self {
        case .upright: return (row, 0, 0, 1)
        case .clockwise: return (inHeight - 1, row, -1, 0)
        case .counterclockwise: return (0, inWidth - 1 - row, 1, 0)
        case .transposed: return (0, row, 1, 0)
        case .antitransposed: return (inHeight - 1, inWidth - 1 - row, -1, 0)
        case .upsideDown: return (inHeight - 1 - row, inWidth - 1, 0, -1)
        case .mirrored: return (row, inWidth - 1, 0, -1)
        case .flipped: return (inHeight - 1 - row, 0, 0, 1)
        }
    }

    /// Copies one plane turned: `step` bytes per pixel, input `inWidth`×`inHeight` pixels.
    func remap(from src: UnsafePointer<UInt8>, srcStride: Int, inWidth: Int, inHeight: Int,
               to dst: UnsafeMutablePointer<UInt8>, dstStride: Int, step: Int) {
        let outWidth = swapsSides ? inHeight : inWidth, outHeight = swapsSides ? inWidth : inHeight
        if !swapsSides && !(self == .mirrored || self == .upsideDown) {   // whole rows, in order
            for row in 0..<outHeight {
                let w = walk(row: row, inWidth: inWidth, inHeight: inHeight)
                (dst + row * dstStride).update(from: src + w.row * srcStride, count: outWidth * step)
            }
            return
        }
        // Hot loop (once per sampled frame and plane). Tiles of 32×32 pixels keep a transpose's
        // column reads in cache; one pointer walk per output row, no per-pixel index arithmetic.
        let tile = 32
        for rowTile in stride(from: 0, to: outHeight, by: tile) {
            for columnTile in stride(from: 0, to: outWidth, by: tile) {
                let columns = min(tile, outWidth - columnTile)
                for row in rowTile..<min(rowTile + tile, outHeight) {
                    let w = walk(row: row, inWidth: inWidth, inHeight: inHeight)
                    let delta = w.rowStep * srcStride + w.columnStep * step
                    var from = src + (w.row + columnTile * w.rowStep) * srcStride + (w.column + columnTile * w.columnStep) * step
                    var out = dst + row * dstStride + columnTile * step
                    switch step {
                    case 1:
                        for _ in 0..<columns { out.pointee = from.pointee; out += 1; from += delta }
                    default:
                        for _ in 0..<columns {
                            for k in 0..<step { out[k] = from[k] }
                            out += step
                            from += delta
                        }
                    }
                }
            }
        }
    }

    /// A packed RGB24 frame (height, width, 3) turned; returns the new pixels and size.
    public func apply(rgb: [UInt8], width: Int, height: Int) -> (rgb: [UInt8], width: Int, height: Int) {
        if self == .upright { return (rgb, width, height) }
        let outWidth = swapsSides ? height : width, outHeight = swapsSides ? width : height
        var out = [UInt8](repeating: 0, count: rgb.count)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                remap(from: src.baseAddress!, srcStride: width * 3, inWidth: width, inHeight: height,
                      to: dst.baseAddress!, dstStride: outWidth * 3, step: 3)
            }
        }
        return (out, outWidth, outHeight)
    }

    /// Whether FFmpeg's filters for this turn take `format` as it is. When they do not (e.g. 4:2:2
    /// chroma for a transpose, palettes), FFmpeg's graph converts to RGB24 before turning, and so
    /// does the decoder.
    func acceptsPlanes(of format: Int32) -> Bool {
        guard let desc = ffmpeg.av_pix_fmt_desc_get(AVPixelFormat(format)) else { return false }
        let flags = desc.pointee.flags
        let unsupported = UInt64(AV_PIX_FMT_FLAG_PAL) | UInt64(AV_PIX_FMT_FLAG_HWACCEL) | UInt64(AV_PIX_FMT_FLAG_BITSTREAM)
        if flags & unsupported != 0 { return false }
        let sameSubsampling = desc.pointee.log2_chroma_w == desc.pointee.log2_chroma_h
        if swapsSides { return sameSubsampling }   // vf_transpose
        // vf_hflip refuses packed formats with subsampled chroma (e.g. yuyv422); vf_vflip takes all.
        if self == .flipped { return true }
        return sameSubsampling || desc.pointee.comp.0.plane != desc.pointee.comp.1.plane
    }

    /// A decoded frame with its planes turned, in the same pixel format (properties copied).
    /// The caller has checked ``acceptsPlanes(of:)``.
    func apply(to frame: UnsafeMutablePointer<AVFrame>, path: String) throws -> Frame {
        let input = frame.pointee
        let out = try Frame(path: path)
        out.ptr.pointee.format = input.format
        out.ptr.pointee.width = swapsSides ? input.height : input.width
        out.ptr.pointee.height = swapsSides ? input.width : input.height
        var r = ffmpeg.av_frame_get_buffer(out.ptr, 0)
        if r >= 0 { r = ffmpeg.av_frame_copy_props(out.ptr, frame) }
        if r < 0 { throw VideoDecodingError.decodeFailed(path: path, detail: "cannot turn the frame: \(avErrorText(r))") }
        guard let desc = ffmpeg.av_pix_fmt_desc_get(AVPixelFormat(input.format)) else {
            throw VideoDecodingError.decodeFailed(path: path, detail: "unknown pixel format \(input.format)")
        }
        var steps: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        withUnsafeMutablePointer(to: &steps) {
            $0.withMemoryRebound(to: Int32.self, capacity: 4) { ffmpeg.av_image_fill_max_pixsteps($0, nil, desc) }
        }
        let pixelSteps = [steps.0, steps.1, steps.2, steps.3]
        let hsub = Int(desc.pointee.log2_chroma_w), vsub = Int(desc.pointee.log2_chroma_h)
        func ceilShift(_ x: Int32, _ s: Int) -> Int { (Int(x) + (1 << s) - 1) >> s }
        let srcData = [input.data.0, input.data.1, input.data.2, input.data.3]
        let srcStride = [input.linesize.0, input.linesize.1, input.linesize.2, input.linesize.3]
        let o = out.ptr.pointee
        let dstData = [o.data.0, o.data.1, o.data.2, o.data.3]
        let dstStride = [o.linesize.0, o.linesize.1, o.linesize.2, o.linesize.3]
        for plane in 0..<4 {
            guard let src = srcData[plane], let dst = dstData[plane], srcStride[plane] != 0 else { break }
            let chroma = plane == 1 || plane == 2
            remap(from: src, srcStride: Int(srcStride[plane]),
                  inWidth: ceilShift(input.width, chroma ? hsub : 0), inHeight: ceilShift(input.height, chroma ? vsub : 0),
                  to: dst, dstStride: Int(dstStride[plane]), step: Int(pixelSteps[plane]))
        }
        return out
    }
}
