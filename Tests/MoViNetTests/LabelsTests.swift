// Label files as editors save them: LF, CRLF or CR line ends, a UTF-8 byte-order mark, trailing
// blank lines; a blank line in the middle still refused (it would shift every later label).

import Foundation
import XCTest

import MoViNet

final class LabelsTests: XCTestCase {
    let names = ["abseiling", "air drumming", "answering questions"]

    func testLineEndsAndAByteOrderMarkGiveTheSameLabels() throws {
        for (what, text) in [("LF", "abseiling\nair drumming\nanswering questions\n"),
                             ("CRLF", "abseiling\r\nair drumming\r\nanswering questions\r\n"),
                             ("CR", "abseiling\rair drumming\ranswering questions\r"),
                             ("BOM + CRLF", "\u{FEFF}abseiling\r\nair drumming\r\nanswering questions\r\n\r\n"),
                             ("no final newline", "abseiling\nair drumming\nanswering questions")] {
            XCTAssertEqual(try Labels(text: text, source: what).names, names, what)
        }
    }

    func testAFileWithCRLFAndABOMIsRead() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0xEF, 0xBB, 0xBF] + Array(names.joined(separator: "\r\n").utf8) + [0x0D, 0x0A]).write(to: url)
        XCTAssertEqual(try Labels(path: url.path).names, names)
    }

    func testABlankLineInTheMiddleIsStillAnError() {
        XCTAssertThrowsError(try Labels(text: "a\r\n\r\nb\r\n", source: "x.txt")) { error in
            XCTAssertTrue("\(error)".contains("empty line at line 2"), "\(error)")
        }
    }

    func testWhiteSpaceAroundALabelIsTrimmedInsideKept() throws {
        let text = "\t abseiling \u{00A0}\n\u{3000}air drumming\r\n answering questions\t\r\n"
        XCTAssertEqual(try Labels(text: text, source: "x").names, names)
        XCTAssertEqual(try Labels(text: "caf\u{E9} au lait\n\u{1F600} x\n", source: "x").names, ["caf\u{E9} au lait", "\u{1F600} x"])
    }

    /// Files are read straight into bytes: a pipe (`--labels <(…)`) is read to its end, an empty
    /// file and a folder are refused with the path named.
    func testPipesEmptyFilesAndFolders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // More than one read's worth, so the pipe is read in several pieces.
        let many = (0..<20_000).map { "label \($0)" }
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)!
            handle.write(Data(many.joined(separator: "\n").utf8))
            handle.closeFile()
        }
        writer.start()
        XCTAssertEqual(try Labels(path: fifo).names, many)

        let empty = dir.appendingPathComponent("empty.txt").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try Labels(path: empty)) { XCTAssertEqual("\($0)", "\(empty): label file is empty") }
        XCTAssertThrowsError(try Labels(path: dir.path)) { XCTAssertEqual("\($0)", "\(dir.path): cannot read label file") }
        XCTAssertThrowsError(try Labels(path: dir.path + "/missing.txt")) {
            XCTAssertEqual("\($0)", "\(dir.path)/missing.txt: cannot read label file")
        }
        let latin1 = dir.appendingPathComponent("latin1.txt").path
        XCTAssertTrue(FileManager.default.createFile(atPath: latin1, contents: Data([0x63, 0x61, 0x66, 0xE9, 0x0A])))
        XCTAssertThrowsError(try Labels(path: latin1)) { XCTAssertEqual("\($0)", "\(latin1): label file is not UTF-8 text") }
    }
}
