// `stream --plot`: the top classes' probability over time as a self-contained SVG line chart
// (seconds on x, probability on y, one labelled line per class, legend), like the TF Hub tutorial.

import Foundation
import MoViNetKit
import MoViNet

public enum SVGPlot {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The classes to draw: the `count` classes with the highest peak probability over the clip.
    public static func topClasses(_ track: ProbabilityTrack, count: Int) -> [Int] {
        guard let classes = track.probabilities.first?.count else { return [] }
        var peak = [Float](repeating: 0, count: classes)
        for p in track.probabilities { for c in 0..<classes where p[c] > peak[c] { peak[c] = p[c] } }
        return MoViNet.topK(peak, k: min(count, palette.count)).map(\.index)
    }

    /// The SVG of `track`: the `count` classes with the highest peaks as lines, `spans` shaded
    /// beneath them (in the colour of their class when it is drawn, grey otherwise, labelled at the
    /// top), and a time axis in m:ss.
    public static func render(_ track: ProbabilityTrack, labels: Labels, classes count: Int, title: String,
                              spans: [Segment] = []) -> String {
        let chosen = topClasses(track, count: count)
        let names = chosen.map { c in c < labels.count ? labels.names[c] : "class \(c)" }
        // The legend column is as wide as its longest label (about 7.5 px a character at 13 px).
        let legendWidth = 70 + 7.5 * Double(names.map(\.count).max() ?? 10)
        let plotW = 640.0, plotH = 370.0
        let left = 70.0, right = max(180, legendWidth), top = 50.0, bottom = 60.0
        let width = left + plotW + right, height = top + plotH + bottom
        let last = max(track.timestamps.last ?? 0, spans.map(\.end).max() ?? 0, 1e-6)
        let step = timeStep(last / 8)
        let tMax = (last / step).rounded(.up) * step   // the axis ends on a tick
        func x(_ t: Double) -> Double { left + t / tMax * plotW }
        func y(_ p: Double) -> Double { top + (1 - p) * plotH }
        func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width.rounded()))" height="\(Int(height))" viewBox="0 0 \(Int(width.rounded())) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt(left + plotW / 2))" y="28" text-anchor="middle" font-size="15">\(esc(title))</text>

        """
        // Spans beneath everything else: a pale band over the plot's height, a solid bar along
        // its top and the label.
        for span in spans {
            let colour = chosen.firstIndex(of: span.index).map { palette[$0 % palette.count] } ?? "#999999"
            let x0 = x(max(0, span.start)), x1 = x(min(tMax, span.end))
            guard x1 > x0 else { continue }
            s += "<rect x=\"\(fmt(x0))\" y=\"\(fmt(top))\" width=\"\(fmt(x1 - x0))\" height=\"\(fmt(plotH))\" fill=\"\(colour)\" fill-opacity=\"0.13\"/>\n"
            s += "<rect x=\"\(fmt(x0))\" y=\"\(fmt(top - 14))\" width=\"\(fmt(x1 - x0))\" height=\"12\" fill=\"\(colour)\" fill-opacity=\"0.75\"/>\n"
            let name = span.label
            if x1 - x0 > 7 * Double(min(name.count, 4)) {
                s += "<svg x=\"\(fmt(x0))\" y=\"\(fmt(top - 14))\" width=\"\(fmt(x1 - x0))\" height=\"12\">"
                    + "<text x=\"3\" y=\"10\" font-size=\"10\" fill=\"white\">\(esc(name))</text></svg>\n"
            }
        }
        // Grid and y ticks.
        for i in 0...5 {
            let p = Double(i) / 5
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y(p)))\" x2=\"\(fmt(left + plotW))\" y2=\"\(fmt(y(p)))\" stroke=\"#dddddd\"/>\n"
            s += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(y(p) + 4))\" text-anchor=\"end\">\(String(format: "%.1f", p))</text>\n"
        }
        // x ticks.
        var t = 0.0
        while t <= tMax + step * 1e-9 {
            s += "<line x1=\"\(fmt(x(t)))\" y1=\"\(fmt(top + plotH))\" x2=\"\(fmt(x(t)))\" y2=\"\(fmt(top + plotH + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(fmt(x(t)))\" y=\"\(fmt(top + plotH + 20))\" text-anchor=\"middle\">\(clock(t, step: step))</text>\n"
            t += step
        }
        // Axes and titles.
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top))\" x2=\"\(fmt(left))\" y2=\"\(fmt(top + plotH))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top + plotH))\" x2=\"\(fmt(left + plotW))\" y2=\"\(fmt(top + plotH))\" stroke=\"black\"/>\n"
        s += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 15))\" text-anchor=\"middle\">time (m:ss)</text>\n"
        s += "<text transform=\"translate(20 \(fmt(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">probability</text>\n"
        // One line per class, then the legend.
        for (n, c) in chosen.enumerated() {
            let colour = palette[n % palette.count]
            let points = zip(track.timestamps, track.probabilities).map { "\(fmt(x($0)))," + fmt(y(Double($1[c]))) }
            if points.count == 1 {
                let p = points[0].split(separator: ",")
                s += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"3\" fill=\"\(colour)\"/>\n"
            } else {
                s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
            let ly = top + 10 + Double(n) * 22
            let name = names[n]
            s += "<line x1=\"\(fmt(left + plotW + 20))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(left + plotW + 45))\" y2=\"\(fmt(ly))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            s += "<text x=\"\(fmt(left + plotW + 52))\" y=\"\(fmt(ly + 4))\">\(esc(name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// A step a clock reads well (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min,
    /// then hours), at least `raw` seconds.
    static func timeStep(_ raw: Double) -> Double {
        let steps: [Double] = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800]
        return steps.first { $0 >= raw } ?? (raw / 3600).rounded(.up) * 3600
    }

    /// `m:ss` (`0:04`, `1:30`), with tenths when the ticks are less than a second apart (`0:03.5`).
    static func clock(_ t: Double, step: Double) -> String {
        let tenths = Int((t * 10).rounded())
        let minutes = tenths / 600, rest = tenths % 600
        return step < 1 ? String(format: "%d:%02d.%d", minutes, rest / 10, rest % 10)
            : String(format: "%d:%02d", minutes, rest / 10)
    }
}
