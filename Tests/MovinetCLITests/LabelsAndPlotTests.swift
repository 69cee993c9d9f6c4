// Label files, and the `stream --plot` SVG: well-formed XML with the chosen classes, rendered to
// PNG by rsvg-convert when it is installed.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

import MoViNet
import MovinetCLI
import MoViNetKit
import TestSupport

final class LabelsTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try Labels(text: "a\nb b\n c \n\n", source: "x").names, ["a", "b b", "c"])
        XCTAssertThrowsError(try Labels(text: "a\n\nb\n", source: "x")) { XCTAssertTrue("\($0)".contains("line 2")) }
        XCTAssertThrowsError(try Labels(text: "\n", source: "x"))
        XCTAssertThrowsError(try Labels(names: ["a"]).checkMatches(classes: 600, source: "l.txt")) {
            XCTAssertEqual("\($0)", "l.txt: label file has 1 labels but the model has 600 classes")
        }
    }

    func testKinetics600File() throws {
        guard let url = try SharedFiles.url("labels/kinetics600_labels.txt") else { throw XCTSkip("no shared labels") }
        let labels = try Labels(path: url.path)
        XCTAssertEqual(labels.count, 600)
        XCTAssertEqual(labels.names.first, "abseiling")
        XCTAssertTrue(labels.names.contains("jumping jacks"))
        XCTAssertEqual(try ModelStore.sha256(ofFile: url.path), Catalog.kinetics600.sha256)
    }
}

final class SVGPlotTests: XCTestCase {
    /// Three classes trading places over 4 s at 5 fps, the rest near zero.
    func track() -> ProbabilityTrack {
        var t = ProbabilityTrack()
        for k in 0..<20 {
            var p = [Float](repeating: 0.001, count: 10)
            let s = Float(k) / 19
            p[2] = 0.9 * (1 - s); p[5] = 0.9 * s; p[7] = 0.05
            t.timestamps.append(Double(k) / 5)
            t.probabilities.append(p)
        }
        return t
    }

    func testTopClassesByPeakProbability() {
        XCTAssertEqual(SVGPlot.topClasses(track(), count: 3), [2, 5, 7])
    }

    func testSVGIsWellFormedAndLabelled() throws {
        let labels = Labels(names: (0..<10).map { "class <\($0)> & co" })
        let svg = SVGPlot.render(track(), labels: labels, classes: 3, title: "clip \"1\".mp4")
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3)
        XCTAssertTrue(svg.contains("class &lt;2&gt; &amp; co"))
        XCTAssertTrue(svg.contains(">time (m:ss)<") && svg.contains(">probability<"))
        XCTAssertTrue(svg.contains(">0:03.5<") && svg.contains(">0:04.0<"), "x ticks every 0.5 s up to 4 s, in m:ss")
    }

    func testRendersToPNG() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert") else {
            throw XCTSkip("rsvg-convert not installed")
        }
        let dir = try temporaryDirectory(self)
        let svgURL = dir.appendingPathComponent("plot.svg"), pngURL = dir.appendingPathComponent("plot.png")
        try SVGPlot.render(track(), labels: .numbered(10), classes: 3, title: "synthetic")
            .write(to: svgURL, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/rsvg-convert")
        p.arguments = ["-o", pngURL.path, svgURL.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let png = try Data(contentsOf: pngURL)
        XCTAssertEqual([UInt8](png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width and height: the SVG's 890 × 480 (640-px plot, margins, a 180-px legend).
        XCTAssertEqual(png[16..<24].map { $0 }, [0, 0, 0x03, 0x7A, 0, 0, 0x01, 0xE0])
    }
}
