// Labels inside a .tflite file: TFLite metadata naming a TENSOR_AXIS_LABELS file packed into the
// ZIP appended to the model (the fixture was written by tflite-support's MetadataPopulator,
// tools/tflite/add_labels.py). Crafted copies check that a damaged archive is reported, not
// guessed at or crashed on.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class TFLiteMetadataTests: XCTestCase {
    static let variants = TFLiteVariantTests.micro
    static let labelled = variants.appendingPathComponent("micro_int8f_labels.tflite")
    static let names = ["waving hand", "clapping", "jumping", "sitting down", "stretching arms"]

    func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    func testLabelFileFromMetadata() throws {
        let imported = try TFLiteImporter.load(path: Self.labelled.path)
        XCTAssertEqual(imported.labels, Self.names)
        XCTAssertNil(imported.labelsProblem)
        let model = try MoViNetModel(imported)
        XCTAssertEqual(model.embeddedLabels, Self.names)
        XCTAssertEqual(model.info.numClasses, 5)
    }

    func testModelWithoutMetadataHasNoLabels() throws {
        let imported = try TFLiteImporter.load(path: Self.variants.appendingPathComponent("micro_int8f.tflite").path)
        XCTAssertNil(imported.labels)
        XCTAssertNil(imported.labelsProblem)
    }

    /// The archive's central-directory entry, patched: compression method 8 (deflate), or a local
    /// header offset past the directory.
    func patchedCopy(_ patch: (inout [UInt8], Int) -> Void) throws -> String {
        var b = try bytes(Self.labelled)
        let central: [UInt8] = [0x50, 0x4B, 1, 2]
        let at = try XCTUnwrap((0...(b.count - 4)).last { Array(b[$0..<($0 + 4)]) == central })
        patch(&b, at)
        let url = try temporaryDirectory(self).appendingPathComponent("patched.tflite")
        try Data(b).write(to: url)
        return url.path
    }

    func testCompressedLabelFileIsReportedNotGuessed() throws {
        let path = try patchedCopy { b, at in b[at + 10] = 8 }
        let imported = try TFLiteImporter.load(path: path)
        XCTAssertNil(imported.labels)
        XCTAssertTrue(imported.labelsProblem?.contains("compressed") ?? false, "\(imported.labelsProblem ?? "nil")")
    }

    func testDamagedArchiveIsReported() throws {
        let path = try patchedCopy { b, at in
            for i in 0..<4 { b[at + 42 + i] = 0xFF }   // local header offset far outside the file
        }
        let imported = try TFLiteImporter.load(path: path)
        XCTAssertNil(imported.labels)
        XCTAssertTrue(imported.labelsProblem?.contains("damaged") ?? false, "\(imported.labelsProblem ?? "nil")")
    }

    func testTruncatedArchiveNeverCrashes() throws {
        let full = try bytes(Self.labelled)
        // The populator rewrites the flatbuffer (a metadata entry and buffer) and appends the ZIP
        // archive after it: find the archive's first local header.
        let signature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        let archive = try XCTUnwrap((0..<(full.count - 3)).first { Array(full[$0..<$0 + 4]) == signature })
        // Cut anywhere inside the appended archive: the model still loads, without labels.
        for cut in stride(from: archive, to: full.count, by: max(1, (full.count - archive) / 40)) {
            let url = try temporaryDirectory(self).appendingPathComponent("cut.tflite")
            try Data(full[0..<cut]).write(to: url)
            let imported = try TFLiteImporter.load(path: url.path)
            XCTAssertNil(imported.labels, "cut at \(cut)")
        }
    }
}
