// Fuzzes the TFLite importer end to end: flatbuffer → weights and flavour → a built network → one
// frame through it (at a small size, so that a file accepted with inconsistent shapes shows up).

import FuzzSupport
import MoViNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLite(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = [UInt8](Scratch.buffer(data, size))
    guard let imported = try? TFLiteImporter.load(bytes: bytes, path: "fuzz.tflite"),
          let model = try? MoViNetModel(imported) else { return 0 }
    runOneFrame(model)
    return 0
}

/// One 16×16 frame (or a one-frame clip) through the network; the logits must be as many as the classes.
func runOneFrame(_ model: MoViNetModel) {
    let side = 16
    guard let runner = try? MoViNetRunner(model: model, height: side, width: side) else { return }
    let frame = [Float](repeating: 0.5, count: side * side * 3)
    let logits = frame.withUnsafeBufferPointer { buf in
        model.info.kind == .stream ? runner.step(buf) : runner.classify(clip: buf, frames: 1)
    }
    precondition(logits.count == model.info.numClasses, "logits \(logits.count) for \(model.info.numClasses) classes")
}
