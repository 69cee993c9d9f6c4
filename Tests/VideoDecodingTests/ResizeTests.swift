// Bilinear resize against a naive double-precision twin of tf.image.resize's formula, the centre
// crop against resizing a hand-cut square, and the identity case. (TensorFlow's own output on the
// reference frames is checked in ReferenceParityTests.)

import VideoDecoding
import XCTest

final class ResizeTests: XCTestCase {
    /// Deterministic test picture (height, width, 3).
    func picture(width: Int, height: Int, seed: Int) -> [UInt8] {
        (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761 &+ seed) >> 7) }
    }

    /// The naive twin: for each output pixel, source coordinate (o + ½)·in/out − ½, neighbours
    /// clamped to the image, linear weights — in Double.
    func naive(_ rgb: [UInt8], width: Int, height: Int, size: Int) -> [Double] {
        var out = [Double](repeating: 0, count: size * size * 3)
        func px(_ x: Int, _ y: Int, _ c: Int) -> Double { Double(rgb[(y * width + x) * 3 + c]) }
        for oy in 0..<size {
            let sy = (Double(oy) + 0.5) * Double(height) / Double(size) - 0.5
            let y0 = Int(sy.rounded(.down)), fy = sy - sy.rounded(.down)
            let ya = max(y0, 0), yb = min(y0 + 1, height - 1)
            for ox in 0..<size {
                let sx = (Double(ox) + 0.5) * Double(width) / Double(size) - 0.5
                let x0 = Int(sx.rounded(.down)), fx = sx - sx.rounded(.down)
                let xa = max(x0, 0), xb = min(x0 + 1, width - 1)
                for c in 0..<3 {
                    let top = px(xa, ya, c) * (1 - fx) + px(xb, ya, c) * fx
                    let bottom = px(xa, yb, c) * (1 - fx) + px(xb, yb, c) * fx
                    out[(oy * size + ox) * 3 + c] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }

    func testMatchesTheNaiveTwinDownAndUp() {
        for (w, h, size) in [(37, 23, 16), (37, 23, 50), (300, 300, 172), (7, 5, 224), (1, 1, 3)] {
            let rgb = picture(width: w, height: h, seed: w * h)
            let ours = Preprocess.resized(rgb: rgb, width: w, height: h, size: size)
            let twin = naive(rgb, width: w, height: h, size: size)
            let worst = zip(ours, twin).map { abs(Double($0) - $1) }.max()!
            // TensorFlow (and we) compute source coordinates in float32: each weight is off by a
            // few ulps of the coordinate, times neighbours up to 255 apart on this noise picture.
            let bound = 255 * 4 * Double(Float(max(w, h)).ulp)
            XCTAssertLessThan(worst, bound, "\(w)×\(h) → \(size)")
        }
    }

    func testSameSizeIsTheIdentity() {
        let rgb = picture(width: 9, height: 9, seed: 3)
        XCTAssertEqual(Preprocess.resized(rgb: rgb, width: 9, height: 9, size: 9), rgb.map(Float.init))
    }

    func testCentreCropResizesTheMiddleSquare() {
        let (w, h) = (40, 25)
        let rgb = picture(width: w, height: h, seed: 11)
        // The middle 25×25 square, cut by hand: columns 7..<32.
        var square: [UInt8] = []
        for y in 0..<h { square += rgb[((y * w + 7) * 3)..<((y * w + 32) * 3)] }
        XCTAssertEqual(Preprocess.centerSquare(width: w, height: h).x, 7)
        for size in [25, 16, 60] {
            XCTAssertEqual(Preprocess.resized(rgb: rgb, width: w, height: h, size: size, centerCrop: true),
                           Preprocess.resized(rgb: square, width: 25, height: 25, size: size))
        }
        // Portrait: rows 7..<32 of a 25×40 picture.
        let tall = picture(width: h, height: w, seed: 5)
        let middle = Array(tall[(7 * h * 3)..<(32 * h * 3)])
        XCTAssertEqual(Preprocess.resized(rgb: tall, width: h, height: w, size: 20, centerCrop: true),
                       Preprocess.resized(rgb: middle, width: 25, height: 25, size: 20))
    }

    func testModelInputIsTheResizeOver255() {
        let rgb = picture(width: 31, height: 17, seed: 2)
        let resized = Preprocess.resized(rgb: rgb, width: 31, height: 17, size: 24)
        let input = Preprocess.modelInput(rgb: rgb, width: 31, height: 17, size: 24)
        XCTAssertEqual(input.count, 24 * 24 * 3)
        for (a, b) in zip(input, resized) { XCTAssertEqual(a, b / 255, accuracy: 1e-6) }
        XCTAssertTrue(input.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}
