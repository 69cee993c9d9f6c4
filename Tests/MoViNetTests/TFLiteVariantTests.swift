// Fine-tuned stream classifiers exported the way users export them (tools/tflite/export_variants.py:
// float32, float16, dynamic-range, full-integer int8 with float or int8 I/O, old and new quantizer,
// signatures `serving_default` and `call`): every variant imports and runs, and matches its
// reference per frame.
//
// * float32/float16: LiteRT on the file itself (≤ 1e-4 relative to the frame's largest logit).
// * every variant: LiteRT on the file's float twin — the same graph with its quantized constants
//   dequantized and its activations in float32, a float execution of the file's own weights, which
//   is what this engine computes (≤ 1e-4 relative) — and LiteRT's top-1 on the file itself on
//   every frame where LiteRT's execution of the file and the float twin agree on it. Where the two
//   references disagree, the int8 arithmetic the file prescribes has lost the result (A0's old-
//   quantizer export gives the head's SUM over 6×6 positions its input's int8 scale, so the sum
//   saturates at 127 quanta and LiteRT's logits are 0.85 relative away from Keras'): no float
//   execution can match LiteRT there, so the top-1 must be the float twin's, and the row counts
//   such frames.
//
// The micro exports are committed (Fixtures/tflite/variants); the full-size A0/A1 exports are
// read from $MOVINET_TFLITE_VARIANTS (folders made by the script, see README → Development) when set.

import Foundation
import MoViNet
import TestSupport
import XCTest

final class TFLiteVariantTests: XCTestCase {
    static let micro = SharedFiles.packageRoot.appendingPathComponent("Tests/MoViNetTests/Fixtures/tflite/variants")

    struct Row: CustomStringConvertible {
        var name: String
        var bytes: Int
        var vsFloatTwin: Float
        var vsLiteRT: Float
        var top1: Int
        var frames: Int
        /// Frames where LiteRT on the file and LiteRT on its float twin have different top-1s.
        var referencesDisagree = 0
        /// The int8 path against LiteRT on the file itself: values that differ, of how many
        /// (nil: the file has no int8 plan, `why` says why when it has int8 activations).
        var int8Differing: Int? = nil
        var int8Values = 0
        var int8MaxDifference: Float = 0
        var why: String? = nil
        var description: String {
            "\(name)  \(bytes) B  max rel vs float twin \(vsFloatTwin)  vs LiteRT \(vsLiteRT)  top-1 = LiteRT \(top1)/\(frames)"
                + (referencesDisagree > 0 ? " (LiteRT ≠ float twin on \(referencesDisagree): top-1 = twin's there)" : "")
                + (int8Differing.map { "  int8 path vs LiteRT: \($0) of \(int8Values) differ (max \(int8MaxDifference))" }
                   ?? why.map { "  no int8 plan: \($0)" } ?? "")
        }
    }

    func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Every `<prefix>_<variant>.tflite` in `dir` against its references; returns the table rows.
    func checkVariants(in dir: URL, prefix: String, expectAtLeast: Int) throws -> [Row] {
        let clip = try floats(dir.appendingPathComponent("\(prefix).clip.f32"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix(prefix + "_") && $0.hasSuffix(".tflite") && !$0.hasSuffix("_labels.tflite") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, expectAtLeast, "variants in \(dir.path)")
        var rows: [Row] = []
        for file in files {
            let name = String(file.dropLast(".tflite".count))
            let path = dir.appendingPathComponent(file).path
            let imported: ImportedModel
            do {
                imported = try TFLiteImporter.load(path: path)
            } catch {
                XCTFail("\(file) does not import: \(error)")
                continue
            }
            let model = try MoViNetModel(imported)
            let size = imported.inputSize ?? 0
            let classes = model.info.numClasses
            let twin = try floats(dir.appendingPathComponent(name + ".float.f32"))
            let litert = try floats(dir.appendingPathComponent(name + ".litert.f32"))
            let runner = try MoViNetRunner(model: model, height: size, width: size, precision: .float)
            let int8 = model.quantized == nil ? nil
                : try MoViNetRunner(model: model, height: size, width: size, precision: .int8)
            let frameSize = size * size * 3
            let count = clip.count / frameSize
            XCTAssertEqual(twin.count, count * classes, file)
            var row = Row(name: name, bytes: try Data(contentsOf: URL(fileURLWithPath: path)).count,
                          vsFloatTwin: 0, vsLiteRT: 0, top1: 0, frames: count)
            for t in 0..<count {
                let logits = clip[(t * frameSize)..<((t + 1) * frameSize)].withUnsafeBufferPointer { runner.step($0) }
                func relative(_ ref: ArraySlice<Float>) -> Float {
                    let peak = ref.map(abs).max() ?? 0
                    return (zip(logits, ref).map { abs($0 - $1) }.max() ?? .infinity) / peak
                }
                let f = twin[(t * classes)..<((t + 1) * classes)]
                let l = litert[(t * classes)..<((t + 1) * classes)]
                row.vsFloatTwin = max(row.vsFloatTwin, relative(f))
                row.vsLiteRT = max(row.vsLiteRT, relative(l))
                let ours = logits.indices.max { logits[$0] < logits[$1] }
                let theirs = l.indices.max { l[$0] < l[$1] }.map { $0 - t * classes }
                let twins = f.indices.max { f[$0] < f[$1] }.map { $0 - t * classes }
                if theirs == twins {
                    if ours == theirs { row.top1 += 1 }
                } else {
                    row.referencesDisagree += 1
                    XCTAssertEqual(ours, twins, "\(name) frame \(t): the float twin's top-1 where LiteRT's differs")
                }
                if let int8 {
                    let q = clip[(t * frameSize)..<((t + 1) * frameSize)].withUnsafeBufferPointer { int8.step($0) }
                    let differing = zip(q, l).filter { $0 != $1 }.count
                    row.int8Differing = (row.int8Differing ?? 0) + differing
                    row.int8Values += q.count
                    row.int8MaxDifference = max(row.int8MaxDifference, zip(q, l).map { abs($0 - $1) }.max() ?? 0)
                }
            }
            row.why = model.quantizedUnavailable
            XCTAssertLessThanOrEqual(row.vsFloatTwin, 1e-4, "\(name): vs its float twin")
            if name.hasSuffix("_float32") || name.hasSuffix("_float16") || name.hasSuffix("_float32_call") {
                XCTAssertLessThanOrEqual(row.vsLiteRT, 1e-4, "\(name): vs LiteRT")
            }
            XCTAssertEqual(row.top1, count - row.referencesDisagree, "\(name): LiteRT's top-1 on every frame where the references agree")
            if let differing = row.int8Differing {
                XCTAssertEqual(differing, 0, "\(name): the int8 path's logits are LiteRT's")
            }
            rows.append(row)
        }
        print(rows.map { "variant: \($0)" }.joined(separator: "\n"))
        return rows
    }

    /// The micro exports of TF 2.20 (the converter our older fixtures came from) and TF 2.15.1
    /// (an older converter: other op spellings, other quantizer defaults).
    func testMicroVariants() throws {
        for dir in [Self.micro, Self.micro.appendingPathComponent("tf2.15")] {
            let rows = try checkVariants(in: dir, prefix: "micro", expectAtLeast: 8)
            // The settings users pick most must all be among them.
            for v in ["float32", "float16", "drq", "int8f", "int8io", "float32_call", "drq_call", "int8f_call"] {
                XCTAssertTrue(rows.contains { $0.name == "micro_\(v)" }, "\(dir.lastPathComponent): micro_\(v) missing")
            }
        }
    }

    /// Other export folders made by the script (e.g. the full-size A0/A1 stream exports, 172×172,
    /// 7 classes, not committed): MOVINET_TFLITE_VARIANTS=/path with one folder per export inside.
    func testVariantFolders() throws {
        guard let root = ProcessInfo.processInfo.environment["MOVINET_TFLITE_VARIANTS"] else {
            throw XCTSkip("MOVINET_TFLITE_VARIANTS not set (full-size exports are not committed)")
        }
        let fm = FileManager.default
        for sub in try fm.contentsOfDirectory(atPath: root).sorted() {
            let dir = URL(fileURLWithPath: root).appendingPathComponent(sub)
            guard let clip = try? fm.contentsOfDirectory(atPath: dir.path).first(where: { $0.hasSuffix(".clip.f32") })
            else { continue }
            print("variant folder: \(dir.path)")
            _ = try checkVariants(in: dir, prefix: String(clip.dropLast(".clip.f32".count)), expectAtLeast: 1)
        }
    }
}
