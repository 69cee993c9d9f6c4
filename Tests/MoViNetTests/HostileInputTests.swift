// Hostile model files (issue 12): each test crafts what a fuzzer or an outside review found —
// a committed fixture patched in a few bytes, or a table built here — and expects a clear error
// (or a bounded result) instead of a trap, memory corruption or gigabytes of allocation.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class HostileInputTests: XCTestCase {
    static let tflite = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite")

    func patch(_ name: String) throws -> TFLitePatch {
        try TFLitePatch(contentsOf: Self.tflite.appendingPathComponent(name))
    }

    /// The import error's message, failing the test when the file loads.
    func importError(_ p: TFLitePatch, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let imported = try TFLiteImporter.load(bytes: p.bytes, path: "crafted.tflite")
            _ = try MoViNetModel(imported)
            XCTFail("the crafted file loaded", file: file, line: line)
            return ""
        } catch let e as ModelError {
            XCTAssertEqual(e.path, "crafted.tflite", file: file, line: line)
            XCTAssertFalse(e.message.contains("\n"), e.message, file: file, line: line)
            return e.message
        } catch {
            XCTFail("not a ModelError: \(error)", file: file, line: line)
            return ""
        }
    }

    /// A DEQUANTIZE output declaring more elements than its input holds: the consumer's kernel was
    /// built from the output's shape and read past the values (SIGSEGV in `transposed`, heap
    /// corruption in the stem's re-layout, under -Ounchecked).
    func testDequantizeOutputLargerThanItsInputIsAnError() throws {
        var p = try patch("micro96_float16.tflite")
        let dequantizeOutputs = p.operators().filter { $0.code == 6 }.compactMap(\.outputs.first)
        let target = try XCTUnwrap(dequantizeOutputs.first { p.shape(ofTensor: $0).count == 4 })
        let shape = p.shape(ofTensor: target)
        p.setDimension(ofTensor: target, 0, to: Int32(shape[0] + 1))
        let message = importError(p)
        XCTAssertTrue(message.contains("turns") && message.contains("\(shape)"), message)
    }

    /// A zero point of Int64.min overflowed `q − zero_point` (release: garbage logits, exit 0).
    func testZeroPointOutsideTheStoredTypeIsAnError() throws {
        var p = try patch("tiny_stream_int8w.tflite")
        let quantized = try XCTUnwrap(p.zeroPointTensors().first)
        p.setZeroPoint(ofTensor: quantized.tensor, 0, to: .min)
        let message = importError(p)
        XCTAssertTrue(message.contains("zero point -9223372036854775808"), message)
    }

    /// A model declaring a 16384-px input would force gigabytes of activations from any clip.
    func testHugeDeclaredInputSizeIsRefused() throws {
        var p = try patch("micro96_float16.tflite")
        let image = try XCTUnwrap(p.subgraphInputs.first { p.name(ofTensor: $0).contains("image") })
        XCTAssertEqual(p.shape(ofTensor: image).count, 5)
        p.setDimension(ofTensor: image, 2, to: 16384)
        p.setDimension(ofTensor: image, 3, to: 16384)
        let message = importError(p)
        XCTAssertTrue(message.contains("16384×16384 px, over the 1024 px"), message)
    }

    /// SSTable keys are deltas: entries sharing one 64 KB prefix used to expand to a full copy
    /// each (a 300 KB index reached 4.5 GB). Past the key budget the index is refused.
    func testSharedPrefixKeysBeyondTheBudgetAreRefused() throws {
        let prefix = [UInt8](repeating: UInt8(ascii: "k"), count: 64 << 10)
        let entries = (0..<1100).map { i in (prefix + [UInt8(i >> 8), UInt8(i & 255)], [UInt8]()) }
        let table = TestSSTableWriter(blockSize: Int.max, restartInterval: Int.max).table(entries)
        XCTAssertLessThan(table.count, 200_000)   // the file is small; what it expands to is not
        XCTAssertThrowsError(try SSTable.read(path: "crafted.index", bytes: table)) { error in
            XCTAssertTrue("\(error)".contains("keys expand to more than 64 MB"), "\(error)")
        }
        // Below the budget the same layout reads back.
        let few = Array(entries.prefix(10))
        let read = try SSTable.read(path: "ok.index", bytes: TestSSTableWriter(blockSize: Int.max, restartInterval: Int.max).table(few))
        XCTAssertEqual(read.map(\.key), few.map(\.0))
    }

    /// A 20,000-node chain: every node's path was its own copy (n²/2 strings, 3.25 GB). Paths stop
    /// at ``ObjectGraph/maxPathDepth`` edges.
    func testDeepObjectGraphChainStaysBounded() throws {
        func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
            TestSSTableWriter.varint(UInt64(number << 3 | 2)) + TestSSTableWriter.varint(UInt64(bytes.count)) + bytes
        }
        let n = 20_000
        var graph: [UInt8] = []
        for i in 0..<n {
            let child = i + 1 < n
                ? field(1, TestSSTableWriter.varint(1 << 3) + TestSSTableWriter.varint(UInt64(i + 1)) + field(2, Array("c".utf8)))
                : []
            graph += field(1, child)
        }
        let paths = try ObjectGraph.trackable(graph).semanticPaths()
        XCTAssertEqual(paths.count, ObjectGraph.maxPathDepth + 1)
        XCTAssertEqual(paths[ObjectGraph.maxPathDepth], Array(repeating: "c", count: ObjectGraph.maxPathDepth))
        XCTAssertNil(paths[ObjectGraph.maxPathDepth + 1])
    }
}
