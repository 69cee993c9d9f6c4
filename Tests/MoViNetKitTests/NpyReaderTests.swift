// The .npy reader against arrays written by an independent writer (Python's struct/format rules
// implemented in the test's own bytes), float32 and uint8, and its errors.

import Foundation
import XCTest

import MoViNetKit
import TestSupport

final class NpyReaderTests: XCTestCase {
    /// A version-1 .npy file: magic, header padded to a multiple of 64 bytes, then the data.
    func npy(descr: String, shape: [Int], data: Data, fortran: Bool = false) -> Data {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        out += Data([UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        return out + Data(header.utf8) + data
    }

    func write(_ data: Data) throws -> String {
        let url = try temporaryDirectory(self).appendingPathComponent("x.npy")
        try data.write(to: url)
        return url.path
    }

    func testFloat32Frames() throws {
        let values: [Float] = (0..<(2 * 2 * 3 * 3)).map { Float($0) / 36 }
        let data = values.withUnsafeBytes { Data($0) }
        let reader = try NpyReader(path: try write(npy(descr: "<f4", shape: [2, 2, 3, 3], data: data)))
        XCTAssertEqual([reader.frames, reader.height, reader.width], [2, 2, 3])
        XCTAssertEqual(try reader.nextFrame(), Array(values[0..<18]))
        XCTAssertEqual(try reader.nextFrame(), Array(values[18..<36]))
        XCTAssertNil(try reader.nextFrame())
    }

    func testUInt8FramesAreScaled() throws {
        let bytes: [UInt8] = [0, 51, 255, 102, 204, 1]
        let reader = try NpyReader(path: try write(npy(descr: "|u1", shape: [1, 1, 2, 3], data: Data(bytes))))
        XCTAssertEqual(try reader.nextFrame(), bytes.map { Float($0) / 255 })
    }

    func testErrors() throws {
        func problem(_ d: Data) throws -> String {
            let path = try write(d)
            do { _ = try NpyReader(path: path); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(try problem(npy(descr: "<f8", shape: [1, 1, 1, 3], data: Data(count: 24))).contains("not supported"))
        XCTAssertTrue(try problem(npy(descr: "<f4", shape: [1, 2, 3], data: Data(count: 24))).contains("not (T, H, W, 3)"))
        XCTAssertTrue(try problem(npy(descr: "<f4", shape: [1, 1, 1, 3], data: Data(count: 12), fortran: true))
            .contains("Fortran"))
        XCTAssertTrue(try problem(Data("not an array".utf8)).contains("not a .npy file"))
        let truncated = try NpyReader(path: try write(npy(descr: "|u1", shape: [2, 1, 1, 3], data: Data(count: 4))))
        XCTAssertNotNil(try truncated.nextFrame())
        XCTAssertThrowsError(try truncated.nextFrame()) { XCTAssertTrue("\($0)".contains("truncated at frame 1 of 2")) }
    }

    /// Cross-check with NumPy itself when it is available.
    func testReadsAnArrayWrittenByNumPy() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("np.npy")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
                             "import numpy as np,sys; np.save(sys.argv[1], (np.arange(2*4*5*3)%251).astype(np.uint8).reshape(2,4,5,3))",
                             url.path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy not available") }
        let reader = try NpyReader(path: url.path)
        XCTAssertEqual([reader.frames, reader.height, reader.width], [2, 4, 5])
        _ = try reader.nextFrame()
        XCTAssertEqual(try reader.nextFrame(), (60..<120).map { Float($0 % 251) / 255 })
    }
}
