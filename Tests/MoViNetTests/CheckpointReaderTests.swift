// Unit tests of the tensor-bundle building blocks: CRC32C, the protobuf reader, the SSTable reader.

import Foundation
import MoViNet
import XCTest

final class CheckpointReaderTests: XCTestCase {
    func testCRC32CKnownValues() {
        // RFC 3720 (iSCSI) B.4 test vectors and the classic check value.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func testCRC32CExtendAndMask() {
        let all = Array("hello, tensor bundle".utf8)
        let a = all.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<7])) }
        let ab = all.withUnsafeBytes { CRC32C.extend(a, UnsafeRawBufferPointer(rebasing: $0[7...])) }
        XCTAssertEqual(ab, CRC32C.checksum(all))
        for c: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF] {
            XCTAssertEqual(CRC32C.unmask(CRC32C.mask(c)), c)
            XCTAssertNotEqual(CRC32C.mask(c), c)
        }
        // TF's masking: rotate right by 15, add the constant.
        XCTAssertEqual(CRC32C.mask(0), 0xA282_EAD8)
        XCTAssertEqual(CRC32C.mask(1), (1 << 17) &+ 0xA282_EAD8)
    }

    func testProtobufFields() throws {
        // field 1 varint 150; field 2 bytes "ab"; field 6 fixed32; field 4 fixed64; field 3 varint -1 (10 bytes)
        let msg: [UInt8] = [0x08, 0x96, 0x01, 0x12, 0x02, 0x61, 0x62, 0x35, 0x78, 0x56, 0x34, 0x12,
                            0x21, 1, 0, 0, 0, 0, 0, 0, 0x80,
                            0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        let f = try ProtobufReader.fields(msg)
        XCTAssertEqual(f.map(\.field), [1, 2, 6, 4, 3])
        XCTAssertEqual(f[0].value, .varint(150))
        XCTAssertEqual(f[1].value.string, "ab")
        XCTAssertEqual(f[2].value, .fixed32(0x1234_5678))
        XCTAssertEqual(f[3].value, .fixed64(0x8000_0000_0000_0001))
        XCTAssertEqual(f[4].value.int64, -1)
        XCTAssertEqual(try ProtobufReader.packedVarints([0x01, 0x96, 0x01]), [1, 150])
    }

    func testProtobufErrorsInsteadOfCrashes() {
        XCTAssertThrowsError(try ProtobufReader.fields([0x08]))            // varint missing
        XCTAssertThrowsError(try ProtobufReader.fields([0x08, 0x80]))      // truncated varint
        XCTAssertThrowsError(try ProtobufReader.fields([0x12, 0x05, 0x61])) // length past the end
        XCTAssertThrowsError(try ProtobufReader.fields([0x0B]))            // group wire type
        XCTAssertThrowsError(try ProtobufReader.fields([0x00, 0x00]))      // field 0
        XCTAssertThrowsError(try ProtobufReader.fields([0x08] + [UInt8](repeating: 0xFF, count: 11)))
    }

    private func entries(_ n: Int) -> [([UInt8], [UInt8])] {
        (0..<n).map { i in
            (Array(String(format: "model/layer_%03d/kernel", i).utf8), Array("value-\(i)".utf8) + [UInt8(i & 0xFF)])
        }
    }

    func testSSTableRoundTripManyBlocksAndRestarts() throws {
        let e = entries(50)
        for (blockSize, restart) in [(64, 3), (4096, 16), (1, 1), (200, 1)] {
            let bytes = TestSSTableWriter(blockSize: blockSize, restartInterval: restart).table(e)
            let read = try SSTable.read(path: "t.index", bytes: bytes)
            XCTAssertEqual(read.map(\.key), e.map(\.0), "block \(blockSize) restart \(restart)")
            XCTAssertEqual(read.map(\.value), e.map(\.1))
        }
        XCTAssertEqual(try SSTable.read(path: "t.index", bytes: TestSSTableWriter().table([])).count, 0)
    }

    func testSSTableErrors() throws {
        let good = TestSSTableWriter().table(entries(20))
        func message(_ bytes: [UInt8]) -> String {
            do {
                _ = try SSTable.read(path: "x.index", bytes: bytes)
                return "no error"
            } catch let e as ModelError {
                XCTAssertEqual(e.path, "x.index")
                return e.message
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message(Array(good.prefix(20))).contains("shorter than the 48-byte footer"))
        XCTAssertTrue(message(Array(good.dropFirst(30))).contains("outside the file") || message(Array(good.dropFirst(30))).contains("CRC"))
        for cut in [1, 10, 47, good.count / 2] {
            XCTAssertNotEqual(message(Array(good.dropLast(cut))), "no error", "truncated by \(cut)")
        }
        var flipped = good
        flipped[5] ^= 0x40
        XCTAssertTrue(message(flipped).contains("CRC32C"), message(flipped))
        let snappy = TestSSTableWriter(compressionType: 1).table(entries(3))
        XCTAssertTrue(message(snappy).contains("Snappy"), message(snappy))
        // Every single-byte truncation and corruption is an error, never a crash.
        for i in stride(from: 0, to: good.count, by: 7) {
            var b = good
            b[i] ^= 0xA5
            _ = message(b)
            _ = message(Array(good.prefix(i)))
        }
    }

    // MARK: SavedModel graph: the SE gate formula (spec §3.6)

    private func field(_ n: Int, _ payload: [UInt8]) -> [UInt8] {
        TestSSTableWriter.varint(UInt64(n << 3 | 2)) + TestSSTableWriter.varint(UInt64(payload.count)) + payload
    }

    private func field(_ n: Int, _ s: String) -> [UInt8] { field(n, Array(s.utf8)) }

    /// NodeDef { name, op, attr { key: "value", value: AttrValue { tensor: TensorProto { dtype: DT_FLOAT, float_val: x } } } }
    private func constNode(_ name: String, _ x: Float) -> [UInt8] {
        let tensor: [UInt8] = [0x08, 0x01] + [0x2D] + TestSSTableWriter.le32(x.bitPattern)
        return field(1, name) + field(2, "Const") + field(5, field(1, "value") + field(2, field(8, tensor)))
    }

    private func opNode(_ name: String, _ op: String) -> [UInt8] { field(1, name) + field(2, op) }

    /// SavedModel { meta_graphs { graph_def { node…, library { function { node_def… } } } } }
    private func savedModel(graph: [[UInt8]], function: [[UInt8]]) -> [UInt8] {
        let fn = function.flatMap { field(3, $0) }
        let g = graph.flatMap { field(1, $0) } + field(2, field(1, fn))
        return field(2, field(2, g))
    }

    func testSavedModelGateDetection() throws {
        let relu6 = savedModel(graph: [], function: [
            constNode("block1_layer0/bneck/se/se_expand/conv2d/activation_2/mul/y", 0.16667),
            constNode("block1_layer0/bneck/expansion/conv2d/activation_15/mul_1/y", 1.0 / 6.0),
            opNode("block1_layer0/bneck/se/se_expand/conv2d/activation_2/Relu6", "Relu6")])
        XCTAssertEqual(try SavedModelGraph.gate(savedModel: relu6), .hardSigmoidRelu6)
        let linear = savedModel(graph: [constNode("b1/l0/bneck/se/se_expand/hard_sigmoid/mul/y", 0.2),
                                        constNode("b1/l0/bneck/se/se_expand/hard_sigmoid/add/y", 0.5)], function: [])
        XCTAssertEqual(try SavedModelGraph.gate(savedModel: linear), .hardSigmoidLinear)
        let sigmoid = savedModel(graph: [], function: [opNode("block0_layer0/bneck/se/se_expand/conv3d/activation/Sigmoid", "Sigmoid"),
                                                       opNode("block0_layer0/bneck/se/se_reduce/conv3d/activation/Sigmoid", "Sigmoid")])
        XCTAssertEqual(try SavedModelGraph.gate(savedModel: sigmoid), .sigmoid)
        // The hard-swish 1/6 outside the gate decides nothing; a graph without SE says nothing.
        let none = savedModel(graph: [constNode("block0_layer0/bneck/expansion/activation/mul_1/y", 1.0 / 6.0)], function: [])
        XCTAssertNil(try SavedModelGraph.gate(savedModel: none))
        XCTAssertNil(try SavedModelGraph.gate(savedModel: []))
        let both = savedModel(graph: [constNode("se/se_expand/a/y", 0.16667), opNode("se/se_expand/Sigmoid", "Sigmoid")], function: [])
        XCTAssertThrowsError(try SavedModelGraph.gate(savedModel: both))
        XCTAssertThrowsError(try SavedModelGraph.gate(savedModel: Array(relu6.dropLast(3))))
    }
}
