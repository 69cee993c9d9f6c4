// GIF89a frame compositing: disposal methods 0–3, transparency, palettes, sub-frames on a logical screen.
//
// Rules (GIF89a §23, as browsers and FFmpeg apply them):
//  * the canvas is the logical screen, black before the first frame;
//  * a frame draws its rectangle (clipped to the screen) with its local palette, else the global
//    one; its transparent index, if any, leaves the canvas pixel as it was;
//  * after the frame is shown its disposal method acts before the next frame is drawn:
//    0 (unspecified) and 1 (do not dispose) keep it, 2 fills its rectangle with the logical
//    screen's background colour, 3 puts back what was under its rectangle before it was drawn.
// tf.io.decode_gif follows the same rules except that it ignores methods 2 and 3 (treats them as
// 1) and sizes its canvas by the largest frame instead of the logical screen; see docs/decoding.md.

struct GIFRect: Equatable, Sendable {
    var left: Int, top: Int, width: Int, height: Int
}

/// The composited picture a GIF shows, updated one frame at a time. (height, width, 3) RGB24.
struct GIFCanvas {
    let width: Int
    let height: Int
    /// The logical screen's background colour, used by disposal method 2.
    let background: (UInt8, UInt8, UInt8)
    private(set) var rgb: [UInt8]            // (height, width, 3)
    private var saved: [UInt8] = []          // (height, width, 3), rows of a method-3 frame's rectangle
    private var pendingDisposal = 0
    private var pendingRect = GIFRect(left: 0, top: 0, width: 0, height: 0)

    init(width: Int, height: Int, background: (UInt8, UInt8, UInt8)) {
        self.width = width
        self.height = height
        self.background = background
        rgb = [UInt8](repeating: 0, count: width * height * 3)
    }

    /// The part of `r` inside the screen, as row and column ranges.
    private func clip(_ r: GIFRect) -> (rows: Range<Int>, cols: Range<Int>) {
        let x0 = min(max(r.left, 0), width), x1 = min(max(r.left + r.width, 0), width)
        let y0 = min(max(r.top, 0), height), y1 = min(max(r.top + r.height, 0), height)
        return (y0..<max(y0, y1), x0..<max(x0, x1))
    }

    /// Draws one frame and remembers how to dispose of it before the next.
    /// - indices: (rect.height, rect.width) palette indices, de-interlaced.
    /// - palette: packed RGB triples (count × 3).
    mutating func draw(rect: GIFRect, indices: UnsafeBufferPointer<UInt8>, palette: [UInt8],
                       transparentIndex: Int?, disposal: Int) {
        disposePrevious()
        let (rows, cols) = clip(rect)
        if disposal == 3 {
            if saved.count != rgb.count { saved = [UInt8](repeating: 0, count: rgb.count) }
            for y in rows {
                let a = (y * width + cols.lowerBound) * 3, b = (y * width + cols.upperBound) * 3
                saved.replaceSubrange(a..<b, with: rgb[a..<b])
            }
        }
        let colours = palette.count / 3
        let transparent = transparentIndex ?? -1
        rgb.withUnsafeMutableBufferPointer { out in
            palette.withUnsafeBufferPointer { pal in
                for y in rows {
                    let src = (y - rect.top) * rect.width - rect.left
                    var o = (y * width + cols.lowerBound) * 3
                    for x in cols {
                        let i = Int(indices[src + x])
                        if i != transparent {
                            if i < colours {
                                out[o] = pal[i * 3]; out[o + 1] = pal[i * 3 + 1]; out[o + 2] = pal[i * 3 + 2]
                            } else {
                                // Outside the palette: black, as FFmpeg does (TensorFlow rejects the file).
                                out[o] = 0; out[o + 1] = 0; out[o + 2] = 0
                            }
                        }
                        o += 3
                    }
                }
            }
        }
        pendingDisposal = disposal
        pendingRect = rect
    }

    /// Applies the last drawn frame's disposal method (2: background, 3: restore previous).
    private mutating func disposePrevious() {
        let (rows, cols) = clip(pendingRect)
        switch pendingDisposal {
        case 2:
            let (r, g, b) = background
            for y in rows {
                var o = (y * width + cols.lowerBound) * 3
                for _ in cols { rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b; o += 3 }
            }
        case 3 where saved.count == rgb.count:
            for y in rows {
                let a = (y * width + cols.lowerBound) * 3, b = (y * width + cols.upperBound) * 3
                rgb.replaceSubrange(a..<b, with: saved[a..<b])
            }
        default:
            break
        }
        pendingDisposal = 0
    }
}
