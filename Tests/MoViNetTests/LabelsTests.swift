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
}
